"""The analyst copy's temp files: a refresh that fails or is killed leaves none for good, and a data folder
whose path holds a quote works like any other (the path is bound, not pasted into the SQL)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from amazon_zoho.bench.chaos import SLOW_ANALYST_COPY_PATCH
from amazon_zoho.ops import analyst_copy
from amazon_zoho.warehouse import WarehouseResource

# Refreshes the copy held once its temp file is filled (the fault matrix's patch), so a test can kill it mid-copy.
SLOW_REFRESH = SLOW_ANALYST_COPY_PATCH + """
import sys
from pathlib import Path
from amazon_zoho.warehouse import WarehouseResource
analyst_copy.refresh(WarehouseResource(database=sys.argv[1]), Path(sys.argv[2]))
"""


def _warehouse(folder: Path) -> WarehouseResource:
    folder.mkdir(parents=True)
    warehouse = WarehouseResource(database=str(folder / "warehouse.duckdb"))
    with warehouse.connect():
        pass  # the schema in place
    return warehouse


def _temp_files(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir() if p.name.startswith(f".{target.name}."))


def test_a_killed_refresh_leaves_nothing_after_the_next_one(tmp_path):
    warehouse = _warehouse(tmp_path / "data")
    target = warehouse.analyst_copy_path
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    child = subprocess.Popen([sys.executable, "-c", SLOW_REFRESH, warehouse.database, str(target)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "copied", child.stderr.read()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    assert _temp_files(target), "the killed refresh left its temp copy (the fault this test is about)"
    assert not target.exists()

    analyst_copy.refresh(warehouse, target)

    assert _temp_files(target) == []
    with duckdb.connect(str(target), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM ops.analyst_copy_info").fetchone()[0] == 1


def test_a_refresh_that_fails_removes_its_temp_copy(tmp_path, monkeypatch):
    warehouse = _warehouse(tmp_path / "data")
    target = warehouse.analyst_copy_path
    leftover = target.with_name(f".{target.name}.999999999.tmp")  # a pid no process has
    leftover.write_bytes(b"x" * 1024)
    Path(f"{leftover}.wal").write_bytes(b"x")

    def broken(conn, main):
        raise RuntimeError("disk full")

    monkeypatch.setattr(analyst_copy, "_copy_tables", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        analyst_copy.refresh(warehouse, target)
    assert _temp_files(target) == []


def test_a_data_folder_with_a_quote_in_its_path(tmp_path):
    warehouse = _warehouse(tmp_path / "it's data")
    target = warehouse.analyst_copy_path
    rows = analyst_copy.refresh(warehouse, target)
    assert "core.orders" in rows and target.exists()
    assert _temp_files(target) == []

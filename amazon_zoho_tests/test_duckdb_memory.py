"""Warehouse connections carry the DuckDB memory settings from Settings, and a query bigger than the limit spills
to the temp directory instead of failing (issue 17: bounded memory)."""

from pathlib import Path

import pytest

from amazon_zoho.resources import warehouse_resource
from amazon_zoho.settings import DEFAULT_DUCKDB_MEMORY_LIMIT, load, size_bytes


def _setting(conn, name: str) -> str:
    return conn.execute("SELECT current_setting(?)", [name]).fetchone()[0]


def test_defaults_bound_memory_and_spill_beside_the_warehouse(tmp_path):
    settings = load({"AMAZON_ZOHO_WAREHOUSE": str(tmp_path / "w" / "warehouse.duckdb")})
    assert settings.duckdb_memory_limit == DEFAULT_DUCKDB_MEMORY_LIMIT
    assert Path(settings.duckdb_temp_dir) == tmp_path / "w" / "duckdb_tmp"
    with warehouse_resource(settings).connect() as conn:
        # DuckDB reports sizes in its own units (512MB → "488.2 MiB"); compare bytes.
        assert size_bytes(_setting(conn, "memory_limit")) == pytest.approx(size_bytes(DEFAULT_DUCKDB_MEMORY_LIMIT), rel=1e-3)
        assert Path(_setting(conn, "temp_directory")) == tmp_path / "w" / "duckdb_tmp"
        default_threads = _setting(conn, "threads")
    assert default_threads >= 1


def test_connections_carry_the_configured_limit_threads_and_temp_directory(tmp_path):
    settings = load({
        "AMAZON_ZOHO_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "AMAZON_ZOHO_DUCKDB_MEMORY_LIMIT": "64MB",
        "AMAZON_ZOHO_DUCKDB_THREADS": "1",
        "AMAZON_ZOHO_DUCKDB_TEMP_DIR": str(tmp_path / "spill"),
    })
    with warehouse_resource(settings).connect() as conn:
        assert size_bytes(_setting(conn, "memory_limit")) == pytest.approx(64e6, rel=1e-3)
        assert _setting(conn, "threads") == 1
        assert Path(_setting(conn, "temp_directory")) == tmp_path / "spill"


def test_a_query_bigger_than_the_limit_spills_instead_of_failing(tmp_path):
    settings = load({
        "AMAZON_ZOHO_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "AMAZON_ZOHO_DUCKDB_MEMORY_LIMIT": "64MB",
        "AMAZON_ZOHO_DUCKDB_THREADS": "1",
        "AMAZON_ZOHO_DUCKDB_TEMP_DIR": str(tmp_path / "spill"),
    })
    with warehouse_resource(settings).connect() as conn:
        # ~3M rows × a 40-byte string: ~150 MB to sort, more than twice the limit.
        conn.execute("CREATE TEMP TABLE t AS SELECT i, md5(i::VARCHAR) || 'padding' AS s FROM range(3_000_000) r(i)")
        conn.execute("CREATE TEMP TABLE sorted AS SELECT * FROM t ORDER BY s")
        spilled = conn.execute("SELECT max(size) FROM duckdb_temporary_files()").fetchone()[0]
        first, count = conn.execute("SELECT min(s), count(*) FROM sorted").fetchone()
    assert count == 3_000_000 and first.endswith("padding")
    assert spilled and spilled > 0, "the sort fitted in memory: the test no longer exceeds the limit"

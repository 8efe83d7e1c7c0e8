"""An analyst keeps a DuckDB session open on the analyst copy throughout a run: neither side fails, and
the analyst sees the new data on reconnecting. The session lives in its own process, as a DuckDB CLI or a
notebook would."""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from amazon_zoho.amazon import marketplaces
from amazon_zoho.ops.analyst_copy import COPY_MEMORY_LIMIT, REDACTED_COLUMNS, _lower_memory_limit
from amazon_zoho.settings import size_bytes
from amazon_zoho_tests.core.built import pipeline_assets
from amazon_zoho_tests.truth import day_ago

# Connects once, says so, then queries on the same connection until told to stop; then reconnects.
READER = """
import json, pathlib, sys, time
import duckdb
path, stop = sys.argv[1], pathlib.Path(sys.argv[2])
conn = duckdb.connect(path, read_only=True)
count = lambda c: c.execute("SELECT count(*) FROM core.orders").fetchone()[0]
print(count(conn), flush=True)
seen, queries = set(), 0
while not stop.exists():
    seen.add(count(conn)); queries += 1
    time.sleep(0.01)
held = count(conn)
conn.close()
fresh = duckdb.connect(path, read_only=True)
print(json.dumps({"queries": queries, "seen": sorted(seen), "held": held, "fresh": count(fresh)}), flush=True)
"""


def _run(resources, day) -> dg.ExecuteInProcessResult:
    result = dg.materialize(pipeline_assets(), resources=resources, partition_key=day.isoformat())
    assert result.success
    return result


def test_a_reader_holding_the_analyst_copy_through_a_run_neither_fails_nor_blocks(resources, project_env, tmp_path):
    _run(resources, day_ago(3))
    copy = resources["warehouse"].analyst_copy_path
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(copy), str(stop)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        before = int(reader.stdout.readline())
        assert before > 0
        result = _run(resources, day_ago(2))  # the pipeline writes its warehouse and replaces the copy meanwhile
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    seen = json.loads(out)
    assert seen["queries"] > 0 and seen["seen"] == [before] and seen["held"] == before, "an open session reads one consistent snapshot"
    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        after = conn.execute("SELECT count(*) FROM core.orders").fetchone()[0]
    assert after > before and seen["fresh"] == after, "reconnecting shows the new run"
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(["ops", "analyst_copy"])]
    assert event.materialization.metadata["connect"].value == f"duckdb -readonly {copy}"


def test_the_copy_has_no_pii_and_keeps_the_data_dictionary(resources, project_env):
    result = _run(resources, day_ago(2))
    copy = resources["warehouse"].analyst_copy_path
    with duckdb.connect(str(copy), read_only=True) as conn:
        schemas = {s for (s,) in conn.execute("SELECT DISTINCT schema_name FROM duckdb_tables()"
                                              " UNION SELECT schema_name FROM duckdb_schemas() WHERE NOT internal").fetchall()}
        assert "pii" not in schemas and {"raw", "core", "marts", "ops"} <= schemas
        redacted = conn.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'ops' AND column_name IN ?", [list(REDACTED_COLUMNS)]
        ).fetchall()
        for table, column in redacted:
            assert conn.execute(f'SELECT count("{column}") FROM ops."{table}"').fetchone()[0] == 0, f"ops.{table}.{column}"
        # Unsalted md5s of each pushed field, Email and names among them: a reader could test guesses against them.
        assert ("zoho_sync_state", "field_hashes") in redacted
        assert conn.execute("SELECT count(*) FROM duckdb_columns() WHERE schema_name IN ('core', 'marts') AND comment IS NULL").fetchone()[0] == 0
        copied = conn.execute("SELECT count(*) FROM marts.settlement_reconciliation").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM core.marketplaces").fetchone()[0] == len(marketplaces.load()), "reference rows too"
        run_id, orders_through = conn.execute("SELECT run_id, orders_through FROM ops.analyst_copy_info").fetchone()
        assert run_id == result.run_id and orders_through == day_ago(2), "the copy says how fresh it is"
    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM marts.settlement_reconciliation").fetchone()[0] == copied > 0


def test_the_copy_waits_for_every_asset_whose_tables_it_copies():
    """Raw, core, marts and the Zoho push (its sync rows are in ops): the copy is taken after all of them, so it holds
    the whole run's result, the current run's Zoho sync included."""
    from amazon_zoho.definitions import defs

    graph = defs.resolve_asset_graph()
    copy = dg.AssetKey(["ops", "analyst_copy"])
    others = {k for k in graph.get_all_asset_keys() if k.path[0] != "ops"}
    assert {dg.AssetKey(["zoho", "sales_orders"]), dg.AssetKey(["marts", "daily_sales"])} <= others
    assert graph.get(copy).parent_keys == others


def test_the_duckdb_cli_the_project_installs_opens_the_copy(resources, project_env):
    """The command line analysts get with the project (duckdb-cli, pinned in constraints.txt, which reads older storage
    formats than the pipeline's DuckDB writes) reads the copy and finds what the pipeline's own DuckDB finds."""
    _run(resources, day_ago(2))
    copy = resources["warehouse"].analyst_copy_path
    cli = Path(sys.executable).with_name("duckdb")
    assert cli.exists(), "duckdb-cli is a dependency of the project: make install puts .venv/bin/duckdb there"
    query = "SELECT count(*), sum(order_total) FROM core.orders"
    shown = subprocess.run([str(cli), "-readonly", "-csv", "-noheader", str(copy), "-c", query],
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    with duckdb.connect(str(copy), read_only=True) as conn:
        count, total = conn.execute(query).fetchone()
    assert shown.stdout.strip() == f"{count},{total}" and count > 0
    # The storage version an older DuckDB reads; the pipeline's own would be newer.
    with duckdb.connect() as conn:
        conn.execute("ATTACH '" + str(copy).replace("'", "''") + "' AS copy (READ_ONLY)")  # DuckDB 1.5 binds no ATTACH parameter
        [(version,)] = conn.execute("SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = 'copy'").fetchall()
    assert version in (None, "v1.0.0+") or version.startswith("v1.0"), version


# The oldest DuckDB the copy promises (ops/analyst_copy.py STORAGE_VERSION): the duckdb 1.0.0 wheel from PyPI, which
# `make test` puts in .venv/duckdb-1.0.0, read in a process of its own with that folder first on its path.
OLD_DUCKDB = Path(sys.executable).parent.parent / "duckdb-1.0.0"
OLD_READER = """
import json, sys
import duckdb
conn = duckdb.connect(sys.argv[1], read_only=True)
tables = conn.execute("SELECT schema_name || '.' || table_name FROM duckdb_tables() ORDER BY 1").fetchall()
print(json.dumps({"version": duckdb.__version__, "tables": [t for (t,) in tables],
                  "orders": conn.execute("SELECT count(*), sum(order_total)::VARCHAR FROM core.orders").fetchone(),
                  "mart": conn.execute("SELECT count(*) FROM marts.daily_sales").fetchone()[0]}))
"""


def test_duckdb_1_0_opens_the_copy_and_reads_what_the_pipeline_wrote(resources, project_env):
    """Truth from outside our DuckDB: DuckDB 1.0.0 itself. It refused the copy while its tables had keys (analyst_copy.
    _drop_keys), although the file was written in its storage format."""
    if not (OLD_DUCKDB / "duckdb" / "__init__.py").exists():
        pytest.skip(f"DuckDB 1.0.0 is not installed in {OLD_DUCKDB} (make test installs it there)")
    _run(resources, day_ago(2))
    copy = resources["warehouse"].analyst_copy_path
    done = subprocess.run([sys.executable, "-c", OLD_READER, str(copy)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(OLD_DUCKDB)})
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    with duckdb.connect(str(copy), read_only=True) as conn:
        tables = [t for (t,) in conn.execute("SELECT schema_name || '.' || table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        orders = list(conn.execute("SELECT count(*), sum(order_total)::VARCHAR FROM core.orders").fetchone())
        keys = conn.execute("SELECT count(*) FROM duckdb_constraints() WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE')").fetchone()[0]
        not_null = conn.execute("SELECT count(*) FROM duckdb_columns() WHERE NOT is_nullable").fetchone()[0]
        commented = conn.execute("SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'core' AND comment IS NOT NULL").fetchone()[0]
        [(said,)] = conn.execute("SELECT comment FROM duckdb_tables() WHERE schema_name = 'raw' AND table_name = 'order_versions'").fetchall()
    assert seen["version"] == "1.0.0"
    assert seen["tables"] == tables and "raw.order_versions" in tables and seen["orders"] == orders and orders[0] > 0
    assert seen["mart"] > 0
    assert keys == 0 and not_null > 0 and commented > 0, "no keys; the NOT NULLs and the comments stay"
    assert said.endswith("Keys in the warehouse: PRIMARY KEY (order_id, payload_hash).") and len(said) > 80, said


def test_a_table_is_copied_a_slice_per_transaction_and_whole(resources, project_env, monkeypatch):
    """Issue #17: one transaction holding a year of raw.order_versions ran out of DuckDB's 512 MB; slices of COPY_ROWS
    rows each commit on their own, and the copy still holds every row of every table, deleted rowids included."""
    from amazon_zoho.ops import analyst_copy

    monkeypatch.setattr(analyst_copy, "COPY_ROWS", 5)
    with resources["warehouse"].connect() as conn:  # a gap in rowid, as a delete leaves
        conn.execute("CREATE OR REPLACE TABLE ops.slice_probe AS SELECT range AS n FROM range(23)")
        conn.execute("DELETE FROM ops.slice_probe WHERE n BETWEEN 4 AND 11")
    _run(resources, day_ago(2))
    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        source = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("raw.order_versions", "core.order_lines", "ops.slice_probe")}
    with duckdb.connect(str(resources["warehouse"].analyst_copy_path), read_only=True) as conn:
        copied = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in source}
        probe = [n for (n,) in conn.execute("SELECT n FROM ops.slice_probe ORDER BY n").fetchall()]
    assert copied == source and source["raw.order_versions"] > 5 and probe == [0, 1, 2, 3, *range(12, 23)]


def test_the_copy_runs_under_its_own_lower_memory_limit_and_puts_the_warehouses_back():
    """Issue #17: the copy streams COPY_ROWS at a time, so it runs at COPY_MEMORY_LIMIT when the warehouse allows more
    (the copy was the run's highest step at 10,000 orders a day), never above what the warehouse allows, and leaves
    the instance's limit as it found it (another connection of the process may share the instance)."""
    def limit(conn):
        # DuckDB prints the limit rounded ("244.1 MiB"): compared to a tenth of a per cent.
        return pytest.approx(size_bytes(conn.execute("SELECT current_setting('memory_limit')").fetchone()[0]), rel=1e-3)

    with duckdb.connect(config={"memory_limit": "512MB"}) as conn:
        [restore] = _lower_memory_limit(conn, "512MB")
        assert limit(conn) == size_bytes(COPY_MEMORY_LIMIT)
        conn.execute(restore)
        assert limit(conn) == size_bytes("512MB")
    with duckdb.connect(config={"memory_limit": "64MB"}) as conn:
        assert _lower_memory_limit(conn, "64MB") == []
        assert limit(conn) == size_bytes("64MB")
    assert size_bytes("488.2 MiB") == round(488.2 * 2**20) and size_bytes("512MB") == 512 * 10**6


def test_the_copy_is_written_in_small_row_groups_and_leaves_the_instances_threads_alone(resources, project_env, monkeypatch):
    """Issue #17: DuckDB compresses a row group's columns outside its memory limit, a row group per thread at once, so the
    copy writes COPY_ROW_GROUP_SIZE rows per row group. It does not touch DuckDB's threads, which every connection of the
    process shares: `SET threads` while another connection's query ran on DuckLake hung CI (analyst_copy.py)."""
    from amazon_zoho.ops import analyst_copy

    monkeypatch.setattr(analyst_copy, "COPY_ROW_GROUP_SIZE", 2048)  # DuckDB's smallest: one vector
    seen = []
    real = analyst_copy._copy_tables
    with resources["warehouse"].connect() as conn:
        conn.execute("CREATE OR REPLACE TABLE ops.row_group_probe AS SELECT range AS n, md5(range::VARCHAR) AS h FROM range(5000)")
        conn.execute("SET threads = 3")

        def copy_tables(copying, main):
            # Read from the other connection, as another backfill's would see it, while the copy runs.
            seen.append(conn.execute("SELECT current_setting('threads')").fetchone()[0])
            return real(copying, main)

        monkeypatch.setattr(analyst_copy, "_copy_tables", copy_tables)
        target = resources["warehouse"].analyst_copy_path
        analyst_copy.refresh(resources["warehouse"], target)
        # The refresh's connection shares this one's database instance (one file, one instance per process).
        assert conn.execute("SELECT current_setting('threads')").fetchone()[0] == 3
    with duckdb.connect(str(target), read_only=True) as conn:
        groups = conn.execute("SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('ops.row_group_probe')").fetchone()[0]
        assert conn.execute("SELECT count(*), count(DISTINCT h) FROM ops.row_group_probe").fetchone() == (5000, 5000)
    assert seen == [3] and groups == 3  # 2,048 + 2,048 + 904

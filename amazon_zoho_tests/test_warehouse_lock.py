"""Two writers on one DuckDB file: the second waits for the first instead of failing."""

import subprocess
import sys
import textwrap

from amazon_zoho.warehouse import WarehouseResource

HOLDER = textwrap.dedent("""
    import sys, time, duckdb
    conn = duckdb.connect(sys.argv[1])
    conn.execute("CREATE TABLE IF NOT EXISTS held (n INTEGER)")
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    conn.execute("INSERT INTO held VALUES (1)")
    conn.close()
""")


def test_a_second_writer_waits_for_the_lock_then_writes(tmp_path):
    path = str(tmp_path / "w.duckdb")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, path, "2"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        with WarehouseResource(database=path, lock_timeout_seconds=60).connect() as conn:
            # We only get here once the other process let go, so its write is visible.
            assert conn.execute("SELECT count(*) FROM held").fetchone()[0] == 1
            conn.execute("INSERT INTO held VALUES (2)")
    finally:
        holder.wait(timeout=30)
    assert holder.returncode == 0


def test_the_wait_is_bounded(tmp_path):
    path = str(tmp_path / "w.duckdb")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, path, "20"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        try:
            with WarehouseResource(database=path, lock_timeout_seconds=1).connect():
                raise AssertionError("connected while another process held the lock")
        except Exception as exc:  # noqa: BLE001 - the point is which error surfaces
            assert "Could not set lock" in str(exc)
    finally:
        holder.kill()
        holder.wait()


def test_the_warehouse_is_dagsters_duckdb_resource_with_our_connection(tmp_path):
    """Assets written against dagster-duckdb's API get the same connection as ours: schema, UTC, clock_now(),
    and the DuckDB settings of connection_config."""
    from dagster_duckdb import DuckDBResource

    warehouse = WarehouseResource(database=str(tmp_path / "w.duckdb"), connection_config={"threads": 1})
    assert isinstance(warehouse, DuckDBResource)
    with warehouse.get_connection() as conn:
        assert conn.execute("SELECT current_setting('threads'), current_setting('TimeZone')").fetchone() == (1, "UTC")
        assert conn.execute("SELECT count(*) FROM ops.schema_version").fetchone()[0] == 1
        assert conn.execute("SELECT clock_now()").fetchone()[0] is not None

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


def test_rows_a_commit_appends_land_in_row_groups_of_the_configured_size(tmp_path):
    """A checkpoint compresses the row group a commit appended to outside DuckDB's memory limit; at DuckDB's 122,880
    rows of JSON payloads that was the 365-day peak (resource.ROW_GROUP_SIZE). A warehouse written before keeps its
    full-size row groups and takes new rows in small ones."""
    import duckdb

    from amazon_zoho.warehouse.resource import ROW_GROUP_SIZE, WarehouseResource

    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as old:  # a file written the way connections opened it before
        old.execute("CREATE TABLE t AS SELECT i, repeat('x', 100) AS p FROM range(50_000) r(i)")
    with WarehouseResource(database=str(path)).connect() as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("warehouse",)  # the name duckdb.connect gave it
        conn.execute("INSERT INTO t SELECT i, repeat('y', 100) FROM range(50_000, 100_000) r(i)")
        conn.execute("CHECKPOINT")
        groups = [n for (n,) in conn.execute(
            "SELECT max(count) FROM pragma_storage_info('t') GROUP BY row_group_id ORDER BY row_group_id").fetchall()]
    assert groups[0] == 50_000 and sum(groups) == 100_000
    assert groups[1:] and max(groups[1:]) == ROW_GROUP_SIZE < 122_880
    with duckdb.connect(str(path), read_only=True) as plain:  # any reader reads the file as one table
        assert plain.execute("SELECT count(*), count(DISTINCT i) FROM t").fetchone() == (100_000, 100_000)


def test_connections_of_one_process_share_one_database_and_refuse_a_second_mode(tmp_path):
    """As duckdb.connect(path) did: two connections at once see each other's commits, and the file is not opened
    read-only while this process writes it."""
    import duckdb

    from amazon_zoho.warehouse.resource import WarehouseResource

    warehouse = WarehouseResource(database=str(tmp_path / "warehouse.duckdb"))
    with warehouse.connect() as first, warehouse.connect() as second:
        first.execute("CREATE TABLE ops.shared AS SELECT 1 AS n")
        assert second.execute("SELECT n FROM ops.shared").fetchall() == [(1,)]
        with pytest.raises(duckdb.ConnectionException, match="open read-write in this process"):
            with warehouse.connect(read_only=True):
                pass
    with warehouse.connect(read_only=True) as reader:
        assert reader.execute("SELECT n FROM ops.shared").fetchall() == [(1,)]
        with pytest.raises(duckdb.Error, match="read-only"):
            reader.execute("INSERT INTO ops.shared VALUES (2)")
        with pytest.raises(duckdb.ConnectionException, match="open read-only in this process"):
            with warehouse.connect():
                pass


@pytest.mark.parametrize("name, database", [("memory.duckdb", "memory_db"), ("temp.duckdb", "temp_db"), ("a.b.duckdb", "a")])
def test_a_file_whose_name_duckdb_keeps_for_itself_is_still_the_file(tmp_path, name, database):
    """The instance that attaches the file has a database named memory of its own: a warehouse file called
    memory.duckdb must not write there (it did, silently, until the name was checked)."""
    import duckdb

    from amazon_zoho.warehouse.resource import WarehouseResource

    with WarehouseResource(database=str(tmp_path / name)).connect() as conn:
        conn.execute("CREATE TABLE ops.kept AS SELECT 1 AS n")
        assert conn.execute("SELECT current_database()").fetchone() == (database,)
    with duckdb.connect(str(tmp_path / name), read_only=True) as plain:
        assert plain.execute("SELECT n FROM ops.kept").fetchall() == [(1,)]

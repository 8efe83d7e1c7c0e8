"""A new mart is one SQL file in amazon_zoho/marts/sql/ and one line in MARTS (amazon_zoho/marts/assets.py).

Nothing else lists marts: the warehouse applies every mart file's DDL (warehouse/resource.py schema_ddl), the
analyst copy replays the same DDL and waits for every mart in MARTS, and each asset's docs come from the file's
COMMENT ONs. The last test adds two marts that way, in a copy of the marts folder, and follows them through.
"""

import re
import shutil

import dagster as dg
import duckdb
import pytest

from amazon_zoho.build import build_defs
from amazon_zoho.marts import assets
from amazon_zoho.marts.assets import MARTS, Mart
from amazon_zoho.ops import analyst_copy
from amazon_zoho.settings import load
from amazon_zoho.warehouse import WarehouseResource, docs, resource
from amazon_zoho_tests.truth import day_ago

CREATES = re.compile(r"^\s*CREATE\s+(OR\s+REPLACE\s+VIEW|TABLE\s+IF\s+NOT\s+EXISTS)\s+marts\.(\w+)\b", re.MULTILINE | re.IGNORECASE)


def _defs(tmp_path) -> dg.Definitions:
    return build_defs(load({"AMAZON_ZOHO_WAREHOUSE": str(tmp_path / "warehouse.duckdb"), "AMAZON_ZOHO_START_DATE": day_ago(20).isoformat()}))


def test_every_mart_file_has_one_row_in_marts_and_every_row_one_file():
    names = [m.name for m in MARTS]
    assert len(set(names)) == len(names), "one row per mart"
    assert sorted(names) == sorted(p.stem for p in assets.SQL_DIR.glob("*.sql"))
    # The warehouse finds the mart files by path (the marts import the warehouse, not the other way round).
    assert resource.MARTS_SQL.resolve() == assets.SQL_DIR.resolve()


@pytest.mark.parametrize("mart", MARTS, ids=lambda m: m.name)
def test_a_mart_file_creates_its_mart_and_a_tables_file_builds_its_window(mart):
    ddl, build = resource.ddl_and_build(mart.file.read_text())
    [(shape, created)] = CREATES.findall(ddl)
    assert created.lower() == mart.name and mart.table == shape.upper().startswith("TABLE") == bool(build)
    with duckdb.connect() as conn:
        assert {s.type.name for s in conn.extract_statements(ddl)} <= {"CREATE", "ALTER"}, "DDL and COMMENT ON only"
        if build:
            statements = conn.extract_statements(build)
            assert [s.type.name for s in statements][:1] == ["DELETE"] and {s.type.name for s in statements} <= {"DELETE", "INSERT"}
            assert all(s.named_parameters <= {"start", "end"} for s in statements)


def test_every_check_of_a_mart_is_a_query_in_sql_checks_and_every_query_a_check():
    checks = [f"{c.asset[-1]}_{c.name}" for m in MARTS for c in m.asset_checks]
    assert all(c.asset == m.key for m in MARTS for c in m.asset_checks)
    assert sorted(checks) == sorted(p.stem for p in (assets.SQL_DIR / "checks").glob("*.sql"))


def test_the_analyst_copy_waits_for_every_mart_in_marts(tmp_path):
    graph = _defs(tmp_path).resolve_asset_graph()
    waits_for = graph.get(dg.AssetKey(["ops", "analyst_copy"])).parent_keys
    assert {k for k in waits_for if k.path[0] == "marts"} == {dg.AssetKey(list(m.key)) for m in MARTS}


def test_the_ddl_is_the_warehouses_then_each_mart_after_the_marts_it_reads():
    names = [name for name, _ in resource.schema_ddl()]
    own = [n for n in names if n.startswith("warehouse/sql/")]
    assert names[: len(own)] == own == sorted(own) and "warehouse/sql/20_core.sql" in own
    assert sorted(names[len(own):]) == sorted(f"marts/sql/{m.name}.sql" for m in MARTS)
    marts = {
        "a": "CREATE VIEW marts.a AS SELECT * FROM marts.c JOIN \"marts\".\"b\" USING (x);",
        "b": "CREATE VIEW marts.b AS SELECT 1 AS x -- not marts.a\n; COMMENT ON VIEW marts.b IS 'unlike marts.a';",
        "c": "CREATE TABLE IF NOT EXISTS marts.c (x INTEGER);",
    }
    assert resource.dependency_order(marts) == ["b", "c", "a"], "comments and strings are no reads"
    with pytest.raises(ValueError, match="circle"):
        resource.dependency_order({**marts, "c": "CREATE VIEW marts.c AS FROM marts.a"})


# Two marts added the documented way: a table with its window build, and a view over it whose name sorts first.
STATUSES_PER_DAY = """\
CREATE TABLE IF NOT EXISTS marts.statuses_per_day (
    purchase_date DATE NOT NULL,
    status        VARCHAR,
    orders        INTEGER NOT NULL
);
COMMENT ON TABLE marts.statuses_per_day IS 'Orders per purchase day and status.';
COMMENT ON COLUMN marts.statuses_per_day.purchase_date IS 'UTC day the orders were placed.';
COMMENT ON COLUMN marts.statuses_per_day.status IS 'Normalized order status.';
COMMENT ON COLUMN marts.statuses_per_day.orders IS 'Orders placed.';

DELETE FROM marts.statuses_per_day WHERE purchase_date >= $start AND purchase_date < $end;
INSERT INTO marts.statuses_per_day BY NAME
SELECT purchase_date, status, count(*) AS orders FROM core.orders
WHERE purchase_date >= $start AND purchase_date < $end GROUP BY ALL;
"""
STATUS_TOTALS = """\
CREATE OR REPLACE VIEW marts.status_totals AS
SELECT status, sum(orders) AS orders FROM marts.statuses_per_day GROUP BY status;
COMMENT ON VIEW marts.status_totals IS 'Orders per status, all time.';
COMMENT ON COLUMN marts.status_totals.status IS 'Normalized order status.';
COMMENT ON COLUMN marts.status_totals.orders IS 'Orders with it.';
"""
NEW = [
    Mart("statuses_per_day", [["core", "orders"]], "purchase_date >= $start AND purchase_date < $end", "purchase_date, status, orders"),
    Mart("status_totals", [["marts", "statuses_per_day"]],
         "status IN (SELECT status FROM marts.statuses_per_day WHERE purchase_date >= $start AND purchase_date < $end)", "status, orders"),
]
NEW_KEYS = [dg.AssetKey(list(m.key)) for m in NEW]


@pytest.fixture
def add_the_new_marts(tmp_path, monkeypatch):
    """Adds NEW as a newcomer would (a file each in the marts folder, a row each in MARTS), in a copy of the folder."""
    folder = tmp_path / "marts_sql"
    folder.mkdir()
    for path in assets.SQL_DIR.glob("*.sql"):
        shutil.copy(path, folder)

    def add():
        (folder / "statuses_per_day.sql").write_text(STATUSES_PER_DAY)
        (folder / "status_totals.sql").write_text(STATUS_TOTALS)
        MARTS.extend(NEW)  # the one list; build_defs builds their assets and the analyst copy waits for them
        # What a new process (a deploy, a code location reload) would read afresh.
        resource._schema_ddl.cache_clear()
        docs._dictionary.cache_clear()

    monkeypatch.setattr(assets, "SQL_DIR", folder)
    monkeypatch.setattr(resource, "MARTS_SQL", folder)
    original = list(MARTS)
    try:
        yield add
    finally:
        MARTS[:] = original
        resource._schema_ddl.cache_clear()
        docs._dictionary.cache_clear()


def test_a_new_mart_is_one_sql_file_and_one_row_in_marts(add_the_new_marts, tmp_path):
    # A warehouse that exists before the marts are added; and the day's orders in core.
    warehouse = WarehouseResource(database=str(tmp_path / "warehouse.duckdb"))
    day = day_ago(2)
    with warehouse.connect() as conn:
        conn.execute(
            "INSERT INTO core.orders (order_id, marketplace_id, purchase_date, purchase_ts, status, line_count) VALUES "
            "('o-1', 'A1PA6795UKMFR9', $day, $day, 'shipped', 1), ('o-2', 'A1PA6795UKMFR9', $day, $day, 'shipped', 1), "
            "('o-3', 'A1PA6795UKMFR9', $day, $day, 'pending', 1)",
            {"day": day},
        )

    add_the_new_marts()
    assert [m.table for m in NEW] == [True, False], "a table because its file builds a window; a view because it does not"
    assert resource.dependency_order({m.name: (assets.SQL_DIR / f"{m.name}.sql").read_text() for m in NEW}) == [
        "statuses_per_day", "status_totals"], "the view is created after the table it reads, though its name sorts first"

    # The code location has the assets, documented from the file's comments, and the analyst copy waits for them.
    defs = _defs(tmp_path)
    graph = defs.resolve_asset_graph()
    totals = graph.get(NEW_KEYS[1])
    assert totals.description == "Orders per status, all time."
    assert [c.description for c in totals.metadata["dagster/column_schema"].columns] == ["Normalized order status.", "Orders with it."]
    assert set(NEW_KEYS) <= graph.get(dg.AssetKey(["ops", "analyst_copy"])).parent_keys

    # Materialized for the day: the table builds its window, the view reads it; the existing warehouse took both.
    result = dg.materialize(
        [a for a in defs.assets if set(a.keys) & set(NEW_KEYS)], resources={"warehouse": warehouse}, partition_key=day.isoformat()
    )
    assert result.success
    relation = {e.asset_key: e.materialization.metadata["relation"].value for e in result.get_asset_materialization_events()}
    assert relation == {NEW_KEYS[0]: "table", NEW_KEYS[1]: "view"}
    expected = [("pending", 1), ("shipped", 2)]
    with warehouse.connect() as conn:
        assert conn.execute("SELECT status, orders FROM marts.status_totals ORDER BY status").fetchall() == expected

    # A fresh warehouse has them from the start, and so does the analyst copy (same DDL, data copied).
    with WarehouseResource(database=str(tmp_path / "fresh.duckdb")).connect() as conn:
        assert conn.execute(
            "SELECT view_name, comment FROM duckdb_views() WHERE schema_name = 'marts' AND view_name = 'status_totals'"
        ).fetchall() == [("status_totals", "Orders per status, all time.")]
    copy = tmp_path / "analyst.duckdb"
    analyst_copy.refresh(warehouse, copy)
    with duckdb.connect(str(copy), read_only=True) as conn:
        assert conn.execute("SELECT status, orders FROM marts.status_totals ORDER BY status").fetchall() == expected
        assert conn.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'statuses_per_day'").fetchall() == [
            ("Orders per purchase day and status.",)
        ]

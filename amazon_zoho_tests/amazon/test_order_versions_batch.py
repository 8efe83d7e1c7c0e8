"""insert_order_versions.sql checks a batch against the versions already held of the batch's own orders only (issue
#17: it anti-joined every 200-order batch against all of raw.order_versions, a cost growing with the table). The
rules hold whatever else the table holds: a version already stored is not stored again, one repeating a stored state
with less detail is not stored, a changed order adds a row; and the table is read only for the batch's keys."""

import json
import re
from datetime import datetime, timezone

import pandas as pd
import pytest

from amazon_zoho.amazon import steps as amazon_steps
from amazon_zoho.amazon.order_store import INCOMING_COLUMNS
from amazon_zoho.amazon.steps import INSERT_ORDER_VERSIONS
from amazon_zoho.warehouse import WarehouseResource, sql

AT = datetime(2026, 11, 2, 12, tzinfo=timezone.utc)


def _payload(order_id: str, updated: str, buyer: bool = False) -> str:
    # The Orders API v2026-01-01 fields the step reads (createdTime, lastUpdatedTime, salesChannel.marketplaceId);
    # buyerKey is what pii_split leaves of a buyer (amazon/pii_split.py).
    order = {"orderId": order_id, "createdTime": "2026-11-01T10:00:00Z", "lastUpdatedTime": updated,
             "salesChannel": {"marketplaceId": "A1PA6795UKMFR9"}}
    return json.dumps({**order, **({"buyerKey": "k"} if buyer else {})})


def _incoming(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame([(oid, "A1PA6795UKMFR9", payload, None, source, AT) for oid, payload, source in rows], columns=INCOMING_COLUMNS)


@pytest.fixture
def conn(tmp_path):
    with WarehouseResource(database=str(tmp_path / "w.duckdb")).connect() as conn:
        yield conn


@pytest.fixture(params=["by the list of the batch's ids", "by a semi-join on them"])
def by_list(request) -> bool:
    return request.param.startswith("by the list")


def _store(conn, by_list: bool, *rows) -> list[str]:
    ids = sorted({oid for oid, _, _ in rows})
    INSERT_ORDER_VERSIONS.run(conn, {"order_ids": ids if by_list else None}, incoming=_incoming(*rows))
    return sorted(oid for (oid,) in conn.execute("SELECT order_id FROM new_versions").fetchall())


def test_a_batch_is_judged_against_its_own_orders_versions_whatever_else_the_table_holds(conn, by_list):
    """The same rules whichever way the held versions are found (a small API batch passes its ids, a report's part
    does not: order_store.ID_LIST_MAX)."""
    others = [(f"302-{i:07d}-0000000", _payload(f"302-{i:07d}-0000000", "2026-11-01T11:00:00Z", buyer=True), "searchOrders") for i in range(500)]
    assert len(_store(conn, by_list, *others)) == 500
    api = _payload("303-0000001-0000001", "2026-11-01T11:00:00Z", buyer=True)
    assert _store(conn, by_list, ("303-0000001-0000001", api, "searchOrders")) == ["303-0000001-0000001"]

    # The same version again, and the same state from a report (less detail): nothing new.
    report = _payload("303-0000001-0000001", "2026-11-01T11:00:00Z")
    assert _store(conn, by_list, ("303-0000001-0000001", api, "searchOrders"), ("303-0000001-0000001", report, "report")) == []
    # A changed order, and a new one beside an order held already: stored.
    changed = _payload("303-0000001-0000001", "2026-11-02T09:00:00Z", buyer=True)
    new = _payload("303-0000002-0000002", "2026-11-01T11:00:00Z")
    assert _store(conn, by_list, ("303-0000001-0000001", changed, "searchOrders"), ("303-0000002-0000002", new, "report"), others[0]) == [
        "303-0000001-0000001", "303-0000002-0000002"]
    [(versions,)] = conn.execute("SELECT count(*) FROM raw.order_versions WHERE order_id = '303-0000001-0000001'").fetchall()
    assert versions == 2


def test_the_table_is_read_only_for_the_batchs_keys():
    text = sql(amazon_steps.__file__, "insert_order_versions.sql")
    assert len(re.findall(r"\braw\.order_versions\s+v\b", text)) == 1, "raw.order_versions is read once, in `held`"
    held = text[text.index("held AS ("):].split("\n)\n", 1)[0]
    assert "FROM raw.order_versions v" in held and "THEN v.order_id IN (SELECT b.order_id FROM typed b)" in held
    assert "ELSE list_contains($order_ids, v.order_id)" in held
    assert text.count("SELECT 1 FROM held v") == 2, "both checks read `held`, not the table"


def test_given_the_batchs_ids_the_scan_filters_on_the_id_before_it_reads_a_payload(conn):
    """Why a small batch passes its ids (insert_order_versions.sql): DuckDB pushes the constant list_contains into the
    table scan, which then reads a payload only for the rows whose id passed; the semi-join scans every payload and
    drops them after the join. Asserted on DuckDB's plan of `held` as the file writes it."""
    text = sql(amazon_steps.__file__, "insert_order_versions.sql")
    held = text[text.index("held AS (") + len("held AS ("):].split("\n)\n", 1)[0]
    conn.execute("CREATE OR REPLACE TEMP MACRO order_detail(src, p) AS 0")
    conn.execute("CREATE OR REPLACE TEMP TABLE typed AS SELECT '303-0000001-0000001' AS order_id")

    def scan(ids) -> str:
        plan = "\n".join(row[1] for row in conn.execute(f"EXPLAIN WITH held AS ({held}) SELECT * FROM held", {"order_ids": ids}).fetchall())
        return plan[plan.index("SEQ_SCAN"):] if "SEQ_SCAN" in plan else plan[plan.index("TABLE_SCAN"):]

    assert "list_contains" in scan(["303-0000001-0000001"]).split("└")[0], "the id filter is the scan's own"
    assert "list_contains" not in scan(None), "without ids, the semi-join"


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


def _store(conn, *rows) -> list[str]:
    INSERT_ORDER_VERSIONS.run(conn, incoming=_incoming(*rows))
    return sorted(oid for (oid,) in conn.execute("SELECT order_id FROM new_versions").fetchall())


def test_a_batch_is_judged_against_its_own_orders_versions_whatever_else_the_table_holds(conn):
    others = [(f"302-{i:07d}-0000000", _payload(f"302-{i:07d}-0000000", "2026-11-01T11:00:00Z", buyer=True), "searchOrders") for i in range(500)]
    assert len(_store(conn, *others)) == 500
    api = _payload("303-0000001-0000001", "2026-11-01T11:00:00Z", buyer=True)
    assert _store(conn, ("303-0000001-0000001", api, "searchOrders")) == ["303-0000001-0000001"]

    # The same version again, and the same state from a report (less detail): nothing new.
    report = _payload("303-0000001-0000001", "2026-11-01T11:00:00Z")
    assert _store(conn, ("303-0000001-0000001", api, "searchOrders"), ("303-0000001-0000001", report, "report")) == []
    # A changed order, and a new one beside an order held already: stored.
    changed = _payload("303-0000001-0000001", "2026-11-02T09:00:00Z", buyer=True)
    new = _payload("303-0000002-0000002", "2026-11-01T11:00:00Z")
    assert _store(conn, ("303-0000001-0000001", changed, "searchOrders"), ("303-0000002-0000002", new, "report"), others[0]) == [
        "303-0000001-0000001", "303-0000002-0000002"]
    [(versions,)] = conn.execute("SELECT count(*) FROM raw.order_versions WHERE order_id = '303-0000001-0000001'").fetchall()
    assert versions == 2


def test_the_table_is_read_only_for_the_batchs_keys():
    text = sql(amazon_steps.__file__, "insert_order_versions.sql")
    assert len(re.findall(r"\braw\.order_versions\s+v\b", text)) == 1, "raw.order_versions is read once, in `held`"
    held = text[text.index("held AS ("):].split("\n)\n", 1)[0]
    assert "FROM raw.order_versions v" in held and "WHERE v.order_id IN (SELECT b.order_id FROM typed b)" in held
    assert text.count("SELECT 1 FROM held v") == 2, "both checks read `held`, not the table"

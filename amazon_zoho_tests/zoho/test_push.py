"""The Zoho push against the sandbox: partial failures become dead letters and heal, and a lost id map
(a crash between Zoho's answer and our write) repairs itself without duplicating records."""

from collections import Counter

import dagster as dg
import duckdb

from amazon_zoho.definitions import defs
from amazon_zoho_tests.truth import day_ago, zoho_records

MODULE_KEYS = {"Contacts": "Amazon_Buyer_Key", "Products": "Amazon_SKU", "Sales_Orders": "Amazon_Order_ID"}


def _run(resources, day) -> dg.ExecuteInProcessResult:
    result = dg.materialize(list(defs.assets), resources=resources, partition_key=day.isoformat())
    assert result.success
    return result


def _no_duplicates(sandbox_url: str) -> dict[str, int]:
    counts = {}
    for module, key in MODULE_KEYS.items():
        records = zoho_records(sandbox_url, module)
        assert not [k for k, n in Counter(r.get(key) for r in records).items() if n > 1], module
        counts[module] = len(records)
    return counts


def test_rejected_records_become_dead_letters_then_heal(sandbox, resources, project_env):
    day = day_ago(2)
    sandbox.app.set_config({"fault_zoho_invalid_rate": 0.3})
    first = _run(resources, day)
    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        letters = conn.execute("SELECT module, error_code, error_field, payload FROM ops.zoho_dead_letters").fetchall()
    failed = sum(
        e.materialization.metadata["failed"].value
        for e in first.get_asset_materialization_events()
        if e.asset_key.path[0] == "zoho"
    )
    assert letters and failed == len(letters)
    assert {code for _, code, _, _ in letters} <= {"INVALID_DATA", "MAPPING_ERROR"}
    assert all(payload for *_, payload in letters), "a dead letter keeps the payload we tried to send"
    assert any(field for _, code, field, _ in letters if code == "INVALID_DATA"), "Zoho's api_name is recorded"

    sandbox.app.set_config({"fault_zoho_invalid_rate": 0.0})
    _run(resources, day)
    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM ops.zoho_dead_letters").fetchone()[0] == 0
        orders = conn.execute("SELECT count(*) FROM core.orders WHERE order_status <> 'PENDING'").fetchone()[0]
    assert _no_duplicates(sandbox.url)["Sales_Orders"] == orders


def test_lost_id_map_is_repaired_by_upsert_not_duplicated(sandbox, resources, project_env):
    day = day_ago(2)
    _run(resources, day)
    before = _no_duplicates(sandbox.url)
    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"]) as conn:
        ids = dict(conn.execute("SELECT module || ':' || record_key, zoho_id FROM ops.zoho_sync_state").fetchall())
        conn.execute("DELETE FROM ops.zoho_sync_state")  # as if we crashed before recording Zoho's answers

    again = _run(resources, day)

    assert _no_duplicates(sandbox.url) == before
    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        assert dict(conn.execute("SELECT module || ':' || record_key, zoho_id FROM ops.zoho_sync_state").fetchall()) == ids
    pushed = {e.asset_key.path[1]: e.materialization.metadata for e in again.get_asset_materialization_events() if e.asset_key.path[0] == "zoho"}
    assert all(m["inserted"].value == 0 and m["updated"].value > 0 for m in pushed.values())

"""The Zoho push against the sandbox: partial failures become dead letters and heal, an unchanged re-run
costs no credits, and a lost id map (a crash between Zoho's answer and our write) repairs itself
without duplicating records or line items."""

import json

import duckdb

from amazon_zoho_tests.truth import day_ago
from amazon_zoho_tests.zoho.helpers import assert_zoho_matches_warehouse, credits_used, load_day, no_duplicates, push, pushed, query


def test_rejected_records_become_dead_letters_then_heal(sandbox, resources, project_env):
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    load_day(resources, day)
    sandbox.app.set_config({"fault_zoho_invalid_rate": 0.3})
    first = pushed(push(resources, day))
    letters = query(warehouse, "SELECT module, error_code, error_field, payload FROM ops.zoho_dead_letters")
    assert letters and sum(m["failed"] for m in first.values()) == len(letters)
    assert {code for _, code, _, _ in letters} <= {"INVALID_DATA", "MAPPING_ERROR"}
    assert all(payload for *_, payload in letters), "a dead letter keeps the payload we tried to send"
    contacts = [json.loads(p) for m, _, _, p in letters if m == "Contacts" and json.loads(p).get("Email")]
    assert all(c["Email"] == "[redacted: email]" for c in contacts), "buyer details stay in the pii schema"
    assert any(field for _, code, field, _ in letters if code == "INVALID_DATA"), "Zoho's api_name is recorded"

    sandbox.app.set_config({"fault_zoho_invalid_rate": 0.0})
    push(resources, day)
    assert query(warehouse, "SELECT count(*) FROM ops.zoho_dead_letters") == [(0,)]
    orders = query(warehouse, "SELECT count(*) FROM core.orders WHERE order_status <> 'PENDING'")[0][0]
    assert no_duplicates(sandbox.url)["Sales_Orders"] == orders
    assert_zoho_matches_warehouse(sandbox.url, warehouse)


def test_unchanged_rerun_is_free_and_a_lost_id_map_is_repaired_not_duplicated(sandbox, resources, project_env):
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    load_day(resources, day)
    push(resources, day)
    spent = credits_used(sandbox.url)

    unchanged = pushed(push(resources, day))

    assert credits_used(sandbox.url) == spent, "nothing to push means no call at all, not even the preflight"
    assert all(m["inserted"] == m["updated"] == m["failed"] == m["zoho_credits_used"] == 0 and m["unchanged"] > 0 for m in unchanged.values())
    assert "| finished |" in unchanged["sales_orders"]["sync_history"], "ops.sync_runs is shown in the metadata"

    before = no_duplicates(sandbox.url)
    ids = dict(query(warehouse, "SELECT module || ':' || record_key, zoho_id FROM ops.zoho_sync_state"))
    with duckdb.connect(warehouse) as conn:
        conn.execute("DELETE FROM ops.zoho_sync_state")  # as if we crashed before recording Zoho's answers

    again = pushed(push(resources, day))

    assert no_duplicates(sandbox.url) == before
    assert dict(query(warehouse, "SELECT module || ':' || record_key, zoho_id FROM ops.zoho_sync_state")) == ids
    assert all(m["inserted"] == 0 and m["updated"] > 0 for m in again.values())
    # Zoho appended the re-sent line items to the orders' existing rows; the copies were deleted.
    assert again["sales_orders"]["line_item_repairs"] == again["sales_orders"]["updated"]
    assert_zoho_matches_warehouse(sandbox.url, warehouse)
    assert query(warehouse, "SELECT count(*) FROM ops.zoho_sync_state WHERE lines_to_prune OR status <> 'synced'") == [(0,)]

"""The push under the faults of issue #14, against the sandbox: answers one result short never map ids to other
records; titles longer than Zoho's field are fitted, not dead-lettered, while the warehouse keeps them whole; a
payload Zoho keeps refusing is held until it changes; a run that leaves refusals fails its check with what Zoho
said; a buyer name with a newline keeps its first name."""

import json
from datetime import timedelta

import dagster as dg
import duckdb
import pytest

from amazon_zoho.zoho.mapping import DEFAULT_PATH, load
from amazon_zoho.zoho.sync import prepare
from amazon_zoho_tests.truth import day_ago
from amazon_zoho_tests.zoho.helpers import assert_zoho_matches_warehouse, load_day, no_duplicates, push, pushed, query, records


def _check(result: dg.ExecuteInProcessResult, asset: str) -> dg.AssetCheckEvaluation:
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.asset_key.path == ["zoho", asset]]
    return evaluation


def test_short_answers_map_no_record_to_another_and_heal(sandbox, resources, project_env):
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    load_day(resources, day)
    sandbox.app.set_config({"fault_zoho_short_answer_rate": 1.0})  # every answer of 2+ records is one short

    first = push(resources, day, write_api="upsert")

    letters = query(warehouse, "SELECT DISTINCT error_code FROM ops.zoho_dead_letters WHERE module <> 'Sales_Orders' OR error_code <> 'MAPPING_ERROR'")
    assert ("ANSWER_MISMATCH",) in letters
    assert query(warehouse, "SELECT count(*) FROM ops.zoho_sync_state WHERE status = 'synced' AND zoho_id IS NOT NULL AND module = 'Products'") == [(0,)], \
        "no product id is taken from an answer that does not fit its batch"
    assert not _check(first, "products").passed, "the run says records were left failed"

    sandbox.app.set_config({"fault_zoho_short_answer_rate": 0.0})
    push(resources, day, write_api="upsert")
    assert query(warehouse, "SELECT count(*) FROM ops.zoho_dead_letters") == [(0,)]
    no_duplicates(sandbox.url)
    assert_zoho_matches_warehouse(sandbox.url, warehouse)  # every id in the map is the record holding its key


# On the upsert path Python fits each page's payloads; on the Bulk Write path DuckDB writes the job's CSV and calls the
# same fit for the values too long (bulk_files.py): Zoho must end up with the same fitted text either way.
@pytest.mark.parametrize("write_api", ["upsert", "bulk"])
def test_titles_longer_than_the_field_are_fitted_and_the_warehouse_keeps_them(sandbox, resources, project_env, write_api):
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    load_day(resources, day)
    sandbox.app.set_config({"zoho_text_field_length": 12})

    result = push(resources, day, write_api)

    metadata = pushed(result)
    assert {m["path"] for m in metadata.values()} == {write_api}
    assert query(warehouse, "SELECT count(*) FROM ops.zoho_dead_letters") == [(0,)]
    assert json.loads(metadata["products"]["truncated_to_field_length"])["Product_Name"] > 0
    assert _check(result, "products").passed and _check(result, "sales_orders").passed
    titles = dict(query(warehouse, "SELECT sku, title FROM core.products"))
    for product in records(sandbox.url, "Products"):
        name, title = product["Product_Name"], titles[product["Amazon_SKU"]]
        assert len(name) <= 12 and (name == title or (name.endswith("…") and title.startswith(name[:-1].rstrip())))
    assert any(len(t) > 12 for t in titles.values()), "the warehouse keeps the whole title"
    spent = pushed(push(resources, day, write_api))
    assert all(m["zoho_credits_used"] == 0 for m in spent.values()), "a fitted payload is not sent again and again"


def test_a_payload_zoho_keeps_refusing_is_held_until_it_changes(sandbox, resources, project_env):
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    load_day(resources, day)
    sandbox.app.set_config({"fault_zoho_invalid_rate": 1.0})
    for _ in range(3):
        push(resources, day, modules=("products",))
    [(refused,)] = query(warehouse, "SELECT count(*) FROM ops.zoho_dead_letters WHERE module = 'Products' AND payload_failures = 3")
    assert refused > 0

    held = pushed(push(resources, day, modules=("products",)))["products"]

    assert held["held_unchanged_rejects"] == refused and held["zoho_calls"] == 0, "the same payload is not sent a fourth time"
    assert query(warehouse, "SELECT count(*) FROM ops.zoho_dead_letters WHERE module = 'Products'") == [(refused,)]
    sandbox.app.set_config({"fault_zoho_invalid_rate": 0.0})
    with duckdb.connect(warehouse) as conn:
        conn.execute("UPDATE core.products SET title = title || ' (new)'")  # the payload changes: sent again
    again = pushed(push(resources, day, modules=("products",)))["products"]
    assert again["held_unchanged_rejects"] == 0 and again["inserted"] == refused
    assert query(warehouse, "SELECT count(*) FROM ops.zoho_dead_letters WHERE module = 'Products'") == [(0,)]


def test_a_run_that_leaves_refusals_fails_its_check_with_what_zoho_said(sandbox, resources, project_env):
    day = day_ago(2)
    load_day(resources, day)
    sandbox.app.set_config({"fault_zoho_invalid_rate": 1.0})
    result = push(resources, day, modules=("products",))
    check = _check(result, "products")
    assert result.success, "everything that can land lands; the run is not aborted"
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    said = check.metadata["zoho_said"].value
    assert "INVALID_DATA" in said and "invalid data" in said


def test_a_buyer_name_with_a_newline_keeps_its_first_name(sandbox, resources, project_env):
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    load_day(resources, day)
    window = (day, day + timedelta(days=1))
    with duckdb.connect(warehouse) as conn:
        prepare(conn, load(DEFAULT_PATH), "Contacts", *window)
        [(order_id, key)] = conn.execute(
            "SELECT oc.order_id, oc.contact_key FROM order_contact oc JOIN pii.order_contacts pc USING (order_id) JOIN pending p"
            " ON p.record_key = oc.contact_key WHERE pc.buyer_email IS NOT NULL AND (p.payload->>'First_Name') IS NOT NULL"
            " ORDER BY oc.purchase_ts DESC LIMIT 1").fetchall()
        conn.execute("UPDATE pii.order_contacts SET buyer_name = 'Anna\nMaria \t Schmidt' WHERE order_id = ?", [order_id])
        prepare(conn, load(DEFAULT_PATH), "Contacts", *window)
        [(payload,)] = conn.execute("SELECT payload FROM pending WHERE record_key = ?", [key]).fetchall()
    contact = json.loads(payload)
    assert (contact["First_Name"], contact["Last_Name"]) == ("Anna Maria", "Schmidt")

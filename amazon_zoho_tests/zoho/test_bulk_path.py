"""Upsert and Bulk Write give the same Zoho: the same warehouse pushed into two orgs, one record API call
per 100 records in one and Bulk Write jobs in the other, leaves identical records (ids aside) and id
maps that each point at their own org's records, for inserts and for updates."""

import json
import shutil

import duckdb

from amazon_zoho.resources import build_resources
from amazon_zoho.sandbox import Sandbox, SandboxConfig
from amazon_zoho.settings import load
from amazon_zoho.zoho.bulk import bulk_cost, cheaper_path, upsert_cost
from amazon_zoho_tests.truth import day_ago
from amazon_zoho_tests.zoho.helpers import MODULE_KEYS, assert_zoho_matches_warehouse, load_day, push, pushed, query, records

VOLATILE = {"id", "Created_Time", "Modified_Time", "Created_By", "Modified_By", "Owner"}


def _comparable(record: dict) -> dict:
    out = {k: v for k, v in record.items() if k not in VOLATILE}
    if "Contact_Name" in out and out["Contact_Name"]:
        out["Contact_Name"] = out["Contact_Name"]["name"]
    if "Ordered_Items" in out:
        out["Ordered_Items"] = [{**{k: v for k, v in i.items() if k != "id"}, "Product_Name": i["Product_Name"]["name"]} for i in out["Ordered_Items"]]
    return out


def _org(url: str) -> dict:
    return {m: sorted((_comparable(r) for r in records(url, m)), key=lambda r: str(r[key])) for m, key in MODULE_KEYS.items()}


def _forget_ids(warehouse: str) -> None:
    with duckdb.connect(warehouse) as conn:
        conn.execute("DELETE FROM ops.zoho_sync_state")


def test_cheaper_path_switches_to_bulk_above_about_5000_records():
    assert cheaper_path(5_000) == "upsert" and upsert_cost(5_000) == 500
    assert cheaper_path(5_100) == "bulk" and bulk_cost(5_100) < upsert_cost(5_100)
    assert bulk_cost(25_000) == 506 and bulk_cost(25_001) == 2 * 506 and upsert_cost(25_000) == 2_500
    assert cheaper_path(10, "bulk") == "bulk" and cheaper_path(50_000, "upsert") == "upsert"


def test_upsert_and_bulk_write_leave_the_same_records(sandbox, resources, project_env, tmp_path):
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    load_day(resources, day)
    bulk_warehouse = str(tmp_path / "bulk.duckdb")
    shutil.copy(warehouse, bulk_warehouse)
    with Sandbox(port=0, config=SandboxConfig(), state_dir=tmp_path / "bulk-org") as other:
        bulk_resources = build_resources(load({**project_env, "AMAZON_ZOHO_SANDBOX_URL": other.url, "AMAZON_ZOHO_WAREHOUSE": bulk_warehouse}))

        by_upsert = pushed(push(resources, day, "upsert"))
        by_bulk = pushed(push(bulk_resources, day, "bulk"))

        assert {m["path"] for m in by_upsert.values()} == {"upsert"} and {m["path"] for m in by_bulk.values()} == {"bulk"}
        assert all(m["inserted"] > 0 and m["failed"] == 0 for m in by_bulk.values())
        assert {k: m["inserted"] for k, m in by_bulk.items()} == {k: m["inserted"] for k, m in by_upsert.items()}
        assert _org(other.url) == _org(sandbox.url)
        assert_zoho_matches_warehouse(sandbox.url, warehouse)
        assert_zoho_matches_warehouse(other.url, bulk_warehouse)

        # Updates: both runs re-send everything (line items included) to records Zoho already holds.
        _forget_ids(warehouse)
        _forget_ids(bulk_warehouse)
        by_upsert = pushed(push(resources, day, "upsert"))
        by_bulk = pushed(push(bulk_resources, day, "bulk"))

        assert all(m["updated"] > 0 and m["inserted"] == 0 for m in [*by_upsert.values(), *by_bulk.values()])
        assert by_bulk["sales_orders"]["line_item_repairs"] == by_upsert["sales_orders"]["line_item_repairs"] > 0
        assert _org(other.url) == _org(sandbox.url)
        assert_zoho_matches_warehouse(sandbox.url, warehouse)
        assert_zoho_matches_warehouse(other.url, bulk_warehouse)


def test_a_bulk_refusal_is_dead_lettered_with_the_payload_the_job_sent(sandbox, resources, project_env):
    """A job's payloads stay in DuckDB (bulk_files.py); those of the records Zoho refuses are read back for their dead
    letters, fitted to the field lengths as the job's CSV was, so the dead letter shows what Zoho was sent."""
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    load_day(resources, day)
    sandbox.app.set_config({"fault_zoho_invalid_rate": 0.3, "zoho_text_field_length": 12})

    by_bulk = pushed(push(resources, day, "bulk", raise_on_error=False))

    refused = by_bulk["products"]["failed"]
    assert refused > 0 and by_bulk["products"]["path"] == "bulk"
    letters = query(warehouse, "SELECT record_key, payload::VARCHAR FROM ops.zoho_dead_letters WHERE module = 'Products' "
                               "AND error_code = 'INVALID_DATA'")
    assert len(letters) == refused
    for key, payload in letters:
        sent = json.loads(payload)
        assert sent["Amazon_SKU"] == key
        assert len(sent["Product_Name"]) <= 12, "the dead letter keeps the fitted text the job sent"

"""Records the org already had before us: Zoho refuses ours as DUPLICATE_DATA when one of theirs holds a
unique value of ours (here Product_Code, made unique, equal to the SKU). The sync adopts that record
(links and updates it) by default, or dead-letters ours for a person to merge; never a second copy."""

from pathlib import Path

import duckdb
import pytest

from amazon_zoho.zoho.mapping import DEFAULT_PATH
from amazon_zoho_tests.truth import day_ago
from amazon_zoho_tests.zoho.helpers import assert_zoho_matches_warehouse, configured, load_day, no_duplicates, push, pushed, query, records


def _hand_made_products(resources, skus: list[str]) -> dict[str, str]:
    """Makes Product_Code unique and creates one product per SKU the way a person would; returns sku -> id."""
    client = resources["zoho"].client()
    code = next(f for f in client.fields("Products") if f["api_name"] == "Product_Code")
    client.update_field("Products", code["id"], {"unique": {"casesensitive": "false"}})
    answers = client.insert("Products", [{"Product_Name": f"Made by hand {sku}", "Product_Code": sku} for sku in skus])
    assert all(a["status"] == "success" for a in answers), [(a["code"], a["details"].get("api_name")) for a in answers]
    return {sku: a["details"]["id"] for sku, a in zip(skus, answers)}


@pytest.mark.parametrize("write_api", ["upsert", "bulk"])
def test_a_product_the_org_already_has_is_adopted_not_duplicated(sandbox, resources, project_env, write_api):
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    load_day(resources, day)
    skus = [sku for (sku,) in query(warehouse, "SELECT DISTINCT sku FROM core.products ORDER BY sku LIMIT 3")]
    theirs = _hand_made_products(resources, skus)

    first = pushed(push(resources, day, write_api=write_api, modules=("products",)))["products"]

    assert first["adopted_existing"] == 3 and first["failed"] == 0
    # Bulk Write's result file does not name the record holding the value: those go through upsert.
    assert first["path"] == {"upsert": "upsert", "bulk": "bulk+upsert"}[write_api]
    held = {r["Product_Code"]: r for r in records(sandbox.url, "Products")}
    assert len(held) == len(records(sandbox.url, "Products")), "one product per Product_Code"
    for sku, zoho_id in theirs.items():
        assert held[sku]["id"] == zoho_id and held[sku]["Amazon_SKU"] == sku, "the existing record now carries our key"
    assert dict(query(warehouse, "SELECT record_key, zoho_id FROM ops.zoho_sync_state WHERE module = 'Products' AND list_contains(?, record_key)",
                      [skus])) == theirs
    assert query(warehouse, "SELECT count(*) FROM ops.zoho_dead_letters") == [(0,)]
    assert query(warehouse, "SELECT count(*) FROM ops.zoho_sync_state WHERE action = 'adopt'") == [(3,)]

    push(resources, day)  # the sales orders point at the adopted products
    no_duplicates(sandbox.url)
    assert_zoho_matches_warehouse(sandbox.url, warehouse)


def test_dead_letter_policy_leaves_the_clash_for_a_person(sandbox, project_env, tmp_path):
    mapping = Path(tmp_path / "mapping.yaml")
    mapping.write_text(Path(DEFAULT_PATH).read_text().replace("  key: Amazon_SKU\n", "  key: Amazon_SKU\n  existing_records: dead_letter\n", 1))
    resources = configured(project_env, ZOHO_MAPPING_FILE=str(mapping))
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    load_day(resources, day)
    skus = [sku for (sku,) in query(warehouse, "SELECT DISTINCT sku FROM core.products ORDER BY sku LIMIT 2")]
    theirs = _hand_made_products(resources, skus)

    outcome = pushed(push(resources, day, modules=("products",)))["products"]

    assert outcome["adopted_existing"] == 0 and outcome["failed"] == 2
    letters = query(warehouse, "SELECT record_key, error_code, error_field FROM ops.zoho_dead_letters ORDER BY record_key")
    assert letters == [(sku, "DUPLICATE_DATA", "Product_Code") for sku in sorted(skus)]
    untouched = {r["id"]: r for r in records(sandbox.url, "Products")}
    assert all(untouched[i].get("Amazon_SKU") is None for i in theirs.values()), "their records are left as they were"


def test_a_clash_with_another_of_our_records_is_a_conflict_for_a_person(sandbox, resources, project_env):
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    load_day(resources, day)
    push(resources, day, modules=("products",))
    (a, a_id), (b, b_id) = query(warehouse, "SELECT record_key, zoho_id FROM ops.zoho_sync_state WHERE module = 'Products' ORDER BY record_key LIMIT 2")
    client = resources["zoho"].client()
    code = next(f for f in client.fields("Products") if f["api_name"] == "Product_Code")
    client.update_field("Products", code["id"], {"unique": {"casesensitive": "false"}})
    # Someone deletes product A in Zoho and types A's SKU into product B's Product_Code.
    client.call("deleteRecord", "DELETE", f"/crm/v8/Products/{a_id}")
    assert client.update("Products", [{"id": b_id, "Product_Code": a}])[0]["status"] == "success"
    with duckdb.connect(warehouse) as conn:
        conn.execute("DELETE FROM ops.zoho_sync_state WHERE module = 'Products' AND record_key = ?", [a])

    outcome = pushed(push(resources, day, modules=("products",)))["products"]

    assert outcome["adopted_existing"] == 0 and outcome["failed"] == 1
    assert query(warehouse, "SELECT record_key, error_code FROM ops.zoho_dead_letters") == [(a, "DUPLICATE_DATA")]
    held = {r["id"]: r for r in records(sandbox.url, "Products")}
    assert held[b_id]["Amazon_SKU"] == b, "B is not taken over by A"


@pytest.mark.parametrize("details, expected", [
    ({"api_name": "Product_Code", "duplicate_record": {"id": "7", "module": {"api_name": "Products", "id": "9"}, "Owner": {}}}, "7"),
    ({"duplicate_record": {"id": 7, "module": "Products"}}, "7"),
    ({"duplicate_record": {"id": "7"}}, "7"),
    ({"duplicate_record": {"id": "7", "module": {"api_name": "Leads"}}}, None),  # another module: nothing to adopt here
    ({"api_name": "Product_Code"}, None),
    (None, None),
])
def test_the_clashing_record_is_read_from_the_documented_details(details, expected):
    """API-FACTS §8: DUPLICATE_DATA details.duplicate_record{id, module, Owner}."""
    from amazon_zoho.zoho.mapping import load
    from amazon_zoho.zoho.sync import _clashing_id

    assert _clashing_id(load()["Products"], {"code": "DUPLICATE_DATA", "details": details}) == expected

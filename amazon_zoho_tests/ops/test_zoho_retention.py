"""What Zoho keeps of what we pushed (issue #14, item 9), against the sandbox's Zoho: a merchant-fulfilled buyer's
contact loses its name, e-mail and street once every order of theirs passed the PII retention, and a field taken out
of mapping.yaml is cleared in Zoho instead of keeping its last value."""

from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb
import requests

from amazon_zoho import clock
from amazon_zoho.definitions import defs
from amazon_zoho.zoho.resource import ZohoCrmResource
from amazon_zoho_tests.assets import asset
from amazon_zoho_tests.truth import day_ago

ASSETS = list(defs.assets)


def _contacts(sandbox) -> dict[str, dict]:
    records = requests.get(f"{sandbox.url}/_sandbox/zoho/records/Contacts", timeout=30).json()["records"]
    return {r["Amazon_Buyer_Key"]: r for r in records}


def _with_pii(warehouse_path: str) -> set[str]:
    """Contacts (buyer keys) some order of which still has its buyer details in pii.order_contacts."""
    with duckdb.connect(warehouse_path, read_only=True) as conn:
        return {k for (k,) in conn.execute("SELECT DISTINCT o.buyer_key FROM core.orders o JOIN pii.order_contacts USING (order_id) "
                                          "WHERE o.buyer_key IS NOT NULL").fetchall()}


def test_contacts_lose_their_buyer_details_once_every_order_passed_the_retention(sandbox, resources, project_env):
    day = day_ago(2)
    assert dg.materialize(ASSETS, resources=resources, partition_key=day.isoformat()).success
    before = {k: r for k, r in _contacts(sandbox).items() if r.get("Email")}
    assert before and all(r.get("Mailing_Street") and r.get("Last_Name") != "Amazon Buyer" for r in before.values())

    clock.advance(timedelta(days=40))  # every shipped order delivered more than 30 days ago; unshipped ones keep their PII
    result = dg.materialize([asset("ops", "pii_retention")], resources=resources, partition_key=day.isoformat())
    assert result.success

    kept = _with_pii(project_env["AMAZON_ZOHO_WAREHOUSE"])
    after = _contacts(sandbox)
    expired = set(before) - kept
    assert expired, "some merchant-fulfilled buyers' orders all expired (else this test proves nothing)"
    for key in expired:
        record = after[key]
        assert (record.get("Email"), record.get("Mailing_Street"), record.get("Mailing_City"), record.get("First_Name")) == (None,) * 4, record
        assert record["Last_Name"] == "Amazon Buyer" and record["id"] == before[key]["id"], "the same contact, without the buyer"
    assert all(after[key].get("Email") == before[key]["Email"] for key in set(before) & kept), "details still in retention stay"
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["zoho_contacts_cleared"].value == len(expired)

    again = dg.materialize([asset("ops", "pii_retention")], resources=resources, partition_key=day.isoformat())
    assert again.get_asset_materialization_events()[0].materialization.metadata["zoho_contacts_cleared"].value == 0, "cleared once"


def test_a_field_taken_out_of_the_mapping_is_cleared_in_zoho(sandbox, resources, project_env, tmp_path):
    day = day_ago(2)
    assert dg.materialize(ASSETS, resources=resources, partition_key=day.isoformat()).success
    assert any(r.get("Mailing_City") for r in _contacts(sandbox).values())

    mapping = Path(tmp_path / "mapping.yaml")
    default = (Path(__file__).parents[2] / "amazon_zoho" / "zoho" / "mapping.yaml").read_text()
    assert "    Mailing_City: city\n" in default
    mapping.write_text(default.replace("    Mailing_City: city\n", ""))
    narrowed = {**resources, "zoho": ZohoCrmResource(**{**resources["zoho"].model_dump(), "mapping_file": str(mapping)})}
    result = dg.materialize([asset("zoho", "contacts")], resources=narrowed, partition_key=day.isoformat())
    assert result.success

    assert not [r for r in _contacts(sandbox).values() if r.get("Mailing_City")], "no contact keeps the unmapped field's value"
    assert result.get_asset_materialization_events()[0].materialization.metadata["unmapped_fields_cleared"].value == "Mailing_City"
    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        fields = {f for (f,) in conn.execute("SELECT zoho_field FROM ops.zoho_mapped_fields WHERE module = 'Contacts'").fetchall()}
    assert "Mailing_City" not in fields and "Email" in fields

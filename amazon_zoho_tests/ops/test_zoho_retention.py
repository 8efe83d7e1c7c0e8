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
from amazon_zoho.ops.zoho_retention import clear_unmapped_fields
from amazon_zoho.zoho.budget import CreditBudget
from amazon_zoho.zoho.resource import ZohoCrmResource
from amazon_zoho_tests.assets import asset
from amazon_zoho_tests.truth import day_ago
from amazon_zoho_tests.zoho.helpers import credits_used, push, records

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


ADDRESS = ("Shipping_Street", "Shipping_City", "Shipping_State", "Shipping_Code", "Billing_Street", "Billing_City", "Billing_State", "Billing_Code")


def test_sales_orders_lose_their_address_and_details_that_come_back_are_pushed_again(sandbox, resources, project_env):
    """Review items 1 and 2: an order delivered and never changed again is never re-pushed, so its delivery address is
    cleared in Zoho Sales_Orders too (the country stays); a scrubbed record's payload hash is voided, so the same
    details coming back (an order's next version loading after a quarantine) are pushed, not judged `unchanged`."""
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    assert dg.materialize(ASSETS, resources=resources, partition_key=day.isoformat()).success
    orders = {r["Amazon_Order_ID"]: r for r in records(sandbox.url, "Sales_Orders")}
    addressed = {k for k, r in orders.items() if r.get("Shipping_Street")}
    assert addressed and all(orders[k].get("Shipping_Country") for k in addressed)
    with duckdb.connect(warehouse) as conn:  # what Amazon would send again with the order's next version
        conn.execute("CREATE TABLE main.pii_before AS SELECT * FROM pii.order_contacts")

    clock.advance(timedelta(days=40))
    result = dg.materialize([asset("ops", "pii_retention")], resources=resources, partition_key=day.isoformat())
    assert result.success
    with duckdb.connect(warehouse, read_only=True) as conn:
        kept = {o for (o,) in conn.execute("SELECT order_id FROM pii.order_contacts").fetchall()}
        voided = dict(conn.execute("SELECT module, count(*) FROM ops.zoho_sync_state WHERE payload_hash IS NULL GROUP BY ALL").fetchall())
        scrubbed = dict(conn.execute("SELECT module, count(*) FROM ops.zoho_pii_scrubs GROUP BY ALL").fetchall())
    after = {r["Amazon_Order_ID"]: r for r in records(sandbox.url, "Sales_Orders")}
    expired = addressed - kept
    assert expired, "some orders' PII expired (else this test proves nothing)"
    for key in expired:
        assert tuple(after[key].get(f) for f in ADDRESS) == (None,) * len(ADDRESS), after[key]
        assert after[key]["Shipping_Country"] == orders[key]["Shipping_Country"] and after[key]["id"] == orders[key]["id"]
    assert all(after[k]["Shipping_Street"] == orders[k]["Shipping_Street"] for k in addressed & kept), "addresses in retention stay"
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    carried = {k for k, r in orders.items() if any(r.get(f) for f in ADDRESS)}
    assert set(orders) - kept - carried, "some orders went to Zoho without an address (else the next line proves nothing)"
    assert 0 < metadata["zoho_sales_orders_cleared"].value == scrubbed["Sales_Orders"] == len(carried - kept), \
        "exactly the orders whose pushed address expired are cleared; one pushed without an address costs no update"
    assert voided == scrubbed, "every scrubbed record's payload hash voided"

    # The same details come back: the push sends them (before, the old hash said `unchanged` and Zoho kept the blanks).
    with duckdb.connect(warehouse) as conn:
        conn.execute("INSERT INTO pii.order_contacts SELECT * FROM main.pii_before WHERE order_id NOT IN (SELECT order_id FROM pii.order_contacts)")
    push(resources, day)
    again = {r["Amazon_Order_ID"]: r for r in records(sandbox.url, "Sales_Orders")}
    assert all(again[k]["Shipping_Street"] == orders[k]["Shipping_Street"] for k in addressed)
    contacts = _contacts(sandbox)
    assert all(contacts[k].get("Email") and contacts[k]["Last_Name"] != "Amazon Buyer" for k in contacts if not k.startswith("amazon-customer-")), \
        "every contact has its details back"


def test_a_contact_whose_order_left_core_keeps_its_details(sandbox, resources, project_env):
    """Review item 1: expiry is read from the pii rows, not from core.orders. A buyer's only order quarantined (its
    poison version leaves core) still has its pii row within the retention: its contact is not blanked."""
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    assert dg.materialize(ASSETS, resources=resources, partition_key=day.isoformat()).success
    before = {k: r for k, r in _contacts(sandbox).items() if r.get("Email")}
    key = sorted(before)[0]
    with duckdb.connect(warehouse) as conn:
        gone = conn.execute("DELETE FROM core.orders WHERE buyer_key = ? RETURNING order_id", [key]).fetchall()
    assert gone

    result = dg.materialize([asset("ops", "pii_retention")], resources=resources, partition_key=day.isoformat())
    assert result.success
    assert _contacts(sandbox)[key]["Email"] == before[key]["Email"], "the contact keeps details still in retention"
    assert result.get_asset_materialization_events()[0].materialization.metadata["zoho_contacts_cleared"].value == 0


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


def test_the_scrub_defers_when_zoho_is_out_of_credits(sandbox, resources, project_env):
    """Review item 3 for the scrubs: LIMIT_REACHED leaves the expired records for the next run (counted), the asset
    does not fail, and the next run with credits clears them."""
    day = day_ago(2)
    assert dg.materialize(ASSETS, resources=resources, partition_key=day.isoformat()).success
    clock.advance(timedelta(days=40))
    sandbox.app.set_config({"zoho_daily_credits": credits_used(sandbox.url)})
    refused = dg.materialize([asset("ops", "pii_retention")], resources=resources, partition_key=day.isoformat())
    assert refused.success, "running out of credits is not a failure"
    metadata = refused.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["zoho_contacts_cleared"].value == metadata["zoho_sales_orders_cleared"].value == 0
    deferred = metadata["zoho_contacts_deferred"].value, metadata["zoho_sales_orders_deferred"].value
    assert all(deferred)
    assert [r for r in _contacts(sandbox).values() if r.get("Email")], "nothing cleared yet"

    sandbox.app.set_config({"zoho_daily_credits": 50_000})
    later = dg.materialize([asset("ops", "pii_retention")], resources=resources, partition_key=day.isoformat())
    metadata = later.get_asset_materialization_events()[0].materialization.metadata
    assert (metadata["zoho_contacts_cleared"].value, metadata["zoho_sales_orders_cleared"].value) == deferred
    assert metadata["zoho_contacts_deferred"].value == metadata["zoho_sales_orders_deferred"].value == 0


def _narrowed(resources, tmp_path) -> ZohoCrmResource:
    mapping = Path(tmp_path / "mapping.yaml")
    default = (Path(__file__).parents[2] / "amazon_zoho" / "zoho" / "mapping.yaml").read_text()
    mapping.write_text(default.replace("    Mailing_City: city\n", ""))
    return ZohoCrmResource(**{**resources["zoho"].model_dump(), "mapping_file": str(mapping)})


def test_unmapped_fields_are_cleared_under_the_budget_and_only_once_per_record(sandbox, resources, project_env, tmp_path):
    """Review item 3: clearing an unmapped field spends credits under the budget, stops (deferring, counted) when the
    budget or Zoho's LIMIT_REACHED says so without failing the push, and a record Zoho refuses is retried alone."""
    day = day_ago(2)
    assert dg.materialize(ASSETS, resources=resources, partition_key=day.isoformat()).success
    narrowed = _narrowed(resources, tmp_path)
    held = len([r for r in _contacts(sandbox).values() if r.get("Mailing_City")])
    assert held

    # Another integration spent the org's credits: Zoho answers LIMIT_REACHED; the push defers, it does not fail.
    sandbox.app.set_config({"zoho_daily_credits": credits_used(sandbox.url)})
    limited = dg.materialize([asset("zoho", "contacts")], resources={**resources, "zoho": narrowed}, partition_key=day.isoformat())
    assert limited.success
    metadata = limited.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["unmapped_field_records_deferred"].value > 0 and metadata["unmapped_field_records_cleared"].value == 0
    sandbox.app.set_config({"zoho_daily_credits": 50_000})

    warehouse, client, mapping = resources["warehouse"], narrowed.client(), narrowed.mapping()
    sent: list[int] = []
    update = client.update
    client.update = lambda module, batch: sent.append(len(batch)) or update(module, batch)
    with warehouse.connect() as conn:
        ids = conn.execute("SELECT count(*) FROM ops.zoho_sync_state WHERE module = 'Contacts' AND zoho_id IS NOT NULL").fetchone()[0]
        # Our own budget has no room left above the reserve: nothing is sent, everything deferred.
        spent = clear_unmapped_fields(conn, client, mapping, "Contacts", budget=CreditBudget(daily=100, reserve=100))
        assert (spent.records, spent.deferred, sent) == (0, ids, [])
        # A record Zoho refuses (an id it does not hold) ...
        conn.execute("INSERT INTO ops.zoho_sync_state (module, record_key, zoho_id, status, synced_at) "
                     "VALUES ('Contacts', 'ghost', '999999', 'synced', now())")
        first = clear_unmapped_fields(conn, client, mapping, "Contacts", budget=CreditBudget())
        assert (first.records, len(first.errors), first.deferred) == (ids, 1, 0)
        assert not [r for r in _contacts(sandbox).values() if r.get("Mailing_City")]
        # ... is the only one sent again, not every record of the module.
        second = clear_unmapped_fields(conn, client, mapping, "Contacts", budget=CreditBudget())
        assert (second.records, len(second.errors), sent) == (0, 1, [ids + 1, 1])
        conn.execute("DELETE FROM ops.zoho_sync_state WHERE record_key = 'ghost'")
        done = clear_unmapped_fields(conn, client, mapping, "Contacts", budget=CreditBudget())
        assert (done.records, done.errors, sent) == (0, [], [ids + 1, 1]), "nothing left to clear: no call"
        fields = {f for (f,) in conn.execute("SELECT zoho_field FROM ops.zoho_mapped_fields WHERE module = 'Contacts'").fetchall()}
        assert "Mailing_City" not in fields
        assert conn.execute("SELECT count(*) FROM ops.zoho_field_clears").fetchone()[0] == 0, "the field's clears go with it"
        ledger = conn.execute("SELECT coalesce(sum(credits), 0) FROM ops.zoho_credit_ledger").fetchone()[0]
    assert ledger == credits_used(sandbox.url), "every clearing call booked"


def test_expiry_finds_the_contact_keys_the_push_gives(tmp_path):
    """zoho_contacts_expired.sql works out each pii row's contact key itself (not from core.orders); it must give the
    keys zoho/sql/contact_keys.sql gives the push, for buyers with a buyer_key and for per_buyer ones without."""
    from amazon_zoho.ops.steps import SCRUB_CANDIDATES, ZOHO_CONTACTS_EXPIRED
    from amazon_zoho.warehouse import WarehouseResource
    from amazon_zoho.zoho.steps import PREPARE

    contact_keys = next(s for s in PREPARE if s.sql_file == "contact_keys.sql")
    params = {"policy": "per_buyer", "salt": "s3cret", "fields": ["Email", "First_Name", "Last_Name", "Mailing_Street"]}
    rows = [("o-email", "bk-1", "Ana Lima", "1000-001", "PT"), ("o-fba", None, " Jo  Doe ", "ab1 2cd", "GB"), ("o-fba2", None, "X", None, None)]
    with WarehouseResource(database=str(tmp_path / "w.duckdb")).connect() as conn:
        for order_id, buyer_key, name, postcode, country in rows:
            conn.execute("INSERT INTO core.orders BY NAME SELECT ? AS order_id, 'A1PA6795UKMFR9' AS marketplace_id, DATE '2026-11-01' AS purchase_date, "
                         "TIMESTAMPTZ '2026-11-01 10:00:00+00' AS purchase_ts, ? AS buyer_key, 'shipped' AS status, 1 AS line_count", [order_id, buyer_key])
            conn.execute("INSERT INTO pii.order_contacts (order_id, buyer_key, buyer_name, postal_code, country_code, fetched_at) "
                         "VALUES (?, ?, ?, ?, ?, now())", [order_id, buyer_key, name, postcode, country])
        contact_keys.run(conn, params)
        SCRUB_CANDIDATES.run(conn)
        keys = [k for (k,) in conn.execute("SELECT contact_key FROM order_contact ORDER BY order_id").fetchall()]
        assert len(set(keys)) == 3 and not any(k.startswith("amazon-customer-") for k in keys)
        conn.executemany("INSERT INTO ops.zoho_sync_state (module, record_key, zoho_id, status, synced_at) VALUES ('Contacts', ?, ?, 'synced', now())",
                         [(k, f"id-{k}") for k in keys])
        assert ZOHO_CONTACTS_EXPIRED.rows(conn, params) == [], "every contact still has its pii row"
        conn.execute("DELETE FROM core.orders")  # orders that left core (quarantined) keep their contacts
        assert ZOHO_CONTACTS_EXPIRED.rows(conn, params) == []
        conn.execute("DELETE FROM pii.order_contacts WHERE order_id = 'o-fba'")
        assert ZOHO_CONTACTS_EXPIRED.rows(conn, params) == [(keys[1], f"id-{keys[1]}")]
        # A contact whose last accepted payload carried no detail in the cleared fields costs no update.
        conn.execute("UPDATE ops.zoho_sync_state SET field_hashes = MAP {'Email': md5('null'), 'Last_Name': md5('\"\"')}")
        assert ZOHO_CONTACTS_EXPIRED.rows(conn, params) == []
        conn.execute("UPDATE ops.zoho_sync_state SET field_hashes = MAP {'Email': md5('\"jo@example.com\"')}")
        assert ZOHO_CONTACTS_EXPIRED.rows(conn, params) == [(keys[1], f"id-{keys[1]}")]

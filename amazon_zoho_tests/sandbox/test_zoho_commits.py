"""The sandbox stays out of the way of what it measures (issue 17): one SQLite commit per Zoho write request or per
Bulk Write chunk, not three or more per record, and a Bulk Write job's processing time is its explicit knob."""

import contextlib
import re
import time

from amazon_zoho_tests.sandbox.test_zoho_bulk_write import _run, _upload, _zip
from amazon_zoho_tests.sandbox.zoho_fixtures import seed_order, zoho_sandbox

_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


@contextlib.contextmanager
def counting_commits(store):
    """Counts the commits on the store's connection: explicit COMMITs, and writes made outside a transaction
    (SQLite commits each of those by itself)."""
    conn, counted = store._conn, {"commits": 0, "zoho_records": 0}

    def trace(statement: str) -> None:
        if statement.strip().upper() == "COMMIT" or (_WRITE.match(statement) and not conn.in_transaction):
            counted["commits"] += 1
        if _WRITE.match(statement) and "zoho_records" in statement:
            counted["zoho_records"] += 1

    conn.set_trace_callback(trace)
    try:
        yield counted
    finally:
        conn.set_trace_callback(None)


def test_one_records_request_of_many_sales_orders_is_a_few_commits_not_several_per_order(tmp_path):
    with zoho_sandbox(tmp_path) as (sb, z):
        order, _ = seed_order(z, lines=2)
        orders = [dict(order, Subject=f"Amazon 028-{n:07d}", Amazon_Order_ID=f"028-0000001-{n:07d}") for n in range(50)]
        with counting_commits(sb.app.store) as counted:
            answer = z.upsert("Sales_Orders", orders)
        assert answer.status_code == 200, answer.text
        assert counted["zoho_records"] == 50
        # The credit charge, the records (one transaction) and the call log: a handful, whatever the record count.
        assert counted["commits"] <= 5, counted


def test_a_bulk_write_job_commits_once_per_chunk(tmp_path):
    with zoho_sandbox(tmp_path, zoho_bulk_seconds_per_1000_records=0) as (sb, z):
        rows = "".join(f"k{n},Name {n},b{n}@example.com\n" for n in range(250))
        upload = _upload(z, _zip({"Contacts.csv": "Amazon_Buyer_Key,Last_Name,Email\n" + rows}))
        mappings = [{"api_name": "Amazon_Buyer_Key", "index": 0}, {"api_name": "Last_Name", "index": 1}, {"api_name": "Email", "index": 2}]
        body = {"operation": "upsert", "resource": [{"type": "data", "module": {"api_name": "Contacts"}, "file_id": upload.json()["details"]["file_id"],
                                                     "find_by": "Amazon_Buyer_Key", "field_mappings": mappings}]}
        with counting_commits(sb.app.store) as counted:
            job = _run(z, body)
        assert job["status"] == "COMPLETED" and job["resource"][0]["file"]["added_count"] == 250
        # 3 chunks of 100, two status saves of the job, and per HTTP call (create, polls) its call-log row, credit
        # charge and token check at most: bounded by the polls, never by the 250 records (750+ commits before).
        polls = len([c for c in sb.app.store.query("SELECT operation FROM call_log WHERE operation = 'zoho_bulk_write_get'")])
        assert counted["commits"] <= 3 + 2 + 3 * (polls + 1), (counted, polls)


def test_a_bulk_write_job_takes_the_modelled_processing_time(tmp_path):
    with zoho_sandbox(tmp_path, zoho_bulk_seconds_per_1000_records=4.0) as (sb, z):
        rows = "".join(f"k{n},Name {n},b{n}@example.com\n" for n in range(250))  # 250 records × 4 s / 1,000 = 1 s
        upload = _upload(z, _zip({"Contacts.csv": "Amazon_Buyer_Key,Last_Name,Email\n" + rows}))
        mappings = [{"api_name": "Amazon_Buyer_Key", "index": 0}, {"api_name": "Last_Name", "index": 1}, {"api_name": "Email", "index": 2}]
        body = {"operation": "upsert", "resource": [{"type": "data", "module": {"api_name": "Contacts"}, "file_id": upload.json()["details"]["file_id"],
                                                     "find_by": "Amazon_Buyer_Key", "field_mappings": mappings}]}
        started = time.monotonic()
        job = _run(z, body)
        took = time.monotonic() - started
        assert job["status"] == "COMPLETED"
        assert 1.0 <= took < 8.0, took


def test_record_ids_count_up_across_restarts_from_a_counter_stored_the_old_way(tmp_path):
    """next_ids is one upsert statement now; ids still count up by one, blocks are consecutive, a counter written by
    the old read-then-write (a JSON number in kv) goes on from where it was, and a restarted sandbox continues it."""
    from amazon_zoho.sandbox.store import Store
    from amazon_zoho.sandbox.zoho.common import ID_BASE, next_ids

    store = Store(tmp_path / "s.sqlite")
    assert next_ids(store) == [str(ID_BASE + 1)]
    assert next_ids(store, 3) == [str(ID_BASE + n) for n in (2, 3, 4)]
    store.put("zoho_id_counter", 41)  # as the old code stored it: json.dumps(41)
    with store.transaction():
        assert next_ids(store) == [str(ID_BASE + 42)]
    store.close()
    again = Store(tmp_path / "s.sqlite")
    assert next_ids(again) == [str(ID_BASE + 43)] and again.get("zoho_id_counter") == 43


def test_a_lookup_carries_the_looked_up_records_name_or_is_refused(tmp_path):
    """Lookups read the display name straight from the stored record (Repo.display_name): the name a sales order's contact
    and products carry is the record's, and an id that is no record is INVALID_DATA."""
    with zoho_sandbox(tmp_path) as (sb, z):
        order, products = seed_order(z, lines=2)
        answer = z.upsert("Sales_Orders", [order])
        assert answer.status_code == 200, answer.text
        [held] = z.records("Sales_Orders")
        assert held["Contact_Name"]["name"] == "Buyer"
        assert [i["Product_Name"]["name"] for i in held["Ordered_Items"]] == ["Item 0", "Item 1"]
        bad = dict(order, Amazon_Order_ID="028-0000001-0000002", Subject="Amazon 2", Contact_Name={"id": "5725767999999999999"})
        refused = z.upsert("Sales_Orders", [bad]).json()["data"][0]
        assert refused["code"] == "INVALID_DATA" and refused["details"]["api_name"] == "Contact_Name"

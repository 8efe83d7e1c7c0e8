"""The push's field metadata between runs (zoho/field_cache.py): a run within ZOHO_FIELDS_MAX_AGE_MINUTES of the last
preflight reads no fields (1 credit per module saved, what the intraday sensor's runs every few minutes paid), an older
one does; a refusal drops a module's entry; fields created again mean the records pushed meanwhile are sent again.
The hour is Zoho's own SDK's (zcrmsdk/src/com/zoho/crm/api/util/utility.py, Utility.get_fields_info: 3,600,000 ms)."""

from datetime import timedelta

from amazon_zoho import clock
from amazon_zoho.zoho import sync
from amazon_zoho_tests.truth import day_ago
from amazon_zoho_tests.zoho.helpers import configured, load_day, push, pushed, query, zoho_calls

MODULES = ("Products", "Contacts", "Sales_Orders")


def reads(url: str, since: int) -> int:
    """getFields calls after the first `since` Zoho calls of the sandbox's log."""
    return sum(1 for c in zoho_calls(url)[since:] if c["operation"] == "zoho_fields")


def test_a_run_within_the_hour_reads_no_fields_an_older_one_does(sandbox, project_env):
    resources = configured(project_env)
    first, second, third = day_ago(4), day_ago(3), day_ago(2)
    for day in (first, second, third):
        load_day(resources, day)
    push(resources, first)
    seen = len(zoho_calls(sandbox.url))
    assert reads(sandbox.url, 0) >= len(MODULES), "the first push reads every module's fields"
    cached = dict(query(project_env["AMAZON_ZOHO_WAREHOUSE"], "SELECT module, json_array_length(fields) FROM ops.zoho_field_meta"))
    assert set(cached) == set(MODULES) and all(n > 10 for n in cached.values())

    clock.advance(timedelta(minutes=30))
    pushed_second = pushed(push(resources, second))
    assert sum(m["inserted"] for m in pushed_second.values()) > 0, "the second day has records to send"
    assert reads(sandbox.url, seen) == 0, "within the hour the preflight reuses the fields read"

    clock.advance(timedelta(minutes=31))
    seen = len(zoho_calls(sandbox.url))
    push(resources, third)
    assert reads(sandbox.url, seen) == len(MODULES), "past the hour each module's fields are read again"


def test_zero_reads_the_fields_every_run(sandbox, project_env):
    resources = configured(project_env, ZOHO_FIELDS_MAX_AGE_MINUTES="0")
    first, second = day_ago(3), day_ago(2)
    load_day(resources, first)
    load_day(resources, second)
    push(resources, first)
    seen = len(zoho_calls(sandbox.url))
    push(resources, second)
    assert reads(sandbox.url, seen) == len(MODULES)


def test_a_refused_record_makes_the_next_run_read_the_fields_again(sandbox, project_env):
    resources, warehouse = configured(project_env), project_env["AMAZON_ZOHO_WAREHOUSE"]
    first, second = day_ago(3), day_ago(2)
    load_day(resources, first)
    load_day(resources, second)
    sandbox.app.set_config({"fault_zoho_invalid_rate": 0.3})
    outcome = pushed(push(resources, first))
    sandbox.app.set_config({"fault_zoho_invalid_rate": 0.0})
    refused = {m for m, name in (("Products", "products"), ("Contacts", "contacts"), ("Sales_Orders", "sales_orders"))
               if outcome[name]["failed"]}
    assert refused, "the fault refused some records"
    assert not refused & {m for (m,) in query(warehouse, "SELECT module FROM ops.zoho_field_meta")}

    seen = len(zoho_calls(sandbox.url))
    push(resources, second)
    assert reads(sandbox.url, seen) == len(refused), "only the modules with refusals read their fields again"


def test_fields_created_again_send_the_records_pushed_meanwhile_again(sandbox, project_env, monkeypatch):
    resources, warehouse = configured(project_env), project_env["AMAZON_ZOHO_WAREHOUSE"]
    first, second, third = day_ago(4), day_ago(3), day_ago(2)
    for day in (first, second, third):
        load_day(resources, day)
    push(resources, first)
    clock.advance(timedelta(minutes=10))
    push(resources, second)  # with the fields the first push read
    since_read = query(warehouse, "SELECT count(*) FROM ops.zoho_sync_state s JOIN ops.zoho_field_meta m USING (module) "
                                  "WHERE module = 'Sales_Orders' AND s.synced_at >= m.read_at")[0][0]
    assert since_read > 0

    # An admin deleted Amazon_Order_Status meanwhile: the next read finds it missing and setup creates it again.
    real = sync.ensure_fields

    def recreated(client, mapping, module, create=True):
        real(client, mapping, module, create)
        return ["Amazon_Order_Status"] if module == "Sales_Orders" else []

    monkeypatch.setattr(sync, "ensure_fields", recreated)
    clock.advance(timedelta(minutes=61))
    push(resources, third)
    monkeypatch.undo()
    owed = query(warehouse, "SELECT count(*) FROM ops.zoho_sync_state WHERE module = 'Sales_Orders' AND payload_hash IS NULL")[0][0]
    assert owed == since_read, "every sales order pushed since the cached read is owed again"

    again = pushed(push(resources, third))["sales_orders"]
    assert again["updated"] == since_read and again["inserted"] == again["failed"] == 0
    assert query(warehouse, "SELECT count(*) FROM ops.zoho_sync_state WHERE payload_hash IS NULL") == [(0,)]

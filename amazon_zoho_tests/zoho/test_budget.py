"""The credit budget: a push stops cleanly before touching the reserve (ZOHO_CREDIT_RESERVE), and when
Zoho itself refuses for lack of credits; what was not pushed is recorded as deferred and pushed by the
next run, whatever its day, or by the re-drive job: nothing lost, nothing pushed twice."""

import requests

from amazon_zoho_tests.truth import day_ago
from amazon_zoho_tests.zoho.helpers import (
    assert_zoho_matches_warehouse,
    configured,
    credits_used,
    execute_job,
    load_day,
    no_duplicates,
    push,
    pushed,
    query,
)


def _ledger(warehouse: str) -> int:
    return query(warehouse, "SELECT coalesce(sum(credits), 0) FROM ops.zoho_credit_ledger")[0][0]


def test_budget_defers_then_the_next_run_and_the_redrive_finish(sandbox, resources, project_env):
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    load_day(resources, day)
    requests.post(sandbox.url + "/_sandbox/zoho/install_custom_fields", timeout=10).raise_for_status()
    reserve, room = 50, 6
    tight = configured(project_env, ZOHO_CREDIT_RESERVE=str(reserve), ZOHO_DAILY_CREDITS=str(reserve + room))

    first = pushed(push(tight, day))

    assert credits_used(sandbox.url) == _ledger(warehouse) <= room, "the reserve is never touched"
    assert sum(m["inserted"] for m in first.values()) > 0, "what fits is pushed"
    deferred = dict(query(warehouse, "SELECT module, count(*) FROM ops.zoho_sync_state WHERE status = 'deferred' GROUP BY ALL"))
    assert deferred and {f"{m.lower()}": n for m, n in deferred.items()} == {k: m["deferred"] for k, m in first.items() if m["deferred"]}
    assert query(warehouse, "SELECT sum(deferred) FROM ops.sync_runs")[0][0] == sum(deferred.values())

    # Another integration spent the org's credits: Zoho refuses (429 LIMIT_REACHED) although our own
    # budget has room. The next run (another day: the backlog rides along) stops cleanly and defers.
    sandbox.app.set_config({"zoho_daily_credits": credits_used(sandbox.url) + 2})
    refused = push(resources, day_ago(6))
    assert refused.success, "running out of credits is not a failure"
    assert sum(m["deferred"] for m in pushed(refused).values()) > 0

    sandbox.app.set_config({"zoho_daily_credits": 50_000})
    redrive = execute_job("zoho_redrive", resources)
    assert redrive.success

    counts = no_duplicates(sandbox.url)
    assert query(warehouse, "SELECT count(*) FROM ops.zoho_sync_state WHERE status <> 'synced'") == [(0,)]
    assert query(warehouse, "SELECT count(*) FROM ops.zoho_dead_letters") == [(0,)]
    keys = dict(query(warehouse, "SELECT module, count(*) FROM ops.zoho_sync_state GROUP BY ALL"))
    assert counts == keys, "Zoho holds exactly the distinct keys of the id map"
    orders = query(warehouse, "SELECT count(*) FROM core.orders WHERE order_status <> 'PENDING'")[0][0]
    assert counts["Sales_Orders"] == orders
    assert_zoho_matches_warehouse(sandbox.url, warehouse)
    assert credits_used(sandbox.url) == _ledger(warehouse), "our ledger saw every credit Zoho booked"

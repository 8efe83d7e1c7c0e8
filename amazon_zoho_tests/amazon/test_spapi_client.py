"""The SP-API client against the sandbox: an expired token is refreshed once, and shared pacing keeps a busy
run free of 429s (the sandbox applies Amazon's published rate and burst, scaled by the same time_scale)."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from amazon_zoho.amazon.orders import get_order
from amazon_zoho.amazon.reports import SETTLEMENT_REPORT_TYPE, list_reports
from amazon_zoho.http.errors import ApiError
from amazon_zoho_tests.truth import day_ago, truth_orders


def amazon_calls(sandbox) -> list[dict]:
    return requests.get(f"{sandbox.url}/_sandbox/calls", params={"service": "amazon"}, timeout=10).json()["calls"]


def test_expired_token_is_refreshed_once_and_the_call_retried(sandbox, resources):
    amazon = resources["amazon"]
    client = amazon.client()
    list(list_reports(client, [SETTLEMENT_REPORT_TYPE]))
    # Amazon expired the token early (the client still believes it has minutes left).
    sandbox.app.store.execute("UPDATE lwa_tokens SET expires_at = 0")

    reports = list(list_reports(client, [SETTLEMENT_REPORT_TYPE]))

    assert reports and client.tokens.refreshes == 2
    statuses = [c["status"] for c in amazon_calls(sandbox) if c["operation"] == "getReports"]
    assert statuses == [200, 403, 200]


def test_a_403_right_after_a_refresh_is_a_real_denial(sandbox, resources):
    client = resources["amazon"].client()
    sandbox.app.set_config({"fault_token_expiry_rate": 1.0})  # every token dies on first use

    with pytest.raises(ApiError) as denied:
        list(list_reports(client, [SETTLEMENT_REPORT_TYPE]))

    assert denied.value.status == 403 and "expired" in denied.value.body
    assert client.tokens.refreshes == 2  # the first token, and exactly one refresh
    assert [c["status"] for c in amazon_calls(sandbox) if c["operation"] == "getReports"] == [403, 403]


def test_threads_sharing_the_buckets_never_draw_a_429(sandbox, resources):
    amazon = resources["amazon"]
    client = amazon.client()
    ids = [o["orderId"] for o in truth_orders(sandbox.url, day_ago(6), day_ago(2))][:80]
    # 48 getReports (burst 10) and 80 getOrder (burst 30) from 8 threads: both buckets run dry and refill.
    with ThreadPoolExecutor(8) as pool:
        pages = [pool.submit(lambda: list(list_reports(client, [SETTLEMENT_REPORT_TYPE], marketplace_ids=amazon.marketplace_ids[:1]))) for _ in range(48)]
        fetched = [pool.submit(get_order, client, order_id) for order_id in ids]
        assert all(f.result() for f in pages + fetched)

    calls = Counter((c["operation"], c["status"]) for c in amazon_calls(sandbox))
    assert calls[("getReports", 200)] >= 48 and calls[("getOrder", 200)] == len(ids) == 80
    assert not [key for key in calls if key[1] == 429], calls
    assert client.limiter.bucket("getReports").waited_seconds > 0  # the client, not the server, did the waiting

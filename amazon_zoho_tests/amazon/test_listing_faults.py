"""Faults of one listing or one order (#14 items 5 and 6): a pagination token that leads back to a page already
read stops the listing with a clear error instead of paging for ever, and an order getOrder refuses is
quarantined with what Amazon said while every other order lands."""

from datetime import datetime, timedelta, timezone

import dagster as dg
import duckdb
import pytest

from amazon_zoho.amazon.order_store import REFUSED_SOURCE
from amazon_zoho.amazon.orders import PaginationLoopError, get_orders, search_orders
from amazon_zoho_tests.assets import asset, figure
from amazon_zoho_tests.truth import day_ago, truth_orders


def _window(first, last):
    start = datetime(first.year, first.month, first.day, tzinfo=timezone.utc)
    return start, datetime(last.year, last.month, last.day, tzinfo=timezone.utc) + timedelta(days=1)


def test_a_next_token_pointing_back_stops_the_listing_with_a_clear_error(sandbox, resources):
    amazon = resources["amazon"]
    client = amazon.client()
    sandbox.app.set_config({"fault_pagination_loop_rate": 1.0})

    with pytest.raises(PaginationLoopError, match="already followed|repeats page"):
        list(search_orders(client, amazon.marketplace_ids, *_window(day_ago(3), day_ago(1)), page_size=5))

    # Page 1, then page 1 again (same orders; then the same token): stopped on the first repeat.
    assert client.calls["searchOrders"] == 2


def test_same_orders_under_a_new_token_are_a_loop_too(sandbox, resources, monkeypatch):
    """A token that differs in its bytes but leads back (a server re-signing the position) is caught by content."""
    amazon = resources["amazon"]
    client = amazon.client()
    sandbox.app.set_config({"fault_pagination_loop_rate": 1.0})
    real_call = client.call
    seen = iter(range(1000))

    def fresh_token_each_time(operation, method, path, params=None, **kwargs):
        if params and "paginationToken" in params:
            params = {**params, "paginationToken": params["paginationToken"].split("#")[0]}
        response = real_call(operation, method, path, params=params, **kwargs)
        pagination = response.body.get("pagination")
        if pagination:
            pagination["nextToken"] = f"{pagination['nextToken']}#{next(seen)}"
        return response

    monkeypatch.setattr(client, "call", fresh_token_each_time)
    with pytest.raises(PaginationLoopError, match="repeats page 1"):
        list(search_orders(client, amazon.marketplace_ids, *_window(day_ago(3), day_ago(1)), page_size=5))


def test_without_the_fault_the_same_listing_completes(sandbox, resources):
    amazon = resources["amazon"]
    truth = truth_orders(sandbox.url, day_ago(3), day_ago(1))
    fetched = list(search_orders(amazon.client(), amazon.marketplace_ids, *_window(day_ago(3), day_ago(1)), page_size=5))
    assert len(fetched) == len(truth) > 10


def test_get_orders_returns_refused_orders_instead_of_failing_the_rest(sandbox, resources):
    client = resources["amazon"].client()
    ids = [o["orderId"] for o in truth_orders(sandbox.url, day_ago(3), day_ago(1))]
    sandbox.app.set_config({"fault_get_order_404_rate": 0.2, "fault_get_order_403_rate": 0.2})

    fetched, refused = get_orders(client, ids)

    assert {o.order_id for o in fetched} | {r.order_id for r in refused} == set(ids)
    assert fetched and refused
    assert {(r.status, r.error_code) for r in refused} == {(404, "NotFound"), (403, "Unauthorized")}


def test_an_order_getorder_refuses_is_quarantined_and_the_backfill_lands(sandbox, resources, project_env):
    """The report path looks merchant-fulfilled buyers up with getOrder; one refusal used to fail raw_orders whole."""
    first, last = day_ago(6), day_ago(2)  # five days: the report path
    sandbox.app.set_config({"fault_get_order_404_rate": 0.15, "fault_get_order_403_rate": 0.15})
    tags = {"dagster/asset_partition_range_start": first.isoformat(), "dagster/asset_partition_range_end": last.isoformat()}
    raw = [asset("amazon_raw", "raw_orders")]

    result = dg.materialize(raw, resources=resources, tags=tags)

    assert result.success
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert figure(metadata, "buyer_lookups") > 0
    warehouse = project_env["AMAZON_ZOHO_WAREHOUSE"]
    with duckdb.connect(warehouse, read_only=True) as conn:
        refused = conn.execute("SELECT record_key, reason FROM ops.quarantine WHERE source = ?", [REFUSED_SOURCE]).fetchall()
        in_raw = {r for (r,) in conn.execute("SELECT DISTINCT order_id FROM raw.order_versions").fetchall()}
    assert refused and figure(metadata, "quarantined") >= len(refused)
    assert all("HTTP 404 NotFound" in reason or "HTTP 403 Unauthorized" in reason for _, reason in refused)
    # Every order of the window is in raw (from the report), the refused ones included.
    assert {o["orderId"] for o in truth_orders(sandbox.url, first, last)} <= in_raw

    # Each row is filed under its order's purchase day, so the run of that day (not only of the whole range) asks again.
    with duckdb.connect(warehouse, read_only=True) as conn:
        misfiled = conn.execute(
            "SELECT q.record_key, q.partition_date, v.purchase_date FROM ops.quarantine q JOIN raw.order_versions v ON v.order_id = q.record_key "
            "WHERE q.source = ? AND q.partition_date <> v.purchase_date", [REFUSED_SOURCE]).fetchall()
        one_day = conn.execute("SELECT max(partition_date) FROM ops.quarantine WHERE source = ?", [REFUSED_SOURCE]).fetchone()[0]
    assert not misfiled, misfiled[:3]

    # Amazon serves them again: a run of one of those days alone clears that day's rows (its searchOrders carries the
    # buyer), then the range's next run asks again for the rest and their rows go.
    sandbox.app.set_config({"fault_get_order_404_rate": 0.0, "fault_get_order_403_rate": 0.0})
    assert dg.materialize(raw, resources=resources, partition_key=one_day.isoformat()).success
    with duckdb.connect(warehouse, read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM ops.quarantine WHERE source = ? AND partition_date = ?",
                            [REFUSED_SOURCE, one_day]).fetchone()[0] == 0
    assert dg.materialize(raw, resources=resources, tags=tags).success
    with duckdb.connect(warehouse, read_only=True) as conn:
        left = conn.execute("SELECT count(*) FROM ops.quarantine WHERE source = ?", [REFUSED_SOURCE]).fetchone()[0]
    assert left == 0
    with duckdb.connect(warehouse, read_only=True) as conn:
        # Each refused order now has its buyer: from getOrder, or from the lookback's searchOrders, which got there first.
        with_buyer = {r for (r,) in conn.execute(
            "SELECT DISTINCT order_id FROM raw.order_versions WHERE payload ->> '$.buyerKey' IS NOT NULL").fetchall()}
    assert {key for key, _ in refused} <= with_buyer


def test_a_get_reports_token_that_leads_back_stops_the_listing():
    """getReports pages by nextToken too (Reports API 2021-06-30, GetReportsResponse.nextToken)."""
    from types import SimpleNamespace

    from amazon_zoho.amazon.reports import list_reports

    class LoopingReports:
        calls = 0

        def call(self, operation, method, path, params=None, **kwargs):
            self.calls += 1
            page = {"reports": [{"reportId": f"r{self.calls}"}], "nextToken": "T2" if self.calls % 2 else "T3"}
            return SimpleNamespace(body=page)

    client = LoopingReports()
    with pytest.raises(PaginationLoopError, match="already followed"):
        list(list_reports(client, ["GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"]))
    assert client.calls == 3  # T2, T3, then T2 again: stopped there

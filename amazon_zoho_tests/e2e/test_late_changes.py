"""Orders that change after their day was loaded: the order-updates sensor stores the new versions and asks for
ONE run over the changed days; the daily lookback scans only what no sensor tick covered.

Late changes need time to pass. The sandbox's orders move with its clock, so the tests first load days as
they stood some hours ago (the sandbox clock and ours, moved back together), then come back to now.
"""

import json
from collections import Counter
from datetime import datetime, timedelta

import dagster as dg
import duckdb
import pytest
import requests

from amazon_zoho import clock
from amazon_zoho.amazon.sensors import RANGE_END, RANGE_START, order_updates_sensor
from amazon_zoho.definitions import defs
from amazon_zoho_tests.truth import day_ago, truth_orders

ASSETS = list(defs.assets)
GRAPH = defs.get_repository_def().asset_graph
ORDER_PATH = sorted(
    (k for k in dg.AssetSelection.key_substring("amazon_raw/raw_orders").downstream().resolve(GRAPH)
     if GRAPH.get(k).partitions_def == GRAPH.get(dg.AssetKey(["amazon_raw", "raw_orders"])).partitions_def),
    key=lambda k: k.to_user_string(),
)


@pytest.fixture
def hours_back():
    """Sets the one clock (ours and the sandbox's) `hours` behind where it would be; `hours_back(0)` is now again."""
    behind = [0.0]

    def set_offset(hours: float) -> None:
        clock.advance(timedelta(hours=behind[0] - hours))
        behind[0] = hours

    return set_offset


def amazon_calls(sandbox) -> Counter:
    log = requests.get(f"{sandbox.url}/_sandbox/calls", params={"service": "amazon"}, timeout=10).json()["calls"]
    return Counter((c["operation"], c["status"]) for c in log)


def materialize(resources, instance, first, last, selection=ORDER_PATH) -> dg.ExecuteInProcessResult:
    result = dg.materialize(
        ASSETS, selection=selection, resources=resources, instance=instance,
        tags={RANGE_START: first.isoformat(), RANGE_END: last.isoformat()},
    )
    assert result.success
    return result


def test_sensor_rebuilds_the_changed_days_in_one_run(sandbox, resources, project_env, hours_back):
    instance = dg.DagsterInstance.ephemeral()
    first, last = day_ago(4), day_ago(3)
    hours_back(36)
    materialize(resources, instance, first, last)
    hours_back(0)

    tick = order_updates_sensor(dg.build_sensor_context(instance=instance, resources=resources, definitions=defs))

    [request] = tick.run_requests
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == (first.isoformat(), last.isoformat())
    assert set(request.asset_selection) == set(ORDER_PATH) - {dg.AssetKey(["amazon_raw", "raw_orders"])}
    calls_before = amazon_calls(sandbox)
    materialize(resources, instance, first, last, selection=request.asset_selection)
    assert amazon_calls(sandbox) == calls_before, "the rebuild reads raw; the sensor already fetched"

    # Amazon shows changes only once they are 2 minutes old, so the sensor's horizon (its cursor) is the
    # truth it can know; an order that moved after that is caught by the next tick, not this one.
    horizon = datetime.fromisoformat(json.loads(tick.cursor)["updated_before"])
    every = truth_orders(sandbox.url, first, last)
    truth = {o["orderId"]: o["status"] for o in every if datetime.fromisoformat(o["lastUpdatedTime"].replace("Z", "+00:00")) <= horizon}
    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        core = dict(conn.execute("SELECT order_id, order_status FROM core.orders").fetchall())
        history = dict(conn.execute(
            "SELECT order_id, list(payload ->> '$.fulfillment.fulfillmentStatus' ORDER BY last_updated_time) "
            "FROM raw.order_versions WHERE purchase_date BETWEEN ? AND ? GROUP BY 1", [first, last]).fetchall())
    assert set(core) == {o["orderId"] for o in every}
    assert {oid: core[oid] for oid in truth} == truth
    moved = [oid for oid, statuses in history.items() if len(set(statuses)) > 1 and oid in truth]
    assert moved and all(history[oid][-1] == truth[oid] for oid in moved), "status history kept, latest wins"

    again = order_updates_sensor(
        dg.build_sensor_context(cursor=tick.cursor, instance=instance, resources=resources, definitions=defs)
    )
    assert not again.run_requests
    assert json.loads(again.cursor)["updated_before"] >= json.loads(tick.cursor)["updated_before"]
    # Days another run already brought to Zoho (the intraday sensor's, its getOrder having stored the same versions) are
    # not asked for twice: without a cursor the tick counts every scan's changed days since the first, all in Zoho now.
    fresh = order_updates_sensor(dg.build_sensor_context(instance=instance, resources=resources, definitions=defs))
    assert not fresh.run_requests, [r.tags for r in fresh.run_requests]
    assert not [k for k in amazon_calls(sandbox) if k[1] == 429]


def test_daily_lookback_scans_only_what_no_sensor_tick_covered(sandbox, resources, project_env, hours_back):
    instance = dg.DagsterInstance.ephemeral()
    day = day_ago(3)
    hours_back(30)
    materialize(resources, instance, day, day)
    stopped = order_updates_sensor(dg.build_sensor_context(instance=instance, resources=resources, definitions=defs))
    hours_back(0)  # the sensor stopped 30 hours ago

    caught_up = materialize(resources, instance, day_ago(2), day_ago(2), selection=[dg.AssetKey(["amazon_raw", "raw_orders"])])
    meta = caught_up.get_asset_materialization_events()[0].materialization.metadata
    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        scans = conn.execute(
            "SELECT source, updated_after, updated_before, changed_days FROM ops.order_update_scans ORDER BY scan_id").fetchall()
    sensor_end = scans[1][2]
    assert [s[0] for s in scans] == ["raw_orders_lookback", "order_updates_sensor", "raw_orders_lookback"]
    assert scans[2][1] == sensor_end, "the lookback starts where the sensor stopped, not N days back"
    assert meta["lookback_scans"].value == 1 and day in scans[2][3]

    # The sensor, back on, rebuilds the day the lookback found changed (that day is not the run's own).
    tick = order_updates_sensor(
        dg.build_sensor_context(cursor=stopped.cursor, instance=instance, resources=resources, definitions=defs)
    )
    assert [(r.tags[RANGE_START], r.tags[RANGE_END]) for r in tick.run_requests] == [(day.isoformat(), day.isoformat())]
    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        resumed = conn.execute("SELECT updated_after FROM ops.order_update_scans WHERE scan_id = 4").fetchone()
    assert resumed is None or resumed[0] == scans[2][2], "the sensor does not fetch what the lookback covered"

    # With the sensor current, the next daily run's lookback leaves the last minutes to it: no extra call.
    rerun = materialize(resources, instance, day_ago(2), day_ago(2), selection=[dg.AssetKey(["amazon_raw", "raw_orders"])])
    meta = rerun.get_asset_materialization_events()[0].materialization.metadata
    assert meta["lookback_scans"].value == 0
    assert meta["amazon_calls_by_operation"].value == {"searchOrders": 1}


def test_without_the_sensor_the_daily_runs_bring_every_late_change_into_core_marts_and_zoho(sandbox, resources, project_env, hours_back):
    # Issue #14 item 7: the lookback fills raw; the daily run must rebuild every day whose raw data changed.
    instance = dg.DagsterInstance.ephemeral()
    first, second = day_ago(2), day_ago(1)
    hours_back(33.5)  # the daily run for `first`, half an hour after it ended; no sensor ever ticks
    dg.materialize(ASSETS, resources=resources, instance=instance, partition_key=first.isoformat())
    hours_back(9.5)  # the next daily run, for `second`: its lookback stores a day of changes to `first`'s orders
    result = dg.materialize(ASSETS, resources=resources, instance=instance, partition_key=second.isoformat())
    assert result.success

    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        [horizon] = conn.execute("SELECT max(updated_before) FROM ops.order_update_scans").fetchone()
        late_versions = conn.execute("SELECT sum(new_versions) FROM ops.order_update_scans WHERE run_id = ? AND list_contains(changed_days, ?)",
                                     [result.run_id, first]).fetchone()[0]
        core = dict(conn.execute("SELECT order_id, order_status FROM core.orders").fetchall())
        mart = dict(conn.execute("SELECT purchase_date, sum(orders) FROM marts.daily_sales GROUP BY 1").fetchall())
        per_day = dict(conn.execute("SELECT purchase_date, count(*) FROM core.orders GROUP BY 1").fetchall())
    every = truth_orders(sandbox.url, first, second)
    knowable = {o["orderId"]: o["status"] for o in every if datetime.fromisoformat(o["lastUpdatedTime"].replace("Z", "+00:00")) < horizon}
    assert late_versions, "the second run's lookback found changes to the first day (else this test proves nothing)"
    assert set(knowable) <= set(core), "orders created in the first day's last minutes are in core"
    stale = {oid: (core[oid], status) for oid, status in knowable.items() if core[oid] != status}
    assert not stale, f"{len(stale)} of {len(knowable)} orders stale in core: {list(stale.items())[:5]}"
    assert mart == per_day, "marts.daily_sales follows core's rebuilt day"
    zoho = requests.get(f"{sandbox.url}/_sandbox/zoho/records/Sales_Orders", timeout=30).json()["records"]
    in_zoho = {r["Amazon_Order_ID"]: r.get("Amazon_Order_Status") for r in zoho}
    pushed = {oid: status for oid, status in knowable.items() if status != "PENDING"}
    assert {oid: in_zoho.get(oid) for oid in pushed} == pushed, "Zoho holds every order's latest status"


def test_a_late_day_that_fails_a_blocking_check_stays_late_until_it_passes(sandbox, resources, project_env, hours_back, monkeypatch):
    """Core's ledger (ops.order_day_builds) says "built and passed": a rebuilt day whose blocking checks failed must
    be built and checked again by the next run, never taken as done by the marts and Zoho that follow the ledger."""
    from amazon_zoho.core import order_assets

    instance = dg.DagsterInstance.ephemeral()
    first, second = day_ago(2), day_ago(1)
    hours_back(33.5)
    dg.materialize(ASSETS, resources=resources, instance=instance, partition_key=first.isoformat())

    def ledger():
        with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
            return dict(conn.execute("SELECT purchase_date, raw_through FROM ops.order_day_builds WHERE consumer = 'core_orders'").fetchall())

    before = ledger()
    real = order_assets.results_for

    def failing(context, conn, package_file, checks, asset, params):
        results = real(context, conn, package_file, checks, asset, params)
        blocking = next(c.name for c in checks if c.blocking and c.asset == asset)
        return [r._replace(passed=False) if r.check_name == blocking else r for r in results]

    monkeypatch.setattr(order_assets, "results_for", failing)
    hours_back(9.5)  # the lookback finds changes to `first`: core rebuilds it, and its checks "fail"
    dg.materialize(ASSETS, resources=resources, instance=instance, partition_key=second.isoformat(), raise_on_error=False)
    assert ledger() == before, "neither the late day nor the window is recorded as built while a blocking check fails"

    monkeypatch.setattr(order_assets, "results_for", real)
    result = dg.materialize(ASSETS, resources=resources, instance=instance, partition_key=second.isoformat())
    late = next(e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(["core", "orders"]))
    assert str(first) in str(late.materialization.metadata["late_days_rebuilt"].value), "the next run builds the failed day again"
    assert ledger()[first] > before[first] and second in ledger()

"""Malformed API responses and report rows: a clear reason per record, and the rest still lands."""

import dagster as dg
import duckdb

from amazon_zoho.definitions import defs
from amazon_zoho_tests.assets import figure
from amazon_zoho_tests.truth import day_ago, truth_orders


def test_malformed_orders_and_settlement_rows_are_quarantined_not_dropped(sandbox, resources, project_env):
    sandbox.app.set_config({"fault_malformed_row_rate": 0.5, "orders_per_day": 40})
    first, last = day_ago(15), day_ago(1)
    result = dg.materialize(
        list(defs.assets),
        resources=resources,
        tags={"dagster/asset_partition_range_start": first.isoformat(), "dagster/asset_partition_range_end": last.isoformat()},
    )
    assert result.success

    truth = {o["orderId"] for o in truth_orders(sandbox.url, first, last)}
    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        landed = {r[0] for r in conn.execute("SELECT order_id FROM core.orders").fetchall()}
        held = conn.execute(
            "SELECT record_key, partition_date, reason FROM ops.quarantine WHERE source = 'core_orders'"
        ).fetchall()
        settlement_rejects = conn.execute(
            "SELECT file_name, line_number, reason, raw_text FROM ops.quarantine WHERE source IN ('settlement_file', 'core_settlement_lines')"
        ).fetchall()
        lines = conn.execute("SELECT count(*) FROM core.settlement_lines").fetchone()[0]

    assert held, "the fault corrupts one order per page"
    assert all("not a decimal" in reason and first <= day <= last for _, day, reason in held)
    assert landed | {key for key, _, _ in held} == truth, "every order is in core or in quarantine"
    assert not landed & {key for key, _, _ in held}
    assert settlement_rejects and lines > 0
    assert all(name and number and number > 1 and reason and text for name, number, reason, text in settlement_rejects)
    quarantined_meta = [
        figure(e.materialization.metadata, "quarantined")
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["core", "orders"])
    ]
    # One run over the range reports the range's count on each day's materialization.
    assert set(quarantined_meta) == {len(held)}

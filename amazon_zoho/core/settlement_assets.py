"""Canonical settlements and settlement lines, typed from the archived report rows."""


import dagster as dg

from ..partitions import daily_partitions
from ..warehouse import WarehouseResource, run_sql


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["core", "settlements"], deps=[["amazon_raw", "raw_settlements"]], description="One row per settlement: period, deposit date, total, currency.", kinds={"duckdb"}, owners=["team:finance"]),
        dg.AssetSpec(["core", "settlement_lines"], deps=[["amazon_raw", "raw_settlements"]], description="Every settlement detail row with a typed amount.", kinds={"duckdb"}, owners=["team:finance"]),
    ],
    group_name="core",
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb_writer",
)
def core_settlements(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Builds core.settlements and core.settlement_lines for settlements that ended in the window."""
    window = context.partition_time_window
    params = {"start": window.start.date(), "end": window.end.date()}
    with warehouse.connect() as conn:
        conn.begin()
        run_sql(conn, __file__, "settlement_window.sql", params)
        run_sql(conn, __file__, "settlements.sql", {**params, "run_id": context.run_id})
        conn.commit()
        settlements = conn.execute("SELECT count(*) FROM core.settlements WHERE end_date >= $start AND end_date < $end", params).fetchone()[0]
        lines = conn.execute("SELECT count(*) FROM core.settlement_lines WHERE end_date >= $start AND end_date < $end", params).fetchone()[0]
        quarantined = conn.execute(
            "SELECT count(*) FROM ops.quarantine WHERE source = 'core_settlement_lines' AND partition_date >= $start AND partition_date < $end", params
        ).fetchone()[0]
    yield dg.MaterializeResult(asset_key=["core", "settlements"], metadata={"dagster/row_count": settlements})
    yield dg.MaterializeResult(asset_key=["core", "settlement_lines"], metadata={"dagster/row_count": lines, "quarantined": quarantined})

"""Canonical settlements and settlement lines, typed from the archived report rows."""


import dagster as dg

from ..partitions import daily_writer
from ..warehouse import WarehouseResource
from ..warehouse.checks import Check, results_for, specs
from ..warehouse.docs import spec_docs
from ..warehouse.figures import rows_per_day, table_rows, window_figures
from ..warehouse.keys import resolve
from ..warehouse.preview import markdown_preview
from . import steps

SETTLEMENTS, LINES = ("core", "settlements"), ("core", "settlement_lines")

# Not blocking where a settlement does not tie out: nothing downstream of settlements writes to Zoho, and the marts
# should still show it, next to the reason. Blocking where a value is missing or counted twice: a NULL date or amount,
# or a settlement's lines from two reports, would make every sum downstream wrong without a word.
SETTLEMENT_CHECKS = [
    Check(SETTLEMENTS, "unique_key", "settlement_id is set and unique, with a deposit and a currency."),
    Check(SETTLEMENTS, "dates_and_deposit_set", "Every settlement has its period start and end, deposit date, deposit and currency "
          "(a date or amount that does not parse quarantines the settlement instead).", blocking=True),
    Check(SETTLEMENTS, "lines_sum_to_deposit", "The settlement's lines add up to its deposit, to the cent. A gap that "
          "quarantined lines of the same file explain is a WARN (fix or accept those lines); an unexplained gap is an ERROR.",
          warn_if_all="quarantined_lines > 0"),
    Check(LINES, "unique_key", "(report_id, line_number) is unique."),
    Check(LINES, "belong_to_settlements", "Every line's settlement is in core.settlements."),
    Check(LINES, "amount_and_posted_set", "Every line has its amount, posted time and currency (a cell that does not parse "
          "quarantines the row instead).", blocking=True),
    Check(LINES, "from_their_settlements_report", "Each settlement's lines come from the one report core.settlements names, so a "
          "settlement listed under two report ids counts once.", blocking=True),
    Check(LINES, "every_line_classified", "Every line has a line_class other than 'other'.", severity=dg.AssetCheckSeverity.WARN),
    Check(LINES, "nothing_quarantined", "Lists the window's settlement rows kept out of core, with file and line number.",
          severity=dg.AssetCheckSeverity.WARN),
]


def _spec(key: tuple[str, ...]) -> dg.AssetSpec:
    return dg.AssetSpec(list(key), deps=[["amazon_raw", "raw_settlements"]], kinds={"duckdb"}, owners=["team:finance"], **spec_docs(*key))


def build(partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """core.settlements with its lines, over `partitions`."""
    return [
        dg.multi_asset(specs=[_spec(SETTLEMENTS), _spec(LINES)], check_specs=specs(SETTLEMENT_CHECKS), group_name="core", **daily_writer(partitions))(
            core_settlements
        )
    ]


def core_settlements(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Builds core.settlements and core.settlement_lines for settlements that ended in the window."""
    window = context.partition_time_window
    params = {"start": window.start.date(), "end": window.end.date()}
    with warehouse.connect() as conn:
        conn.begin()
        for step in steps.BUILD_SETTLEMENTS:
            step.run(conn, {**params, "run_id": context.run_id})
        conn.commit()
        settlements = conn.execute("SELECT count(*) FROM core.settlements WHERE end_date >= $start AND end_date < $end", params).fetchone()[0]
        lines = conn.execute("SELECT count(*) FROM core.settlement_lines WHERE end_date >= $start AND end_date < $end", params).fetchone()[0]
        quarantined = conn.execute(
            "SELECT count(*) FROM ops.quarantine WHERE source = 'core_settlement_lines' AND partition_date >= $start AND partition_date < $end", params
        ).fetchone()[0]
        # Settlements Amazon listed under more than one report id: read from the newest, the others named here.
        superseded = [f"{sid}: {rid}" for sid, rid in conn.execute(
            "SELECT settlement_id, report_id FROM settlement_reports_window WHERE NOT chosen ORDER BY ALL").fetchall()]
        preview = markdown_preview(
            conn,
            "SELECT settlement_id, marketplace_id, period_start, period_end, deposit_date, total_amount, currency "
            "FROM core.settlements WHERE end_date >= $start AND end_date < $end ORDER BY period_end LIMIT 5",
            params,
        )
        tables = {t: table_rows(conn, f"core.{t}") for t in ("settlements", "settlement_lines")}
        per_day = {t: rows_per_day(conn, f"core.{t}", "end_date", params["start"], params["end"]) for t in tables}
        settlement_checks = results_for(context, conn, __file__, SETTLEMENT_CHECKS, SETTLEMENTS, params)
        line_checks = results_for(context, conn, __file__, SETTLEMENT_CHECKS, LINES, params)
    yield dg.MaterializeResult(
        asset_key=resolve(context, SETTLEMENTS),
        metadata=window_figures(context, {"settlements": settlements, "preview": dg.MetadataValue.md(preview)},
                                table_rows=tables["settlements"], rows_per_day=per_day["settlements"]),
        check_results=settlement_checks,
    )
    yield dg.MaterializeResult(
        asset_key=resolve(context, LINES),
        metadata=window_figures(context, {"lines": lines, "quarantined": quarantined, "superseded_reports": dg.MetadataValue.json(superseded)},
                                table_rows=tables["settlement_lines"], rows_per_day=per_day["settlement_lines"]),
        check_results=line_checks,
    )

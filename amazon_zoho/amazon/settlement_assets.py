"""Raw settlements: the settlement reports whose period ended in the partition window, archived and loaded."""


from datetime import timedelta

import dagster as dg

from .. import clock
from ..partitions import open_days
from ..warehouse import WarehouseResource, sql
from . import imports, settlement_files
from .raw_asset import raw_asset
from .reports import SETTLEMENT_REPORT_TYPE, download_document, list_reports
from .resource import AmazonSellerResource

# getReports only reaches back 90 days (Amazon's retention).
RETENTION = timedelta(days=90)
GAP_CHECK = "settlement_periods_contiguous"


def raw_settlements_asset(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    return dg.asset(
        key=["amazon_raw", "raw_settlements"],
        **raw_asset(partitions),
        check_specs=[
            dg.AssetCheckSpec(
                GAP_CHECK,
                asset=["amazon_raw", "raw_settlements"],
                description="Each marketplace's archived settlement periods follow each other without a gap; "
                "a gap Amazon still retains (90 days) is an error: run the days it names before the report is deleted.",
            )
        ],
    )(raw_settlements)


def raw_settlements(context: dg.AssetExecutionContext, amazon: AmazonSellerResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Settlement reports whose period ended in the window: archived under data/ and loaded row by row."""
    window = context.partition_time_window
    client = amazon.client()
    calls_before = sum(client.calls.values())
    since = max(window.start, clock.now() - RETENTION + timedelta(minutes=5))
    reports = [
        r
        for r in list_reports(client, [SETTLEMENT_REPORT_TYPE], created_since=since, statuses=["DONE"])
        if r.get("dataEndTime") and window.start <= clock.parse_instant(r["dataEndTime"]) < window.end
        and set(r.get("marketplaceIds") or amazon.marketplace_ids) & set(amazon.marketplace_ids)
    ]
    loaded = quarantined = downloaded = 0
    with warehouse.connect() as conn:
        for report in reports:
            report_id = report["reportId"]
            known = conn.execute(
                "SELECT archive_path, charset FROM raw.settlement_reports WHERE report_id = ?", [report_id]
            ).fetchone()
            conn.begin()
            if known and _exists(known[0]):
                # Downloaded once, archived forever: re-runs read the archive, not Amazon.
                path, charset = known
            else:
                document = download_document(client, amazon.session(), report["reportDocumentId"])
                marketplace = (report.get("marketplaceIds") or ["unknown"])[0]
                archived, digest = settlement_files.archive(warehouse.archive_dir, marketplace, report_id, document.raw)
                path, charset = str(archived), document.charset
                downloaded += 1
                conn.execute(
                    "INSERT OR REPLACE INTO raw.settlement_reports VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, clock_now())",
                    [report_id, marketplace, report.get("dataStartTime"), report["dataEndTime"], clock.parse_instant(report["dataEndTime"]).date(),
                     report.get("createdTime"), report["reportDocumentId"], path, digest, charset],
                )
            text = settlement_files.read_archive(path, charset)
            n_loaded, n_rejected = settlement_files.load_rows(
                conn, report_id, text, str(path), clock.parse_instant(report["dataEndTime"]).date(), context.run_id
            )
            conn.execute(
                "UPDATE raw.settlement_reports SET row_count = ?, settlement_id = (SELECT any_value(\"settlement-id\") "
                "FROM raw.settlement_rows WHERE report_id = ?) WHERE report_id = ?",
                [n_loaded, report_id, report_id],
            )
            replaced = imports.supersede_imports(conn, report_id)
            if replaced:
                context.log.info(f"report {report_id} replaces the imported file(s) {replaced} of the same settlement in raw")
            conn.commit()
            loaded += n_loaded
            quarantined += n_rejected
        gap_check = _gap_check(conn, context.assets_def.partitions_def)
    if quarantined:
        context.log.warning(f"{quarantined} settlement rows quarantined; see ops.quarantine (source = 'settlement_file')")
    return dg.MaterializeResult(
        check_results=[gap_check],
        metadata={
            "settlement_reports": len(reports),
            "downloaded": downloaded,
            "rows_loaded": loaded,
            "rows_quarantined": quarantined,
            "amazon_calls": sum(client.calls.values()) - calls_before,
            "dagster/row_count": loaded,
        }
    )


def _gap_check(conn, partitions: dg.PartitionsDefinition) -> dg.AssetCheckResult:
    """Missing settlement periods per marketplace, the fetchable ones as an error naming the days to run."""
    now = clock.now()
    cursor = conn.execute(sql(__file__, "settlement_gaps.sql"), {"retained_since": now - RETENTION})
    names = [d[0] for d in cursor.description]
    gaps = [dict(zip(names, row)) for row in cursor.fetchall()]
    # Today's partition opens at 00:00 UTC tomorrow: a gap that may end today cannot be run for today yet. (The
    # check runs inside a partition's run, so partitions exist.)
    _, last_open = open_days(partitions, now)
    actionable = [g for g in gaps if g["still_fetchable"] and g["first_day"] <= last_open]
    lines = [f"{g['marketplace_id']}: nothing between {g['gap_start']:%Y-%m-%d %H:%M} and {g['gap_end']:%Y-%m-%d %H:%M} UTC; "
             + _gap_advice(g, last_open) for g in gaps]
    return dg.AssetCheckResult(
        check_name=GAP_CHECK,
        passed=not gaps,
        severity=dg.AssetCheckSeverity.ERROR if actionable else dg.AssetCheckSeverity.WARN,
        metadata={
            "gaps": len(gaps),
            "still_fetchable": sum(1 for g in gaps if g["still_fetchable"]),
            "details": dg.MetadataValue.md("\n".join(f"- {line}" for line in lines) or "no gaps"),
        },
    )


def _gap_advice(gap: dict, last_open) -> str:
    first, last = gap["first_day"], gap["last_day"]
    if not gap["still_fetchable"]:
        return "older than Amazon's 90 days: download it from Seller Central"
    if first > last_open:
        return f"its day {first} has no partition until 00:00 UTC tomorrow; the settlement sensor loads it then"
    if last > last_open:
        return (f"run raw_settlements for {first}..{last_open}; {last} has no partition until 00:00 UTC tomorrow "
                "(the settlement sensor loads it then)")
    return f"run raw_settlements for {first}..{last}"



def _exists(path: str) -> bool:
    from pathlib import Path

    return Path(path).exists()

"""Raw settlements: the settlement reports whose period ended in the partition window, archived and loaded."""


from datetime import timedelta

import dagster as dg

from .. import clock
from ..partitions import open_days
from ..warehouse import WarehouseResource, sql
from ..warehouse.figures import rows_per_day, table_rows, window_figures
from . import flat_files, imports, settlement_files
from .raw_asset import raw_asset
from .reports import SETTLEMENT_REPORT_TYPE, download_document, list_reports
from .resource import AmazonSellerResource

# getReports only reaches back 90 days (Amazon's retention).
RETENTION = timedelta(days=90)
GAP_CHECK = "settlement_periods_contiguous"
FILES_CHECK = "settlement_files_loaded"


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
            ),
            # Blocking: a settlement file refused whole is a lost deposit, so the run fails (and the failure sensor
            # tells the operator) rather than the asset looking green with a quarantine row nobody reads. Its rows
            # stay quarantined and the other files of the window stay loaded; a re-run after the fix loads it.
            dg.AssetCheckSpec(
                FILES_CHECK,
                asset=["amazon_raw", "raw_settlements"],
                blocking=True,
                description="Every settlement file of the window was read: none refused whole (header lacks required "
                "columns, not a report, empty); ERROR naming the report. Files read in a guessed encoding are a WARN.",
            ),
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
    loaded = quarantined = downloaded = padded = 0
    rejected: list[str] = []
    decode_notes: list[str] = []
    with warehouse.connect() as conn:
        for report in reports:
            report_id = report["reportId"]
            known = conn.execute(
                "SELECT archive_path, charset, marketplace_id FROM raw.settlement_reports WHERE report_id = ?", [report_id]
            ).fetchone()
            conn.begin()
            if known and _exists(known[0]):
                # Downloaded once, archived forever: re-runs read the archive, not Amazon.
                path, charset, marketplace = known
            else:
                marketplace = (report.get("marketplaceIds") or ["unknown"])[0]
                document = download_document(client, amazon.session(), report["reportDocumentId"], marketplace_id=marketplace)
                archived, digest = settlement_files.archive(warehouse.archive_dir, marketplace, report_id, document.raw)
                path, charset = str(archived), document.charset
                downloaded += 1
                conn.execute(
                    "INSERT OR REPLACE INTO raw.settlement_reports VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, clock_now())",
                    [report_id, marketplace, report.get("dataStartTime"), report["dataEndTime"], clock.parse_instant(report["dataEndTime"]).date(),
                     report.get("createdTime"), report["reportDocumentId"], path, digest, charset],
                )
            decoded = settlement_files.decode_archive(path, charset, marketplace_id=marketplace)
            flat_files.record_decode(conn, "settlement_file", report_id, marketplace, decoded, context.run_id)
            notes = settlement_files.LoadNotes()
            n_loaded, n_rejected = settlement_files.load_rows(
                conn, report_id, decoded.text, str(path), clock.parse_instant(report["dataEndTime"]).date(), context.run_id,
                notes=notes,
            )
            if decoded.note:
                decode_notes.append(f"{report_id} ({marketplace}) read as {decoded.encoding}: {decoded.note}")
                context.log.warning(f"settlement report {report_id}: {decode_notes[-1]}; recorded in ops.decode_events")
            if notes.rejected:
                rejected.append(f"{report_id} ({marketplace}, period ending {report['dataEndTime']}): {notes.rejected}")
                context.log.error(f"settlement report {report_id} refused whole, its deposit is not loaded: {notes.rejected}; "
                                  "see ops.quarantine (source = 'settlement_file')")
            padded += len(notes.padded or [])
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
        rows_held = table_rows(conn, "raw.settlement_rows")
        per_day = rows_per_day(conn, "raw.settlement_rows JOIN raw.settlement_reports USING (report_id)", "end_date",
                               window.start.date(), window.end.date())
    if quarantined:
        context.log.warning(f"{quarantined} settlement rows quarantined; see ops.quarantine (source = 'settlement_file')")
    return dg.MaterializeResult(
        check_results=[gap_check, _files_check(rejected, decode_notes)],
        metadata=window_figures(context, {
            "settlement_reports": len(reports),
            "downloaded": downloaded,
            "rows_loaded": loaded,
            "rows_quarantined": quarantined,
            "files_rejected": len(rejected),
            "summary_rows_padded": padded,
            "fallback_decodes": len(decode_notes),
            "decode_notes": dg.MetadataValue.md("\n".join(f"- {n}" for n in decode_notes) or "every file read cleanly"),
            "amazon_calls": sum(client.calls.values()) - calls_before,
        }, table_rows=rows_held, rows_per_day=per_day),
    )


def _files_check(rejected: list[str], decode_notes: list[str]) -> dg.AssetCheckResult:
    """ERROR when a file was refused whole (a deposit not loaded); WARN when one was read in a guessed encoding."""
    return dg.AssetCheckResult(
        check_name=FILES_CHECK,
        passed=not rejected and not decode_notes,
        severity=dg.AssetCheckSeverity.ERROR if rejected else dg.AssetCheckSeverity.WARN,
        description="; ".join(rejected) if rejected else None,
        metadata={
            "files_rejected": len(rejected),
            "rejected": dg.MetadataValue.md("\n".join(f"- {r}" for r in rejected) or "none"),
            "fallback_decodes": len(decode_notes),
        },
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

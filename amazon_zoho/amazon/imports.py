"""Report files a seller downloaded by hand from Seller Central: recognised, archived and loaded into raw.

Amazon lists settlement reports for 90 days only; older ones (and any report a seller saved) exist only as the
files Seller Central let them download. What a file is comes from its header, never its name: a settlement
report (GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2, API-FACTS §4: header starts with settlement-id) or an
all-orders flat file (API-FACTS §12a: amazon-order-id ...). Anything else is refused with the reason and
touches nothing but its row in ops.imports. A loaded file gets the report id `import-<sha256[:16]>` of its
bytes, so importing it again changes nothing, and goes through the loaders the API path uses
(settlement_files.load_rows, order_reports._load_document). Nothing here calls Amazon.

A file is read in its marketplace's likely encoding the way the API path reads a document (reports.decode_report),
once the marketplace is known, and a read that was not clean is recorded in ops.decode_events. Its settlement-end-date
is read by core's own macros (core/sql/settlement_formats.sql) in the marketplace's day order, so the day a file
is filed under is the day core gives its deposit. Which imports still wait for core and marts to be rebuilt is
kept in ops.imports.rebuild_requested_at (`owed_rebuilds`), so a caller that died before asking asks again.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb

from .. import clock
from ..core.steps import SETTLEMENT_FORMATS
from . import flat_files, marketplaces, order_reports, settlement_files
from .reports import ORDERS_BY_DATE, Decoded, ReportOutcome, ReportSpec, decode_report

SETTLEMENT, ORDER_REPORT = "settlement", "order_report"
LOADED, ALREADY_LOADED, REFUSED, SUPERSEDED = "loaded", "already_loaded", "refused", "superseded"
ID_PREFIX = "import-"
# Marketplaces by the name settlement files (marketplace-name) and order reports (sales-channel) write.
BY_CHANNEL = {m.sales_channel.lower(): m for m in marketplaces.MARKETPLACES}
# ops.decode_events' source for each kind, as the API path records them (settlement_assets.py, order_reports.py).
DECODE_SOURCE = {"settlement": "settlement_file", "order_report": "order_report"}


class Refused(ValueError):
    """The file is not a report we can load; the message says why and what to do."""


@dataclass(frozen=True)
class Report:
    kind: str
    text: str
    lines: list[str]
    header: list[str]
    data: bytes = b""  # the bytes (gunzipped), to read again in the marketplace's encoding once that is known


@dataclass
class ImportResult:
    file_name: str
    status: str  # loaded, already_loaded or refused
    reason: str | None = None
    kind: str | None = None
    report_id: str | None = None
    marketplace_ids: list[str] = field(default_factory=list)
    days: list[date] = field(default_factory=list)  # partition days whose core and marts the file changed
    rows_loaded: int = 0
    rows_quarantined: int = 0
    archive_path: str | None = None
    # Already loaded: the days its first import changed (ops.imports). Whether they still need a rebuild is not
    # decided here but by ops.imports.rebuild_requested_at (owed_rebuilds), which make import and the sensor ask.
    loaded_days: list[date] = field(default_factory=list)
    # How the bytes were read when it was not a clean read (reports.Decoded.note), as ops.decode_events records it.
    decode_note: str | None = None
    superseded: list[str] = field(default_factory=list)  # earlier imports of the same settlement this file replaced

    def summary(self) -> str:
        where = f" ({', '.join(self.marketplace_ids)})" if self.marketplace_ids else ""
        if self.status == REFUSED:
            return f"REFUSED {self.file_name}: {self.reason}"
        if self.status == ALREADY_LOADED:
            return f"already loaded {self.file_name}: {self.reason}"
        span = f"{min(self.days)}..{max(self.days)}" if self.days else "no day changed"
        replaced = f"; replaces the earlier import {', '.join(self.superseded)} of the same settlement" if self.superseded else ""
        note = f"; {self.decode_note} (recorded in ops.decode_events)" if self.decode_note else ""
        return (f"loaded {self.file_name}: {self.kind} {self.report_id}{where}, {self.rows_loaded} rows, "
                f"{self.rows_quarantined} quarantined; days {span}{replaced}{note}")


def report_id_of(raw: bytes) -> str:
    return ID_PREFIX + hashlib.sha256(raw).hexdigest()[:16]


def read_report(raw: bytes) -> Report:
    """The report in `raw`, or Refused naming what the file is instead."""
    if not raw.strip():
        raise Refused("empty file")
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise Refused(f"a gzip file that does not decompress ({exc})") from None
    if raw.startswith(b"%PDF"):
        raise Refused("a PDF document, not a report: download the report as a flat file (.txt) from Seller Central")
    if raw.startswith(b"PK\x03\x04"):
        raise Refused("a ZIP archive (or an Excel .xlsx), not a report: import the tab-separated .txt inside")
    # A first read without the marketplace (the file says which only once read); its header, marketplace names and
    # dates are ASCII in every encoding Amazon writes. The loaders read it again in that marketplace's encoding.
    text = decode_report(raw, None).text.lstrip("\ufeff")  # Seller Central does not write a BOM; an editor that saved the file may
    if "\x00" in text:
        raise Refused("a binary file, not a tab-separated report")
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype html", "<html", "<?xml", "<head", "<body")):
        raise Refused("an HTML/XML page (a Seller Central login or error page saved instead of the report), not a report")
    lines = flat_files.split_lines(text)
    if "\t" not in lines[0]:
        raise Refused(f"the first line has no tab, so it is not an Amazon flat file (first line: {lines[0][:80]!r})")
    header = flat_files.header_of(lines)
    kind = _kind(header)
    if not any(line.strip() for line in lines[1:]):
        raise Refused(f"a {kind.replace('_', ' ')} header with no rows: nothing to load")
    return Report(kind, text, lines, header, raw)


def reread(report: Report, marketplace_id: str | None) -> tuple[Report, Decoded]:
    """The report read as the API path reads a document of `marketplace_id` (reports.decode_report: no charset is
    declared for a download, so a non-UTF-8 file is read in the marketplace's likely encoding, with a note)."""
    decoded = decode_report(report.data, None, marketplace_id)
    text = decoded.text.lstrip("\ufeff")
    lines = flat_files.split_lines(text)
    return Report(report.kind, text, lines, flat_files.header_of(lines), report.data), decoded


def _kind(header: list[str]) -> str:
    if "settlement-id" in header:
        missing = [c for c in settlement_files.REQUIRED if c not in header]
        if not missing:
            return SETTLEMENT
        raise Refused(f"looks like a settlement report but its header lacks {missing}")
    if "amazon-order-id" in header:
        missing = [c for c in order_reports.REQUIRED if c not in header]
        if not missing:
            return ORDER_REPORT
        raise Refused(f"looks like an order report but its header lacks {missing}")
    if "order-id" in header and "buyer-email" in header:
        # The order report of Seller Central's Manage Orders page (GET_FLAT_FILE_ORDERS_DATA, report-type-values-order:
        # https://developer-docs.amazon.com/sp-api/docs/report-type-values-order; its header "order-id, order-item-id,
        # purchase-date, payments-date, buyer-email, buyer-name, ..." as public parsers quote it): unshipped
        # merchant-fulfilled orders with buyer contact details, not the all-orders file this project reads.
        raise Refused("this is Seller Central's (unshipped) order report with buyer details (order-id, buyer-email, ...); "
                      "import the All Orders report (Reports > Fulfillment > All Orders) instead")
    raise Refused(
        f"the header names neither a settlement report (settlement-id, {', '.join(settlement_files.REQUIRED[1:])}) "
        f"nor an order report (amazon-order-id, purchase-date, ...); it starts {', '.join(header[:4])}"
    )


def import_file(
    conn: duckdb.DuckDBPyConnection, raw: bytes, file_name: str, archive_dir: str,
    marketplace_id: str | None = None, run_id: str | None = None,
) -> ImportResult:
    """Loads one downloaded file into raw (a transaction), archives it and records it in ops.imports.

    `marketplace_id` is the seller's word for files that do not name their marketplace (a settlement of service
    fees only, an order report of Non-Amazon orders); a file that names another one is refused."""
    digest = hashlib.sha256(raw).hexdigest()
    report_id = ID_PREFIX + digest[:16]
    done = conn.execute(
        "SELECT report_id, imported_at, first_day, last_day FROM ops.imports WHERE sha256 = ? AND status = ?", [digest, LOADED]
    ).fetchone()
    if done:
        earlier = [done[2] + timedelta(days=n) for n in range((done[3] - done[2]).days + 1)] if done[2] else []
        return ImportResult(file_name, ALREADY_LOADED, f"the same bytes were loaded as {done[0]} at {done[1]:%Y-%m-%d %H:%M} UTC",
                            report_id=done[0], loaded_days=earlier)
    try:
        report = read_report(raw)
        conn.begin()
        try:
            if report.kind == SETTLEMENT:
                result = _load_settlement(conn, report, raw, report_id, file_name, archive_dir, marketplace_id, run_id)
            else:
                result = _load_order_report(conn, report, raw, report_id, file_name, archive_dir, marketplace_id, run_id)
            if result.status == LOADED:
                _record(conn, digest, result, run_id)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
    except Refused as refused:
        result = ImportResult(file_name, REFUSED, str(refused), report_id=report_id)
        _record(conn, digest, result, run_id)
    except duckdb.IOException:
        raise  # the warehouse file is locked or gone: nothing was decided about this file
    except Exception as exc:  # noqa: BLE001 - a file a loader chokes on is refused with the error, and the next file goes on
        result = ImportResult(file_name, REFUSED, f"loading failed ({type(exc).__name__}: {exc}); import it again once that is fixed",
                              report_id=report_id)
        _record(conn, digest, result, run_id)
    return result


def _load_settlement(conn, report: Report, raw: bytes, report_id: str, file_name: str, archive_dir: str,
                     marketplace_id: str | None, run_id: str | None) -> ImportResult:
    market = settlement_facts(report, marketplace_id, conn)["marketplace_id"]
    report, decoded = reread(report, market)
    facts = settlement_facts(report, market, conn)
    known = conn.execute(
        "SELECT report_id, end_date FROM raw.settlement_reports WHERE settlement_id = ? AND report_id <> ? ORDER BY report_id",
        [facts["settlement-id"], report_id],
    ).fetchall()
    api = [r for r, _ in known if not r.startswith(ID_PREFIX)]
    if api:
        # Two reports of one settlement would count its lines twice in core.settlement_lines; Amazon's own report
        # carries its metadata (createdTime, document id), so it stays and a download of the same settlement does not load.
        return ImportResult(file_name, ALREADY_LOADED,
                            f"settlement {facts['settlement-id']} is already loaded from report {api[0]}, Amazon's own report "
                            "(the API's copy wins over a downloaded file)", kind=SETTLEMENT, report_id=api[0])
    # An earlier import of other bytes (a download the browser cut short, a re-saved copy): this file replaces it.
    superseded = [r for r, _ in known]
    for old in superseded:
        _remove_import(conn, old, f"a later file of settlement {facts['settlement-id']} ({file_name}, {report_id}) replaced it")
    path, digest = settlement_files.archive(archive_dir, facts["marketplace_id"], report_id, raw)
    end_day = facts["end"].date()
    conn.execute(
        "INSERT OR REPLACE INTO raw.settlement_reports VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, NULL, NULL, clock_now())",
        [report_id, facts["settlement-id"], facts["marketplace_id"], facts["start"], facts["end"], end_day, str(path), digest],
    )
    flat_files.record_decode(conn, DECODE_SOURCE[SETTLEMENT], report_id, facts["marketplace_id"], decoded, run_id)
    loaded, rejected = settlement_files.load_rows(conn, report_id, report.text, str(path), end_day, run_id)
    conn.execute("UPDATE raw.settlement_reports SET row_count = ? WHERE report_id = ?", [loaded, report_id])
    # The days the replaced imports were filed under lose the settlement: they are rebuilt too.
    days = sorted({end_day, *(d for _, d in known if d)})
    return ImportResult(file_name, LOADED, None, SETTLEMENT, report_id, [facts["marketplace_id"]], days, loaded, rejected, str(path),
                        decode_note=_note(decoded), superseded=superseded)


def _note(decoded: Decoded) -> str | None:
    return f"read as {decoded.encoding}: {decoded.note}" if decoded.note else None


def settlement_facts(report: Report, marketplace_id: str | None, conn: duckdb.DuckDBPyConnection) -> dict:
    """The summary row's settlement id, period and currency, and the marketplace the file is for."""
    rows = [dict(zip(report.header, line.split("\t"))) for line in report.lines[1:] if line.strip()]
    # Amazon writes the summary (settlement-id, period, deposit, total-amount, currency) first (API-FACTS §4).
    summary = next((r for r in rows if (r.get("total-amount") or "").strip()), None)
    if summary is None:
        raise Refused("a settlement report without its summary row (the row with total-amount): not a complete download")
    facts = {"settlement-id": (summary.get("settlement-id") or "").strip(), "currency": (summary.get("currency") or "").strip()}
    if not facts["settlement-id"]:
        raise Refused("the summary row has no settlement-id")
    names = {(r.get("marketplace-name") or "").strip() for r in rows} - {""}
    facts["marketplace_id"] = _settlement_marketplace(names, facts["currency"], marketplace_id)
    for name, key in (("settlement-start-date", "start"), ("settlement-end-date", "end")):
        facts[key] = settlement_instant(conn, summary.get(name) or "", facts["marketplace_id"])
        if facts[key] is None and key == "end":
            raise Refused(f"settlement-end-date {summary.get(name)!r} is not a date as {facts['marketplace_id']} writes dates: "
                          "the day to file the settlement under is unknown")
    return facts


def settlement_instant(conn: duckdb.DuckDBPyConnection, text: str, marketplace_id: str) -> datetime | None:
    """The instant a settlement date names, read by core's macros in the marketplace's day order (15/01/2023 is
    DMY in the UK, 01/15/2023 MDY in the US; settlement_formats.sql), or None when core would not read it either."""
    SETTLEMENT_FORMATS.run(conn)
    row = conn.execute(
        "SELECT settlement_ts(?, settlement_date_order(posted_date_format)) FROM core.marketplaces WHERE marketplace_id = ?",
        [text, marketplace_id],
    ).fetchone()
    return row[0].astimezone(timezone.utc) if row and row[0] is not None else None


def _settlement_marketplace(names: set[str], currency: str, given: str | None) -> str:
    named = sorted({BY_CHANNEL[n.lower()].marketplace_id for n in names if n.lower() in BY_CHANNEL})
    if given and named and named != [given]:
        raise Refused(f"the file is for {', '.join(sorted(names))} ({', '.join(named)}), not MARKETPLACE={given}")
    if len(named) > 1 and not given:
        raise Refused(f"the file names several marketplaces ({', '.join(sorted(names))}); pass MARKETPLACE=<id> for the one it settles")
    chosen = given or (named[0] if named else None)
    if chosen is None:
        # A settlement of fees only names no marketplace; its currency may still say which (GBP: UK only).
        by_currency = [m.marketplace_id for m in marketplaces.MARKETPLACES if m.currency == currency]
        if len(by_currency) != 1:
            raise Refused(f"the file names no marketplace (marketplace-name is empty) and {currency or 'no currency'} is "
                          f"settled in {len(by_currency)} marketplaces; pass MARKETPLACE=<id>, e.g. A1PA6795UKMFR9 for Amazon.de")
        chosen = by_currency[0]
    expected = marketplaces.BY_ID[chosen].currency
    if currency and currency != expected:
        raise Refused(f"the summary's currency {currency} is not {chosen}'s ({expected})")
    return chosen


def _load_order_report(conn, report: Report, raw: bytes, report_id: str, file_name: str, archive_dir: str,
                       marketplace_id: str | None, run_id: str | None) -> ImportResult:
    column = report.header.index("sales-channel")
    channels = {cells[column].strip() for cells in (line.split("\t") for line in report.lines[1:]) if len(cells) > column} - {""}
    named = {BY_CHANNEL[c.lower()].marketplace_id for c in channels if c.lower() in BY_CHANNEL}
    unknown = sorted(c for c in channels if c.lower() not in BY_CHANNEL)
    if unknown and not marketplace_id:
        raise Refused(f"sales-channel {', '.join(unknown)} is no Amazon marketplace; pass MARKETPLACE=<id> for the orders it sold")
    ids = sorted(named | ({marketplace_id} if marketplace_id else set()))
    # As order_reports.py reads a document: in the first marketplace's likely encoding (one file, one encoding).
    report, decoded = reread(report, ids[0] if ids else None)
    start, end = _purchase_span(report)
    path = archive_order_report(archive_dir, ids, report_id, raw)
    outcome = ReportOutcome(ReportSpec(ORDERS_BY_DATE, start, end, tuple(ids)), report_id, "DONE", None, False, 1)
    flat_files.record_decode(conn, DECODE_SOURCE[ORDER_REPORT], report_id, ids[0] if ids else None, decoded, run_id)
    # In the import's one transaction: ops.imports says LOADED only when all of the file landed (import_file).
    loaded, quarantined, _, days = order_reports._load_document(conn, report.text, outcome, run_id, own_transactions=False)
    return ImportResult(file_name, LOADED, None, ORDER_REPORT, report_id, ids, sorted(days), loaded, quarantined, str(path),
                        decode_note=_note(decoded))


def _purchase_span(report: Report) -> tuple[datetime, datetime]:
    """[first, last] purchase instant of the file: the window ReportSpec would have asked for."""
    column = report.header.index("purchase-date")
    instants = []
    for line in report.lines[1:]:
        cells = line.split("\t")
        try:
            instants.append(clock.parse_instant(cells[column]))
        except (IndexError, ValueError):
            continue  # the loader quarantines the line with its reason
    if not instants:
        raise Refused("no row has a purchase-date Amazon's way (ISO 8601 with an offset, e.g. 2026-05-04T09:12:44+00:00)")
    return min(instants), max(instants)


def archive_order_report(archive_dir: str, marketplace_ids: list[str], report_id: str, raw: bytes) -> Path:
    """Beside the settlement archive, the same way: the bytes as downloaded, written atomically."""
    folder = marketplace_ids[0] if len(marketplace_ids) == 1 else "multi"
    suffix = ".tsv.gz" if raw[:2] == b"\x1f\x8b" else ".tsv"
    path = Path(archive_dir) / "order_reports" / folder / f"{report_id}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(raw)
    tmp.replace(path)
    return path


def _record(conn: duckdb.DuckDBPyConnection, digest: str, result: ImportResult, run_id: str | None) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO ops.imports (sha256, report_id, file_name, kind, status, reason, marketplace_ids, first_day, last_day, "
        "rows_loaded, rows_quarantined, archive_path, run_id, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, clock_now())",
        [digest, result.report_id, result.file_name, result.kind, result.status, result.reason, result.marketplace_ids,
         min(result.days, default=None), max(result.days, default=None), result.rows_loaded, result.rows_quarantined,
         result.archive_path, run_id],
    )


def supersede_imports(conn: duckdb.DuckDBPyConnection, report_id: str) -> list[str]:
    """Imported reports of the settlement that API report `report_id` holds, removed from raw (their archive stays).

    One settlement, one report in raw: core.settlement_lines would count two reports' lines twice. The API's
    copy wins, as it carries Amazon's report metadata (createdTime, document id, charset)."""
    superseded = [r for (r,) in conn.execute(
        "SELECT i.report_id FROM raw.settlement_reports i JOIN raw.settlement_reports a ON a.settlement_id = i.settlement_id "
        "WHERE a.report_id = ? AND i.report_id <> a.report_id AND i.report_id LIKE ?", [report_id, ID_PREFIX + "%"]
    ).fetchall()]
    for old in superseded:
        _remove_import(conn, old, f"Amazon's report {report_id} of the same settlement replaced it")
    return superseded


def _remove_import(conn: duckdb.DuckDBPyConnection, old: str, reason: str) -> None:
    """An imported settlement report out of raw, with what was quarantined of it (the file's rows, and core's
    lines of it: they would name a report that is gone), its decode note, and `superseded` in ops.imports."""
    archive = conn.execute("SELECT archive_path FROM raw.settlement_reports WHERE report_id = ?", [old]).fetchone()
    conn.execute(
        "DELETE FROM ops.quarantine WHERE source IN ('settlement_file', 'core_settlement_lines') AND (record_key = ? OR file_name = ?)",
        [old, archive[0] if archive else None],
    )
    conn.execute("DELETE FROM ops.decode_events WHERE source = ? AND report_id = ?", [DECODE_SOURCE[SETTLEMENT], old])
    conn.execute("DELETE FROM raw.settlement_rows WHERE report_id = ?", [old])
    conn.execute("DELETE FROM raw.settlement_reports WHERE report_id = ?", [old])
    conn.execute("UPDATE ops.imports SET status = ?, reason = ? WHERE report_id = ? AND status = ?", [SUPERSEDED, reason, old, LOADED])


@dataclass(frozen=True)
class OwedRebuild:
    """A loaded import whose days no caller has asked core and marts to be rebuilt for yet."""

    sha256: str
    report_id: str
    file_name: str
    days: list[date]


def owed_rebuilds(conn: duckdb.DuckDBPyConnection) -> list[OwedRebuild]:
    """Loaded imports still owed a rebuild (ops.imports.rebuild_requested_at is NULL), oldest first: the file is in
    raw, but a caller (the inbox sensor's tick, make import) died or failed before core and marts were asked for."""
    rows = conn.execute(
        "SELECT sha256, report_id, file_name, first_day, last_day FROM ops.imports "
        "WHERE status = ? AND rebuild_requested_at IS NULL ORDER BY imported_at, sha256", [LOADED]
    ).fetchall()
    return [OwedRebuild(sha, rid, name, [first + timedelta(days=n) for n in range((last - first).days + 1)] if first else [])
            for sha, rid, name, first, last in rows]


def mark_rebuild_requested(conn: duckdb.DuckDBPyConnection, owed: list[OwedRebuild]) -> None:
    """Records that the rebuild of these imports was asked for (the sensor's run requests, or make import's runs succeeded)."""
    if owed:
        conn.execute("UPDATE ops.imports SET rebuild_requested_at = clock_now() WHERE sha256 IN (SELECT unnest(?))",
                     [[o.sha256 for o in owed]])

"""What a report is in the simulated Reports API 2021-06-30: its stored row, its lifecycle, its JSON.

Reports created through createReport live in the store (they survive restarts). Settlement reports are
published by Amazon itself, so they are not stored: they come from `documents.settlement_reports`, a pure
function of the seed and the clock, and get a document id derived from their report id.

Lifecycle rule (time since creation, measured when the report is read):
    duration = config.report_processing_seconds / config.time_scale   (frozen at creation)
    [0, duration/3)      IN_QUEUE
    [duration/3, duration) IN_PROGRESS   (processingStartTime = created + duration/3)
    >= duration          the outcome: DONE, FATAL or CANCELLED (processingEndTime = created + duration), decided
                         at creation, except an order file's, made in the background (report_processing.py): until
                         it is made the report stays IN_PROGRESS, then DONE, or CANCELLED when no order matches
A report cancelled by cancelReport is CANCELLED from that moment, with no processing times.
"""

from __future__ import annotations

import gzip
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..http import Response

SETTLEMENT_V2 = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
# "Reports are retained for a maximum of 90 days" (getReports.createdSince).
RETENTION = timedelta(days=90)
STATUSES = ("CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE")
FINAL = ("CANCELLED", "DONE", "FATAL")


def gzipped(data: bytes) -> bytes:
    """A report document as Amazon serves it (compressionAlgorithm GZIP), at level 6, zlib's and the gzip tool's
    default: Amazon states the algorithm, not a level, and gzip.compress's default 9 took 1.6 times the CPU for a
    body 3 % smaller (an order report of 2 days at 10,000 orders a day). mtime 0: the same document, the same bytes."""
    return gzip.compress(data, compresslevel=6, mtime=0)


SCHEMA = """
CREATE TABLE IF NOT EXISTS amazon_reports (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id TEXT UNIQUE NOT NULL,
    report_type TEXT NOT NULL,
    marketplace_ids TEXT NOT NULL,      -- JSON list
    data_start REAL NOT NULL,           -- epoch seconds
    data_end REAL NOT NULL,
    created REAL NOT NULL,
    duration REAL NOT NULL,             -- seconds from creation to the final status
    outcome TEXT NOT NULL,              -- DONE, FATAL or CANCELLED, decided at creation; RENDERING until made
    document_id TEXT,                   -- set for DONE and FATAL
    cancelled_at REAL,                  -- set by cancelReport
    principal TEXT
);
CREATE TABLE IF NOT EXISTS amazon_report_documents (
    document_id TEXT PRIMARY KEY,
    report_id TEXT NOT NULL,
    body BLOB NOT NULL,                 -- gzip-compressed, as S3 serves it
    content_type TEXT NOT NULL
);
"""

_DOC_NAMESPACE = uuid.UUID("6f1d7f0e-3a52-4f4e-9a0b-5d0c2b9e7a11")


@dataclass(frozen=True)
class ReportView:
    """One report as getReport shows it at a given moment."""

    report_id: str
    report_type: str
    marketplace_ids: list[str]
    data_start: float
    data_end: float
    created: float
    status: str
    processing_start: float | None
    processing_end: float | None
    document_id: str | None

    def as_json(self) -> dict:
        body = {
            "reportId": self.report_id,
            "reportType": self.report_type,
            "marketplaceIds": self.marketplace_ids,
            "dataStartTime": fmt_time(self.data_start),
            "dataEndTime": fmt_time(self.data_end),
            "createdTime": fmt_time(self.created),
            "processingStatus": self.status,
        }
        if self.processing_start is not None:
            body["processingStartTime"] = fmt_time(self.processing_start)
        if self.processing_end is not None:
            body["processingEndTime"] = fmt_time(self.processing_end)
        if self.document_id is not None:
            body["reportDocumentId"] = self.document_id
        return body


def view_stored(row: dict, now: float) -> ReportView:
    created, duration = row["created"], row["duration"]
    started, ended = created + duration / 3, created + duration
    status, p_start, p_end, doc = "IN_QUEUE", None, None, None
    if row["cancelled_at"] is not None and row["cancelled_at"] <= now:
        status = "CANCELLED"
    elif now >= ended and row["outcome"] == "RENDERING":  # report_processing.RENDERING: its file is still being made
        status, p_start = "IN_PROGRESS", started
    elif now >= ended:
        status, p_start, p_end, doc = row["outcome"], started, ended, row["document_id"]
    elif now >= started:
        status, p_start = "IN_PROGRESS", started
    return ReportView(
        report_id=row["report_id"],
        report_type=row["report_type"],
        marketplace_ids=json.loads(row["marketplace_ids"]),
        data_start=row["data_start"],
        data_end=row["data_end"],
        created=created,
        status=status,
        processing_start=p_start,
        processing_end=p_end,
        document_id=doc,
    )


def view_settlement(info) -> ReportView:
    # Amazon finishes settlement reports before publishing them, so they are DONE when listed.
    created = _epoch(info.created)
    return ReportView(
        report_id=str(info.report_id),
        report_type=SETTLEMENT_V2,
        marketplace_ids=[info.marketplace_id],
        data_start=_epoch(info.start),
        data_end=_epoch(info.end),
        created=created,
        status="DONE",
        processing_start=created,
        processing_end=created,
        document_id=settlement_document_id(str(info.report_id)),
    )


def settlement_document_id(report_id: str) -> str:
    return "amzn1.spdoc.1.4.eu." + str(uuid.uuid5(_DOC_NAMESPACE, "settlement:" + report_id))


def report_document_id(report_id: str) -> str:
    return "amzn1.spdoc.1.4.eu." + str(uuid.uuid5(_DOC_NAMESPACE, "report:" + report_id))


def settlements(app, now: float) -> list[ReportView]:
    """Settlement reports Amazon has published by `now` and still retains."""
    # documents publishes them (tests stand in for it); settlement_schedule adds the second listings of the fault knob.
    from .documents import settlement_reports  # written by another module; imported when used
    from .settlement_schedule import listed_settlement_reports

    floor = now - RETENTION.total_seconds()
    views = [view_settlement(s) for s in listed_settlement_reports(app, to_datetime(now), settlement_reports)]
    return [v for v in views if floor <= v.created <= now]


def find_report(app, report_id: str, now: float, settle=lambda app, rows, now: rows) -> tuple[ReportView | None, dict | None]:
    """(view, stored row or None) for a retained report, or (None, None). `settle` brings stored rows up to date
    (reports.py passes report_processing.settled, which imports this module: passed in, not imported, so no cycle)."""
    floor = now - RETENTION.total_seconds()
    rows = app.store.query("SELECT * FROM amazon_reports WHERE report_id = ?", (report_id,))
    if rows:
        rows = settle(app, rows, now)
        if rows[0]["created"] < floor:
            return None, None
        return view_stored(rows[0], now), rows[0]
    for view in settlements(app, now):
        if view.report_id == report_id:
            return view, None
    return None, None


# -- time and errors ---------------------------------------------------------------------------
def to_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def fmt_time(epoch: float) -> str:
    # Amazon's own responses use second precision with an explicit offset: 2022-05-12T14:49:52+00:00.
    return to_datetime(epoch).replace(microsecond=0).isoformat()


def parse_time(value: str) -> float:
    """ISO 8601 (with Z, an offset or naive = UTC) to epoch seconds; ValueError if malformed."""
    parsed = datetime.fromisoformat(value.strip())
    return _epoch(parsed)


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def error(status: int, code: str, message: str, details: str = "") -> Response:
    return Response.json(status, {"errors": [{"code": code, "message": message, "details": details}]})


def invalid(message: str, details: str = "") -> Response:
    return error(400, "InvalidInput", message, details)

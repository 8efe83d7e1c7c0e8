"""Reports API 2021-06-30: createReport, getReport and cancelReport, plus the wiring of the other
report operations (getReports in report_search, documents in report_downloads).

Like Amazon, createReport never reuses an earlier report: deduplication is the client's job. The
outcome (DONE, FATAL or CANCELLED) and the document are decided when the report is created, so the
document is a snapshot of the data at creation time and the same every time it is downloaded; the
status the client sees still moves IN_QUEUE -> IN_PROGRESS -> outcome with time (see report_model).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

from ..http import Request, Response
from . import report_downloads, report_processing, report_search
from .report_model import (
    SCHEMA,
    SETTLEMENT_V2,
    error,
    find_report,
    gzipped,
    invalid,
    parse_time,
    report_document_id,
)

BASE = "/reports/2021-06-30"

# Usage plans from the model (rate per second, burst); app.py applies them per operation and seller.
RATE_PLANS = {
    "getReports": (0.0222, 10),
    "createReport": (0.0167, 15),
    "getReport": (2.0, 15),
    "cancelReport": (0.0222, 10),
    "getReportDocument": (0.0167, 15),
}

ORDER_REPORTS = (
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
)
# Amazon schedules settlement reports itself; createReport refuses them with its internal type number
# (selling-partner-api-models#1265, #2010; jlevers/selling-partner-api#573).
UNREQUESTABLE = {
    SETTLEMENT_V2: "1118",
    "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE": "1117",
    "GET_V2_SETTLEMENT_REPORT_DATA_XML": "1116",
}
# The all-orders reports refuse ranges over 30 days (selling-partner-api-models#2591).
MAX_ORDER_RANGE = timedelta(days=30)
_REPORT_TYPE = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")
_FIRST_REPORT_ID = 600_000_000_000  # numeric ids like Amazon's, far from the settlement ids' range


def register(app) -> None:
    app.store.ensure(SCHEMA)
    app.rate_plans.update(RATE_PLANS)
    r = app.router
    r.add("POST", f"{BASE}/reports", "amazon", "createReport", lambda req: create_report(app, req))
    r.add("GET", f"{BASE}/reports", "amazon", "getReports", lambda req: report_search.get_reports(app, req))
    r.add("GET", f"{BASE}/reports/{{reportId}}", "amazon", "getReport", lambda req: get_report(app, req))
    r.add("DELETE", f"{BASE}/reports/{{reportId}}", "amazon", "cancelReport", lambda req: cancel_report(app, req))
    report_downloads.register(app)


def create_report(app, req: Request) -> Response:
    now = app.now()
    spec = _validate(app, req, now)
    if isinstance(spec, Response):
        return spec
    outcome, document = _decide_outcome(app, spec)
    with app.store.transaction():
        seq = app.store.query("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM amazon_reports")[0]["n"]
        report_id = str(_FIRST_REPORT_ID + seq)
        doc_id = report_document_id(report_id) if document else None
        app.store.execute(
            "INSERT INTO amazon_reports(seq, report_id, report_type, marketplace_ids, data_start, data_end,"
            " created, duration, outcome, document_id, principal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                seq,
                report_id,
                spec["reportType"],
                json.dumps(spec["marketplaceIds"]),
                spec["start"],
                spec["end"],
                now,
                app.config.report_processing_seconds / max(app.config.time_scale, 1e-9),
                outcome,
                doc_id,
                getattr(req, "principal", None),
            ),
        )
        if document:
            app.store.execute(
                "INSERT OR REPLACE INTO amazon_report_documents(document_id, report_id, body, content_type)"
                " VALUES (?, ?, ?, ?)",
                (doc_id, report_id, document[0], document[1]),
            )
    if outcome == report_processing.RENDERING:
        report_processing.start(app, app.store.query("SELECT * FROM amazon_reports WHERE report_id = ?", (report_id,))[0])
    return Response.json(202, {"reportId": report_id})


def get_report(app, req: Request) -> Response:
    view, _ = find_report(app, req.path_params["reportId"], app.now(), report_processing.settled)
    if view is None:
        return _not_found(req.path_params["reportId"])
    return Response.json(200, view.as_json())


def cancel_report(app, req: Request) -> Response:
    now = app.now()
    report_id = req.path_params["reportId"]
    with app.store.transaction():
        view, row = find_report(app, report_id, now, report_processing.settled)
        if view is None:
            return _not_found(report_id)
        if view.status != "IN_QUEUE" or row is None:
            return invalid(
                f"Report {report_id} cannot be cancelled",
                f"Only reports with processingStatus IN_QUEUE can be cancelled; this one is {view.status}.",
            )
        app.store.execute("UPDATE amazon_reports SET cancelled_at = ? WHERE report_id = ?", (now, report_id))
        app.store.execute("DELETE FROM amazon_report_documents WHERE report_id = ?", (report_id,))
    return Response(200, b"", {"Content-Type": "application/json"})


# -- createReport helpers -----------------------------------------------------------------------
def _validate(app, req: Request, now: float) -> dict | Response:
    try:
        body = req.json()
    except (ValueError, UnicodeDecodeError):
        return invalid("Invalid input", "The request body is not valid JSON.")
    if not isinstance(body, dict):
        return invalid("Invalid input", "The request body must be a CreateReportSpecification object.")
    report_type = body.get("reportType")
    if not isinstance(report_type, str) or not report_type:
        return invalid("Invalid input", "reportType is required.")
    if not _REPORT_TYPE.match(report_type):
        return invalid("Invalid input", f"Invalid reportType {report_type!r}.")
    if report_type in UNREQUESTABLE:
        return invalid(
            f"Request for report type {UNREQUESTABLE[report_type]} is not allowed at this time",
            "Settlement reports cannot be requested or scheduled. They are automatically scheduled by "
            "Amazon. You can search for these reports using the getReports operation.",
        )
    marketplaces = body.get("marketplaceIds")
    if not isinstance(marketplaces, list) or not 1 <= len(marketplaces) <= 25:
        return invalid("Invalid input", "marketplaceIds is required and must hold 1 to 25 marketplace ids.")
    unknown = [m for m in marketplaces if m not in app.config.marketplaces]
    if unknown:
        return invalid("Invalid input", f"Invalid marketplaceIds {unknown}: the seller does not sell there.")
    options = body.get("reportOptions", {})
    if not isinstance(options, dict) or not all(isinstance(v, str) for v in options.values()):
        return invalid("Invalid input", "reportOptions must map strings to strings.")
    try:
        start = parse_time(body["dataStartTime"]) if body.get("dataStartTime") else None
        end = parse_time(body["dataEndTime"]) if body.get("dataEndTime") else now
    except (ValueError, TypeError, AttributeError):
        return invalid("Invalid input", "dataStartTime and dataEndTime must be ISO 8601 date-times.")
    # Both default to now and must not lie in the future; an end a little ahead (clock skew) is
    # clamped rather than refused so clients that send "now" from their own clock still work.
    end = min(end, now)
    start = end if start is None else start
    if start > now:
        return invalid("Invalid input", "dataStartTime must be prior to or equal to the current date and time.")
    if start > end:
        return invalid("Invalid input", "dataStartTime must be prior to or equal to dataEndTime.")
    return {"reportType": report_type, "marketplaceIds": list(dict.fromkeys(marketplaces)), "start": start, "end": end}


def _decide_outcome(app, spec: dict) -> tuple[str, tuple[bytes, str] | None]:
    """(final status or RENDERING, (gzip bytes, content type) of its document or None)."""
    if app.faults.roll("report_fatal", "amazon"):
        return "FATAL", _error_document("Report processing failed because of an internal error. Request the report again.")
    if app.faults.roll("report_cancelled", "amazon"):
        return "CANCELLED", None
    if spec["reportType"] not in ORDER_REPORTS:
        return "FATAL", _error_document(f"Report type {spec['reportType']} is not available in this sandbox.")
    if spec["end"] - spec["start"] > MAX_ORDER_RANGE.total_seconds():
        return "FATAL", _error_document("Date range exceeded. Report can be requested only upto 30 days")
    # The file is made after createReport has answered (report_processing.py): DONE, or CANCELLED without data.
    return report_processing.RENDERING, None


def _error_document(message: str) -> tuple[bytes, str]:
    return gzipped(message.encode("utf-8")), "text/plain;charset=UTF-8"


def _not_found(report_id: str) -> Response:
    return error(404, "NotFound", f"Report {report_id} was not found", "The resource specified does not exist.")

"""getReports: filter, newest first, keyset pagination, and the nextToken-only rule.

Amazon: "include this token as the only parameter. Specifying nextToken with any other parameters will
cause the request to fail" - so the token carries the whole query. Pages are cut by a cursor (created,
reportId) rather than an offset, so reports created while a client pages do not shift later pages.
"""

from __future__ import annotations

import base64
import binascii
import json

from ..http import Request, Response
from . import report_processing
from .report_model import RETENTION, SETTLEMENT_V2, STATUSES, invalid, parse_time, settlements, view_stored


def get_reports(app, req: Request) -> Response:
    now = app.now()
    query = _query_from_token(req) if req.arg("nextToken") is not None else _query_from_filters(req, now)
    if isinstance(query, Response):
        return query
    matches = _matching(app, query, now)
    cursor = query.get("after")
    if cursor:
        matches = [v for v in matches if (v.created, v.report_id) < (cursor[0], cursor[1])]
    page, rest = matches[: query["pageSize"]], matches[query["pageSize"] :]
    body: dict = {"reports": [v.as_json() for v in page]}
    if rest:
        last = page[-1]
        body["nextToken"] = _encode({**query, "after": [last.created, last.report_id]})
    return Response.json(200, body)


def _matching(app, query: dict, now: float) -> list:
    # Retention wins over any createdSince: nothing older than 90 days comes back.
    since = max(query["since"], now - RETENTION.total_seconds())
    until = query["until"]
    rows = app.store.query(
        "SELECT * FROM amazon_reports WHERE created >= ? AND created <= ?", (since, until)
    )
    views = [view_stored(r, now) for r in report_processing.settled(app, rows, now)]
    if SETTLEMENT_V2 in query["types"]:  # only then ask the generator for Amazon's own reports
        views += settlements(app, now)
    out = [
        v
        for v in views
        if since <= v.created <= until
        and v.report_type in query["types"]
        and (not query["statuses"] or v.status in query["statuses"])
        and (not query["marketplaces"] or set(v.marketplace_ids) & set(query["marketplaces"]))
    ]
    out.sort(key=lambda v: (v.created, v.report_id), reverse=True)  # newest first, as Amazon lists them
    return out


def _query_from_filters(req: Request, now: float) -> dict | Response:
    types = req.args("reportTypes")
    if not types:
        return invalid("Invalid input", "Either reportTypes or nextToken is required.")
    if len(types) > 10:
        return invalid("Invalid input", "reportTypes accepts 1 to 10 report types.")
    statuses = req.args("processingStatuses")
    bad = [s for s in statuses if s not in STATUSES]
    if bad or ("processingStatuses" in req.query and not statuses):
        return invalid("Invalid input", f"Invalid input in processing status {bad or 'empty'}")
    marketplaces = req.args("marketplaceIds")
    if "marketplaceIds" in req.query and not 1 <= len(marketplaces) <= 10:
        return invalid("Invalid input", "marketplaceIds accepts 1 to 10 marketplace ids.")
    try:
        page_size = int(req.arg("pageSize", "10"))
    except ValueError:
        return invalid("Invalid input", "pageSize must be an integer from 1 to 100.")
    if not 1 <= page_size <= 100:
        return invalid("Invalid input", "pageSize must be an integer from 1 to 100.")
    try:
        since = parse_time(req.arg("createdSince")) if req.arg("createdSince") else now - RETENTION.total_seconds()
        until = parse_time(req.arg("createdUntil")) if req.arg("createdUntil") else now
    except ValueError:
        return invalid("Invalid input", "createdSince and createdUntil must be ISO 8601 date-times.")
    if since > until:
        return invalid("Invalid input", "createdSince must be before createdUntil.")
    return {
        "types": types,
        "statuses": statuses,
        "marketplaces": marketplaces,
        "pageSize": page_size,
        "since": since,
        "until": until,
    }


def _query_from_token(req: Request) -> dict | Response:
    others = sorted(k for k in req.query if k != "nextToken")
    if others:
        return invalid(
            "Invalid input",
            f"nextToken must be the only parameter; also sent: {', '.join(others)}.",
        )
    try:
        query = json.loads(base64.urlsafe_b64decode(req.arg("nextToken").encode("ascii")))
        if not isinstance(query, dict) or set(query) != {"types", "statuses", "marketplaces", "pageSize", "since", "until", "after"}:
            raise ValueError("not a getReports token")
    except (ValueError, binascii.Error, UnicodeEncodeError):
        return invalid("Invalid input", "Invalid nextToken.")
    return query


def _encode(query: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(query, separators=(",", ":")).encode("utf-8")).decode("ascii")

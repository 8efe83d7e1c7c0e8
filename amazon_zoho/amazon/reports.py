"""Reports API 2021-06-30 from the client side: request (or reuse) reports, wait for them, download documents.

Amazon's createReport never deduplicates, so `run_reports` first looks for a report of the same type,
window and marketplaces that is still IN_QUEUE or IN_PROGRESS (a retried run, another process) and waits
for that one instead. CANCELLED means "no data to return"; FATAL is retried after a wait, a few times,
with the reason Amazon wrote into the report's document.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests

from .. import clock
from ..http.errors import ApiError
from .orders import iso
from .spapi import SpApiClient

SETTLEMENT_REPORT_TYPE = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
ORDERS_BY_DATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
IN_FLIGHT = ("IN_QUEUE", "IN_PROGRESS")
FINAL = ("DONE", "CANCELLED", "FATAL")
# Java names and aliases Amazon's storage sends that Python's codec registry does not know.
_CHARSET_ALIASES = {"windows-31j": "cp932", "cp1252": "cp1252", "x-sjis": "cp932"}


@dataclass
class ReportDocument:
    document_id: str
    raw: bytes  # exactly what was downloaded (possibly gzip), for the archive
    text: str
    charset: str | None


def list_reports(
    client: SpApiClient,
    report_types: list[str],
    created_since: datetime | None = None,
    marketplace_ids: list[str] | None = None,
    statuses: list[str] | None = None,
) -> Iterator[dict]:
    params: dict = {"reportTypes": ",".join(report_types), "pageSize": 100}
    if created_since:
        params["createdSince"] = iso(created_since)
    if marketplace_ids:
        params["marketplaceIds"] = ",".join(marketplace_ids)
    if statuses:
        params["processingStatuses"] = ",".join(statuses)
    while True:
        body = client.call("getReports", "GET", "/reports/2021-06-30/reports", params=params).body
        yield from body.get("reports", [])
        token = body.get("nextToken")
        if not token:
            return
        # "Include this token as the only parameter": anything else makes Amazon answer 400.
        params = {"nextToken": token}


def download_document(client: SpApiClient, session: requests.Session, document_id: str, attempts: int = 3) -> ReportDocument:
    """Fetches a report document; a presigned URL that expired in between is simply asked for again."""
    for _ in range(attempts):
        meta = client.call("getReportDocument", "GET", f"/reports/2021-06-30/documents/{document_id}").body
        response = session.get(meta["url"], timeout=client.timeout)
        if response.status_code == 403 and "expired" in response.text.lower():
            continue
        if response.status_code != 200:
            raise ApiError("amazon", "downloadDocument", response.status_code, response.text[:500])
        raw = response.content
        # Sniff the gzip magic: compressionAlgorithm is not always set when the body is compressed.
        data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        charset = charset_of(response.headers.get("Content-Type"))
        return ReportDocument(document_id, raw, decode(data, charset), charset)
    raise ApiError("amazon", "downloadDocument", 403, f"document {document_id}: URL expired {attempts} times in a row")


def charset_of(content_type: str | None) -> str | None:
    """The charset a Content-Type declares, None when it declares none (settlement files never do)."""
    match = re.search(r'charset="?([\w.:-]+)', content_type or "", re.I)
    if not match:
        return None
    name = match.group(1).lower()
    return _CHARSET_ALIASES.get(name, name)


def decode(data: bytes, charset: str | None) -> str:
    """The document's text. Undeclared (None) means UTF-8 if it reads as UTF-8, else Cp1252: order
    reports are Cp1252 and a download that loses its Content-Type charset must not garble "–" or "€"."""
    for name in [charset] if charset else ["utf-8", "cp1252"]:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            pass
    # Bytes the declared charset cannot read (or Cp1252's five unused bytes): ISO-8859-1 reads any
    # byte, and older settlement files were ISO-8859-1 (amazon-mws#64).
    return data.decode("iso-8859-1")


def wait_for_report(client: SpApiClient, report_id: str, timeout_s: float = 3600, first_poll_s: float = 1.0) -> dict:
    """Polls getReport with capped exponential backoff until a terminal status."""
    delay, waited = first_poll_s, 0.0
    while True:
        report = client.call("getReport", "GET", f"/reports/2021-06-30/reports/{report_id}").body
        if report["processingStatus"] in ("DONE", "CANCELLED", "FATAL"):
            return report
        if waited > timeout_s:
            raise TimeoutError(f"report {report_id} still {report['processingStatus']} after {waited:.0f}s")
        clock.sleep(delay)  # the report's status moves with the clock; a standing one is moved
        waited += delay
        delay = min(delay * 2, 60.0)


@dataclass(frozen=True)
class ReportSpec:
    report_type: str
    start: datetime
    end: datetime
    marketplace_ids: tuple[str, ...]

    def body(self) -> dict:
        return {"reportType": self.report_type, "marketplaceIds": list(self.marketplace_ids),
                "dataStartTime": iso(self.start), "dataEndTime": iso(self.end)}

    def matches(self, report: dict) -> bool:
        """Same type, window and marketplaces (Amazon echoes times with an offset instead of Z)."""
        try:
            start, end = clock.parse_instant(report["dataStartTime"]), clock.parse_instant(report["dataEndTime"])
        except (KeyError, TypeError, ValueError):
            return False
        return (report.get("reportType") == self.report_type and (start, end) == (self.start, self.end)
                and sorted(report.get("marketplaceIds") or []) == sorted(self.marketplace_ids))


@dataclass
class ReportOutcome:
    spec: ReportSpec
    report_id: str
    status: str  # DONE or CANCELLED (no data)
    document_id: str | None
    reused: bool
    attempt: int
    fatal: list[tuple[str, str]] = field(default_factory=list)  # (report id, Amazon's reason) of failed attempts


class ReportFailed(RuntimeError):
    """A report stayed FATAL after every attempt; the message names the window and Amazon's reason."""


def run_reports(
    client: SpApiClient,
    session: requests.Session,
    specs: list[ReportSpec],
    *,
    time_scale: float = 1.0,
    fatal_attempts: int = 3,
    fatal_wait_s: float = 60.0,
    first_poll_s: float = 2.0,
    max_poll_s: float = 60.0,
    timeout_s: float = 4 * 3600,
) -> list[ReportOutcome]:
    """Requests every spec (reusing in-flight duplicates), polls them together, retries FATAL ones.

    Waits are in Amazon seconds; `time_scale` shortens them for a sandbox whose clock runs faster.
    """
    in_flight = list(list_reports(client, sorted({s.report_type for s in specs}), statuses=list(IN_FLIGHT))) if specs else []
    pending: dict[str, ReportOutcome] = {}
    for spec in specs:
        reused = next((r["reportId"] for r in in_flight if spec.matches(r) and r["reportId"] not in pending), None)
        report_id = reused or create_report(client, spec)
        pending[report_id] = ReportOutcome(spec, report_id, "IN_QUEUE", None, reused is not None, 1)
    done: list[ReportOutcome] = []
    delay, waited = first_poll_s, 0.0
    while pending:
        if waited > timeout_s:
            raise TimeoutError(f"reports {sorted(pending)} not finished after {waited:.0f}s")
        clock.sleep(delay / time_scale)
        waited += delay
        delay = min(delay * 2, max_poll_s)
        for report_id, report in poll_reports(client, {r: o.spec.report_type for r, o in pending.items()}).items():
            status = report["processingStatus"]
            if status not in FINAL:
                continue
            outcome = pending.pop(report_id)
            if status != "FATAL":
                outcome.status, outcome.document_id = status, report.get("reportDocumentId")
                done.append(outcome)
                continue
            outcome.fatal.append((report_id, fatal_reason(client, session, report)))
            if outcome.attempt >= fatal_attempts:
                raise ReportFailed(
                    f"{outcome.spec.report_type} for {iso(outcome.spec.start)}..{iso(outcome.spec.end)} "
                    f"{list(outcome.spec.marketplace_ids)} was FATAL {outcome.attempt} times; last reason: {outcome.fatal[-1][1]}"
                )
            clock.sleep(fatal_wait_s / time_scale)  # Amazon: "Request the report again" - after a pause
            retry_id = create_report(client, outcome.spec)
            outcome.report_id, outcome.attempt, outcome.reused = retry_id, outcome.attempt + 1, False
            pending[retry_id] = outcome
            delay = first_poll_s
    return done


def create_report(client: SpApiClient, spec: ReportSpec) -> str:
    return client.call("createReport", "POST", "/reports/2021-06-30/reports", json=spec.body()).body["reportId"]


def poll_reports(client: SpApiClient, report_types: dict[str, str]) -> dict[str, dict]:
    """Current state of each report (id -> type): one getReports page for a batch (getReports costs a
    token per page, getReport one per report), getReport for a single one or any the listing missed."""
    found: dict[str, dict] = {}
    if len(report_types) > 1:
        wanted = set(report_types)
        # Newest first; ours were created within the run, so the first page or two hold them all.
        since = clock.now() - timedelta(days=1)
        for report in list_reports(client, sorted(set(report_types.values())), created_since=since):
            if report["reportId"] in wanted:
                found[report["reportId"]] = report
                if len(found) == len(wanted):
                    break
    for report_id in report_types:
        if report_id not in found:
            found[report_id] = client.call("getReport", "GET", f"/reports/2021-06-30/reports/{report_id}").body
    return found


def fatal_reason(client: SpApiClient, session: requests.Session, report: dict) -> str:
    """Amazon writes why a report failed into its document, when it has one."""
    if not report.get("reportDocumentId"):
        return "FATAL without a document (no reason given)"
    try:
        return download_document(client, session, report["reportDocumentId"]).text.strip()[:500]
    except ApiError as exc:
        return f"FATAL; its document could not be read: {exc}"

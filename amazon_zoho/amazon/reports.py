"""Reports API 2021-06-30 from the client side: list reports, wait for them, download documents."""

from __future__ import annotations

import gzip
import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

import requests

from ..http.errors import ApiError
from .orders import iso
from .spapi import SpApiClient

SETTLEMENT_REPORT_TYPE = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
# Java names and aliases Amazon's storage sends that Python's codec registry does not know.
_CHARSET_ALIASES = {"windows-31j": "cp932", "cp1252": "cp1252", "x-sjis": "cp932"}


@dataclass
class ReportDocument:
    document_id: str
    raw: bytes  # exactly what was downloaded (possibly gzip), for the archive
    text: str
    charset: str


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


def charset_of(content_type: str | None) -> str:
    match = re.search(r'charset="?([\w.:-]+)', content_type or "", re.I)
    if not match:
        return "utf-8"
    name = match.group(1).lower()
    return _CHARSET_ALIASES.get(name, name)


def decode(data: bytes, charset: str) -> str:
    try:
        return data.decode(charset)
    except (UnicodeDecodeError, LookupError):
        # Settlement files declare no charset; older ones were ISO-8859-1 (amazon-mws#64).
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
        time.sleep(delay)
        waited += delay
        delay = min(delay * 2, 60.0)

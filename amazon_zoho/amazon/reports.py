"""Reports API 2021-06-30 from the client side: request (or reuse) reports, wait for them, download documents.

Amazon's createReport never deduplicates, so `run_reports` first looks for a report of the same type,
window and marketplaces that is still IN_QUEUE or IN_PROGRESS (a retried run, another process) and waits
for that one instead. CANCELLED means "no data to return"; FATAL is retried after a wait, a few times,
with the reason Amazon wrote into the report's document.
"""

from __future__ import annotations

import codecs
import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests

from .. import clock
from ..http.errors import ApiError
from .marketplaces import BY_ID as MARKETPLACES
from .orders import PaginationLoopError, iso
from .spapi import SpApiClient

SETTLEMENT_REPORT_TYPE = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
ORDERS_BY_DATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
IN_FLIGHT = ("IN_QUEUE", "IN_PROGRESS")
FINAL = ("DONE", "CANCELLED", "FATAL")
# Charset labels as browsers read them: the WHATWG Encoding Standard's label table
# (https://encoding.spec.whatwg.org/#names-and-labels), label -> Python codec. Browsers read every latin1 and
# US-ASCII label as windows-1252 because servers that say ISO-8859-1 send Windows-1252 bytes ("–", "€" in
# 0x80-0x9F); Shift_JIS labels are Windows-31J, which Python calls cp932. Amazon's storage sends Java names too
# ("Cp1252": amzn/selling-partner-api-models#2748; "Windows-31J"), so those are listed beside WHATWG's.
WHATWG_LABELS = {
    **dict.fromkeys((
        "ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819", "iso-8859-1", "iso-ir-100", "iso8859-1",
        "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1", "latin1", "us-ascii", "windows-1252", "x-cp1252",
    ), "cp1252"),
    **dict.fromkeys(("csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis", "windows-31j", "x-sjis"), "cp932"),
    **dict.fromkeys(("unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8"), "utf-8"),
    **dict.fromkeys(("csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16", "utf-16le"), "utf-16-le"),
    **dict.fromkeys(("unicodefffe", "utf-16be"), "utf-16-be"),
    **dict.fromkeys(("cseucpkdfmtjapanese", "euc-jp", "x-euc-jp"), "euc_jp"),
}
# Byte-order marks outrank any declared label (WHATWG "decode": BOM sniffing comes first). A report a seller
# re-saved in Excel or Notepad as "Unicode text" is UTF-16LE with a BOM (HKUDS/Vibe-Trading#865); as "UTF-8",
# UTF-8 with a BOM. (Whether Seller Central itself serves UTF-16 we could not confirm from a public source.)
BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# What an undeclared, non-UTF-8 file of a marketplace most likely is: Japanese files are Windows-31J (Seller
# Central JP asks for "the Japanese environment (Shift-JIS)", https://sellercentral.amazon.co.jp/gp/help/external/help.html?itemID=601),
# every other marketplace's Windows-1252 (amzn/selling-partner-api-docs#2101, amzn/selling-partner-api-models#2748).
LIKELY_ENCODING = {"JP": "cp932"}
DEFAULT_LIKELY = "cp1252"


@dataclass
class ReportDocument:
    document_id: str
    raw: bytes  # exactly what was downloaded (possibly gzip), for the archive
    text: str
    charset: str | None  # the label the Content-Type declared, as sent
    encoding: str = "utf-8"  # the codec that read it
    decode_note: str | None = None  # why it was not a clean read (Decoded.note), for ops.decode_events


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
    followed: set[str] = set()
    while True:
        body = client.call("getReports", "GET", "/reports/2021-06-30/reports", params=params).body
        yield from body.get("reports", [])
        token = body.get("nextToken")
        if not token:
            return
        if token in followed:
            # A token that leads back to a page already read would list for ever (issue #14 item 5).
            raise PaginationLoopError(f"getReports: nextToken of page {len(followed) + 1} was already followed; stopped listing")
        followed.add(token)
        # "Include this token as the only parameter": anything else makes Amazon answer 400.
        params = {"nextToken": token}


def download_document(
    client: SpApiClient, session: requests.Session, document_id: str, attempts: int = 3, *, marketplace_id: str | None = None
) -> ReportDocument:
    """Fetches a report document; a presigned URL that expired in between is simply asked for again.
    `marketplace_id` says which encoding an undeclared, non-UTF-8 document most likely is."""
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
        decoded = decode_report(data, charset, marketplace_id)
        return ReportDocument(document_id, raw, decoded.text, charset, decoded.encoding, decoded.note)
    raise ApiError("amazon", "downloadDocument", 403, f"document {document_id}: URL expired {attempts} times in a row")


def charset_of(content_type: str | None) -> str | None:
    """The charset label a Content-Type declares, lower-cased as sent (None when it declares none; settlement
    files never do). `codec_for` says how it is read."""
    match = re.search(r'charset\s*=\s*"?([\w.:-]+)', content_type or "", re.I)
    return match.group(1).lower() if match else None


def codec_for(label: str | None) -> str | None:
    """The Python codec a charset label names (WHATWG's table first), None for no label or no text codec."""
    if not label:
        return None
    name = WHATWG_LABELS.get(label.strip().lower(), label.strip().lower())
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    return name if getattr(info, "_is_text_encoding", True) else None


@dataclass(frozen=True)
class Decoded:
    """A document's text and how it was read. `note` is None for a clean read (the BOM's or the declared
    charset, or UTF-8 when none is declared); anything else says what was guessed, for ops.decode_events."""

    text: str
    encoding: str
    declared: str | None = None
    note: str | None = None


def decode(data: bytes, charset: str | None, marketplace_id: str | None = None) -> str:
    """The document's text (see `decode_report` for how it is read and what is recorded)."""
    return decode_report(data, charset, marketplace_id).text


def decode_report(data: bytes, charset: str | None, marketplace_id: str | None = None) -> Decoded:
    """Reads a report's bytes as a browser would (WHATWG): a BOM first, then the declared label; with no label
    (or one that cannot read the bytes) UTF-8, then the marketplace's likely encoding, and as a last resort
    ISO-8859-1, which reads any byte but is marked lossy. Every read but a clean one carries a note."""
    codec = codec_for(charset)
    problems = []
    for bom, name in BOMS:
        if data.startswith(bom):
            text = _try(data[len(bom):], name)
            if text is not None:
                disagrees = codec is not None and _family(codec) != _family(name)
                note = f"byte-order mark says {name}, Content-Type said {charset}; the mark wins (WHATWG)" if disagrees else None
                return Decoded(text, name, charset, note)
            # A mark the bytes after it belie: dropped, so it does not stick to the first column's name.
            data = data[len(bom):]
            problems.append(f"byte-order mark for {name}, but what follows is not {name}")
            break
    if charset and codec is None:
        problems.append(f"unknown charset label {charset!r}")
    elif codec:
        text = _try(data, codec)
        if text is not None:
            return Decoded(text, codec, charset, _latin1_note(data, charset, codec))
        problems.append(f"declared {charset} cannot read these bytes")
    text = _try(data, "utf-8")
    if text is not None and "\x00" not in text:
        return Decoded(text, "utf-8", charset, "; ".join(problems) or None)
    utf16 = _utf16_without_bom(data)
    if utf16:
        return Decoded(data.decode(utf16), utf16, charset, "; ".join([*problems, f"no byte-order mark; NUL bytes say {utf16}"]))
    if text is not None:  # UTF-8 with NULs that are not UTF-16: the text itself holds them
        return Decoded(text, "utf-8", charset, "; ".join(problems) or None)
    for name in likely_encodings(marketplace_id):
        text = _try(data, name)
        if text is not None:
            why = "no charset declared" if not charset else "; ".join(problems)
            return Decoded(text, name, charset, f"{why}; not UTF-8; read as {name}, likely for marketplace {marketplace_id or 'unknown'}")
    # ISO-8859-1 reads any byte, so this never fails, but what it reads may not be what was written.
    return Decoded(data.decode("iso-8859-1"), "iso-8859-1", charset,
                   "; ".join([*problems, f"no likely encoding ({', '.join(likely_encodings(marketplace_id))}) reads these bytes; "
                              "read as ISO-8859-1, lossy: check the file"]))


def likely_encodings(marketplace_id: str | None) -> list[str]:
    """Encodings an undeclared non-UTF-8 file of this marketplace is tried in. Japanese first tries cp932: cp1252
    reads almost any bytes, so it would "succeed" on Shift_JIS too, as mojibake."""
    market = MARKETPLACES.get(marketplace_id or "")
    first = LIKELY_ENCODING.get(market.country_code, DEFAULT_LIKELY) if market else DEFAULT_LIKELY
    return list(dict.fromkeys([first, DEFAULT_LIKELY]))


def _family(codec: str) -> str:
    return "utf-16" if codec.startswith("utf-16") else codec


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 that lost its BOM: a text file holds no NUL bytes, but UTF-16 writes one beside every ASCII
    character (tab, digit), all on the same side of each pair, and a flat file has tabs."""
    if len(data) % 2 or b"\x00" not in data:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    name = "utf-16-le" if odd and not even else "utf-16-be" if even and not odd else None
    if name and not any(m.start() % 2 == 0 for m in re.finditer(re.escape("\t".encode(name)), data)):
        return None
    return name if name and _try(data, name) is not None else None


def _try(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _latin1_note(data: bytes, charset: str | None, codec: str) -> str | None:
    """Bytes 0x80-0x9F are controls in ISO-8859-1 and characters in windows-1252: worth saying which was read."""
    if codec == "cp1252" and charset not in ("cp1252", "windows-1252", "x-cp1252") and re.search(rb"[\x80-\x9f]", data):
        return f"declared {charset}, holds windows-1252 characters (0x80-0x9F); read as windows-1252 (WHATWG)"
    return None


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

"""getReportDocument and the presigned "S3" download it points to.

The URL is on the sandbox's own port (`/_s3/reports/<documentId>?X-Amz-...`), signed with an HMAC and
valid for config.document_url_ttl seconds (Amazon: "This URL expires after 5 minutes"). The download is
its own service, "s3": a presigned URL needs no access token and is not under SP-API rate limits. It
answers the way S3 does: gzip bytes with the charset only in Content-Type (settlements have none), and
403 XML errors for expired or tampered URLs. Charset faults are dealt per download: a dropped charset, a
UTF-8 re-save with a byte-order mark, an ISO-8859-1 label on Cp1252 bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import time
import urllib.parse
import uuid
from datetime import datetime, timezone
from xml.sax.saxutils import escape

from ..http import Request, Response
from .report_model import FINAL, gzipped, invalid, settlements, view_stored

BASE = "/reports/2021-06-30"
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


def register(app) -> None:
    r = app.router
    r.add("GET", f"{BASE}/documents/{{reportDocumentId}}", "amazon", "getReportDocument", lambda req: get_report_document(app, req))
    r.add("GET", "/_s3/reports/{documentId}", "s3", "downloadDocument", lambda req: download_document(app, req))


def get_report_document(app, req: Request) -> Response:
    doc_id = req.path_params["reportDocumentId"]
    if _locate(app, doc_id) is None:
        return invalid("Invalid input", f"Invalid reportDocumentId {doc_id}")
    return Response.json(200, {"reportDocumentId": doc_id, "url": presign(app, doc_id), "compressionAlgorithm": "GZIP"})


def presign(app, doc_id: str) -> str:
    amz_date = time.strftime(_DATE_FORMAT, time.gmtime(app.now()))
    ttl = int(app.config.document_url_ttl)
    day = amz_date[:8]
    query = urllib.parse.urlencode(
        {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Date": amz_date,
            "X-Amz-SignedHeaders": "host",
            "X-Amz-Expires": str(ttl),
            "X-Amz-Credential": f"AKIASANDBOXREPORTS00/{day}/eu-west-1/s3/aws4_request",
            "X-Amz-Signature": _signature(app, doc_id, amz_date, str(ttl)),
        }
    )
    return f"{app.base_url}/_s3/reports/{urllib.parse.quote(doc_id)}?{query}"


def download_document(app, req: Request) -> Response:
    doc_id = req.path_params["documentId"]
    amz_date, ttl, signature = req.arg("X-Amz-Date"), req.arg("X-Amz-Expires"), req.arg("X-Amz-Signature")
    if not (amz_date and ttl and signature):
        return _s3_error(403, "AccessDenied", "Access Denied")
    if not hmac.compare_digest(signature, _signature(app, doc_id, amz_date, ttl)):
        return _s3_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        )
    signed_at = datetime.strptime(amz_date, _DATE_FORMAT).replace(tzinfo=timezone.utc).timestamp()
    now = app.now()
    if now > signed_at + int(ttl):
        return _s3_error(
            403,
            "AccessDenied",
            "Request has expired",
            {"X-Amz-Expires": ttl, "Expires": _iso(signed_at + int(ttl)), "ServerTime": _iso(now)},
        )
    document = _content(app, doc_id)
    if document is None:
        return _s3_error(404, "NoSuchKey", "The specified key does not exist.", {"Key": doc_id})
    body, content_type = document
    if app.faults.roll("report_bom"):
        body = _with_bom(body, content_type)
    if "charset=Cp1252" in content_type and app.faults.roll("latin1_declared"):
        content_type = content_type.replace("charset=Cp1252", "charset=ISO-8859-1")
    if app.faults.roll("undeclared_charset"):
        content_type = content_type.split(";")[0]
    return Response(200, body, {"Content-Type": content_type, "ETag": f'"{hashlib.md5(body).hexdigest()}"'})


def _with_bom(body: bytes, content_type: str) -> bytes:
    """The document re-written as UTF-8 with a byte-order mark (its Content-Type left as it was)."""
    data = gzip.decompress(body)
    charset = content_type.partition("charset=")[2] or "utf-8"
    text = data.decode("cp1252" if charset.lower() == "cp1252" else charset)
    return gzipped(text.encode("utf-8-sig"))


# -- documents ---------------------------------------------------------------------------------
def _locate(app, doc_id: str):
    """The report view that owns a downloadable document, or None (unknown, unfinished or expired)."""
    now = app.now()
    rows = app.store.query("SELECT * FROM amazon_reports WHERE document_id = ?", (doc_id,))
    if rows:
        view = view_stored(rows[0], now)
        return view if view.status in FINAL and view.document_id == doc_id else None
    for view in settlements(app, now):
        if view.document_id == doc_id:
            return view
    return None


def _content(app, doc_id: str) -> tuple[bytes, str] | None:
    rows = app.store.query(
        "SELECT body, content_type FROM amazon_report_documents WHERE document_id = ?", (doc_id,)
    )
    if rows:
        return bytes(rows[0]["body"]), rows[0]["content_type"]
    view = _locate(app, doc_id)
    if view is None:
        return None
    # Settlement files are rendered on first download, then kept so every download is identical.
    from .documents import render_settlement  # written by another module; imported when used

    data, charset = render_settlement(app, view.report_id)
    body = gzipped(data)
    content_type = f"text/plain;charset={charset}" if charset else "text/plain"
    app.store.execute(
        "INSERT OR IGNORE INTO amazon_report_documents(document_id, report_id, body, content_type) VALUES (?, ?, ?, ?)",
        (doc_id, view.report_id, body, content_type),
    )
    return body, content_type


# -- signing and S3-shaped errors ---------------------------------------------------------------
def _signature(app, doc_id: str, amz_date: str, ttl: str) -> str:
    # Keyed by the seed so URLs stay valid across a restart of the same sandbox, as S3's would.
    key = f"sandbox-s3-reports:{app.config.seed}".encode()
    return hmac.new(key, f"{doc_id}\n{amz_date}\n{ttl}".encode(), hashlib.sha256).hexdigest()


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _s3_error(status: int, code: str, message: str, extra: dict[str, str] | None = None) -> Response:
    request_id = uuid.uuid4().hex[:16].upper()
    fields = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in (extra or {}).items())
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>{fields}"
        f"<RequestId>{request_id}</RequestId><HostId>sandbox</HostId></Error>"
    )
    return Response(status, xml.encode("utf-8"), {"Content-Type": "application/xml", "x-amz-request-id": request_id})


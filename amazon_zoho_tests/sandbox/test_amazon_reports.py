"""The sandbox's Reports API 2021-06-30 behaves as Amazon's model and API-FACTS §3/§12 describe,
spoken to over real HTTP."""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
import requests

from amazon_zoho import clock
from amazon_zoho_tests.sandbox.reports_fixtures import (
    BASE,
    DE,
    DOCUMENTS_MODULE,
    GB,
    ORDER_TEXT,
    ORDERS_BY_DATE,
    SETTLEMENT,
    SETTLEMENT_TEXT,
    create,
    order_spec,
    running,
    session,
    use_fake_documents,
    wait_final,
)


@pytest.fixture(autouse=True)
def _fake_producers(request, monkeypatch):
    # Every test but the one named test_real_* runs on stand-in producers (see reports_fixtures).
    if not request.node.name.startswith("test_real_"):
        use_fake_documents(monkeypatch)


def test_lifecycle_moves_from_queue_to_done_and_serves_a_gzip_cp1252_document(tmp_path):
    with running(tmp_path, time_scale=1, report_processing_seconds=1.2, rate_limits=False) as sb:
        s = session(sb)
        report_id = create(s, sb, order_spec())
        seen = []
        while not seen or seen[-1]["processingStatus"] not in ("DONE", "FATAL", "CANCELLED"):
            seen.append(s.get(f"{sb.url}{BASE}/reports/{report_id}").json())
            time.sleep(0.05)
        statuses = list(dict.fromkeys(r["processingStatus"] for r in seen))
        assert statuses == ["IN_QUEUE", "IN_PROGRESS", "DONE"]
        in_progress = next(r for r in seen if r["processingStatus"] == "IN_PROGRESS")
        assert "processingStartTime" in in_progress and "reportDocumentId" not in in_progress
        done = seen[-1]
        assert done["marketplaceIds"] == [DE] and done["processingEndTime"] >= done["processingStartTime"]

        doc = s.get(f"{sb.url}{BASE}/documents/{done['reportDocumentId']}").json()
        assert doc["compressionAlgorithm"] == "GZIP" and "X-Amz-Expires=300" in doc["url"]
        download = requests_get(doc["url"])  # a presigned URL needs no access token
        assert download.status_code == 200
        assert download.headers["Content-Type"] == "text/plain;charset=Cp1252"
        assert download.content[:2] == b"\x1f\x8b"
        assert gzip.decompress(download.content).decode("cp1252") == ORDER_TEXT
        assert requests_get(doc["url"]).content == download.content  # deterministic


def test_every_create_makes_a_new_report(tmp_path):
    with running(tmp_path) as sb:
        s = session(sb)
        spec = order_spec()
        assert create(s, sb, spec) != create(s, sb, spec)


def test_fatal_knob_gives_fatal_with_an_error_document(tmp_path):
    with running(tmp_path, fault_report_fatal_rate=1.0) as sb:
        s = session(sb)
        report = wait_final(s, sb, create(s, sb, order_spec()))
        assert report["processingStatus"] == "FATAL"
        doc = s.get(f"{sb.url}{BASE}/documents/{report['reportDocumentId']}").json()
        assert gzip.decompress(requests_get(doc["url"]).content)


def test_cancelled_knob_and_empty_data_give_cancelled_without_document(tmp_path):
    with running(tmp_path) as sb:
        s = session(sb)
        empty = wait_final(s, sb, create(s, sb, order_spec(hours=0.1)))
        assert empty["processingStatus"] == "CANCELLED" and "reportDocumentId" not in empty
        sb.app.set_config({"fault_report_cancelled_rate": 1.0})
        knobbed = wait_final(s, sb, create(s, sb, order_spec()))
        assert knobbed["processingStatus"] == "CANCELLED" and "reportDocumentId" not in knobbed


def test_unsupported_type_and_over_30_days_end_fatal(tmp_path):
    with running(tmp_path) as sb:
        s = session(sb)
        listings = wait_final(s, sb, create(s, sb, order_spec(report_type="GET_MERCHANT_LISTINGS_ALL_DATA")))
        too_long = wait_final(s, sb, create(s, sb, order_spec(hours=24 * 31)))
        assert listings["processingStatus"] == too_long["processingStatus"] == "FATAL"


def test_only_queued_reports_can_be_cancelled(tmp_path):
    with running(tmp_path, time_scale=1, report_processing_seconds=30, rate_limits=False) as sb:
        s = session(sb)
        queued = create(s, sb, order_spec())
        assert s.delete(f"{sb.url}{BASE}/reports/{queued}").status_code == 200
        assert s.get(f"{sb.url}{BASE}/reports/{queued}").json()["processingStatus"] == "CANCELLED"
        assert s.delete(f"{sb.url}{BASE}/reports/{queued}").status_code == 400
        sb.app.set_config({"report_processing_seconds": 0.001})
        done = create(s, sb, order_spec())
        assert wait_final(s, sb, done)["processingStatus"] == "DONE"
        refused = s.delete(f"{sb.url}{BASE}/reports/{done}")
        assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "InvalidInput"


@pytest.mark.parametrize(
    "body, needle",
    [
        ({"marketplaceIds": [DE]}, "reportType"),
        ({"reportType": ORDERS_BY_DATE}, "marketplaceIds"),
        ({"reportType": ORDERS_BY_DATE, "marketplaceIds": []}, "marketplaceIds"),
        ({"reportType": ORDERS_BY_DATE, "marketplaceIds": [DE], "dataStartTime": "yesterday"}, "ISO 8601"),
        ({"reportType": SETTLEMENT, "marketplaceIds": [DE]}, "not allowed"),
    ],
)
def test_create_report_rejects_bad_bodies(tmp_path, body, needle):
    with running(tmp_path) as sb:
        r = session(sb).post(f"{sb.url}{BASE}/reports", json=body)
        assert r.status_code == 400
        err = r.json()["errors"][0]
        assert err["code"] == "InvalidInput" and needle in err["message"] + err["details"]
        assert set(err) == {"code", "message", "details"}


def test_next_token_must_be_the_only_parameter_and_pages_are_stable(tmp_path):
    with running(tmp_path) as sb:
        s = session(sb)
        ids = [create(s, sb, order_spec()) for _ in range(3)]
        url = f"{sb.url}{BASE}/reports"
        first = s.get(url, params={"reportTypes": ORDERS_BY_DATE, "pageSize": 2}).json()
        assert [r["reportId"] for r in first["reports"]] == ids[::-1][:2]  # newest first
        create(s, sb, order_spec())  # a report created between pages must not shift the next page
        mixed = s.get(url, params={"nextToken": first["nextToken"], "pageSize": 2})
        assert mixed.status_code == 400 and mixed.json()["errors"][0]["code"] == "InvalidInput"
        second = s.get(url, params={"nextToken": first["nextToken"]}).json()
        assert [r["reportId"] for r in second["reports"]] == ids[:1] and "nextToken" not in second
        assert s.get(url).status_code == 400  # neither reportTypes nor nextToken
        assert s.get(url, params={"reportTypes": ORDERS_BY_DATE, "pageSize": 101}).status_code == 400
        assert s.get(url, params={"nextToken": "garbage"}).status_code == 400


def test_settlements_are_listed_but_cannot_be_requested(tmp_path):
    with running(tmp_path) as sb:
        s = session(sb)
        url = f"{sb.url}{BASE}/reports"
        listed = s.get(url, params={"reportTypes": SETTLEMENT, "processingStatuses": "DONE"}).json()["reports"]
        assert [r["marketplaceIds"] for r in listed] == [[DE], [GB]]  # newest first; the 100-day one is gone
        assert listed[0]["createdTime"] > listed[1]["createdTime"]
        only_gb = s.get(url, params={"reportTypes": SETTLEMENT, "marketplaceIds": GB}).json()["reports"]
        assert [r["reportId"] for r in only_gb] == [listed[1]["reportId"]]
        report = s.get(f"{url}/{listed[0]['reportId']}").json()
        assert report == listed[0]
        doc = s.get(f"{sb.url}{BASE}/documents/{report['reportDocumentId']}").json()
        download = requests_get(doc["url"])
        assert download.headers["Content-Type"] == "text/plain"  # settlements carry no charset
        assert gzip.decompress(download.content).decode("utf-8") == SETTLEMENT_TEXT
        refused = s.post(url, json={"reportType": SETTLEMENT, "marketplaceIds": [DE]})
        assert refused.status_code == 400 and "not allowed" in refused.json()["errors"][0]["message"]


def test_reports_older_than_90_days_are_never_returned(tmp_path):
    with running(tmp_path) as sb:
        s = session(sb)
        old = create(s, sb, order_spec())
        recent = create(s, sb, order_spec())
        hundred_days = timedelta(days=100).total_seconds()
        sb.app.store.execute("UPDATE amazon_reports SET created = created - ? WHERE report_id = ?", (hundred_days, old))
        since = (clock.now() - timedelta(days=200)).isoformat()
        params = {"reportTypes": f"{ORDERS_BY_DATE},{SETTLEMENT}", "createdSince": since, "pageSize": 100}
        listed = s.get(f"{sb.url}{BASE}/reports", params=params).json()["reports"]
        assert old not in [r["reportId"] for r in listed] and recent in [r["reportId"] for r in listed]
        assert len([r for r in listed if r["reportType"] == SETTLEMENT]) == 2
        assert s.get(f"{sb.url}{BASE}/reports/{old}").status_code == 404
        assert s.get(f"{sb.url}{BASE}/reports/50000002").status_code == 404  # the 100-day settlement


def test_presigned_url_expires_and_rejects_tampering(tmp_path):
    # X-Amz-Date has whole seconds, so a URL lives between ttl-1 and ttl seconds: use 2, not 1.
    with running(tmp_path, document_url_ttl=2) as sb:
        s = session(sb)
        report = wait_final(s, sb, create(s, sb, order_spec()))
        url = s.get(f"{sb.url}{BASE}/documents/{report['reportDocumentId']}").json()["url"]
        assert "X-Amz-Expires=2" in url and requests_get(url).status_code == 200
        tampered = requests_get(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"))
        assert tampered.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in tampered.content
        clock.advance(3.2)
        expired = requests_get(url)
        assert expired.status_code == 403
        assert expired.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
        assert b"<Code>AccessDenied</Code><Message>Request has expired</Message>" in expired.content


def test_create_report_burst_is_15_then_quota_exceeded(tmp_path):
    with running(tmp_path, time_scale=1) as sb:
        s = session(sb)
        url = f"{sb.url}{BASE}/reports"
        answers = [s.post(url, json=order_spec()) for _ in range(16)]
        assert [a.status_code for a in answers] == [202] * 15 + [429]
        assert answers[0].headers["x-amzn-RateLimit-Limit"] == "0.0167"
        assert answers[-1].json()["errors"][0]["code"] == "QuotaExceeded"
        assert s.get(f"{url}/{answers[0].json()['reportId']}").headers["x-amzn-RateLimit-Limit"] == "2"


def requests_get(url: str) -> requests.Response:
    return requests.get(url)  # deliberately no session: S3 is not behind LWA


# -- contract against the official model -------------------------------------------------------
MODEL = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "amazon" / "reports_2021-06-30.json"


def _validator(definition: str):
    if not MODEL.exists():
        pytest.skip(f"official Reports model not found at {MODEL}")
    shared = Path(__file__).resolve().parents[1] / "contract_models.py"
    if shared.exists():
        spec = importlib.util.spec_from_file_location("contract_models", shared)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.validator(MODEL, definition)
    definitions = _closed(json.loads(MODEL.read_text())["definitions"])
    # Swagger 2.0 definitions are JSON Schema enough once they sit under "definitions" with their refs.
    schema = {"$ref": f"#/definitions/{definition}", "definitions": definitions}
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def _closed(node):
    """No properties beyond the model's: a misspelt field must fail the contract, not pass unseen."""
    if isinstance(node, dict):
        node = {k: _closed(v) for k, v in node.items()}
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
    elif isinstance(node, list):
        node = [_closed(v) for v in node]
    return node


def _assert_valid(definition: str, body: dict) -> None:
    errors = sorted(_validator(definition).iter_errors(body), key=str)
    assert not errors, f"{definition}: " + "; ".join(e.message for e in errors)
    for report in body.get("reports", [body]):
        for key, value in report.items():
            if key.endswith("Time"):
                datetime.fromisoformat(value)  # date-time fields are ISO 8601


def test_bodies_match_the_official_model(tmp_path):
    with running(tmp_path) as sb:
        s = session(sb)
        created = s.post(f"{sb.url}{BASE}/reports", json=order_spec())
        _assert_valid("CreateReportResponse", created.json())
        report = wait_final(s, sb, created.json()["reportId"])
        _assert_valid("Report", report)
        listed = s.get(f"{sb.url}{BASE}/reports", params={"reportTypes": f"{ORDERS_BY_DATE},{SETTLEMENT}", "pageSize": 1})
        _assert_valid("GetReportsResponse", listed.json())
        _assert_valid("GetReportsResponse", s.get(f"{sb.url}{BASE}/reports", params={"nextToken": listed.json()["nextToken"]}).json())
        _assert_valid("ReportDocument", s.get(f"{sb.url}{BASE}/documents/{report['reportDocumentId']}").json())
        _assert_valid("ErrorList", s.post(f"{sb.url}{BASE}/reports", json={}).json())


# -- with the real document producers ------------------------------------------------------------
def test_real_producers_give_an_order_report_and_settlements(tmp_path):
    pytest.importorskip("amazon_zoho.sandbox.amazon.documents", reason="the document producers are not written yet")
    with running(tmp_path) as sb:
        s = session(sb)
        report = wait_final(s, sb, create(s, sb, order_spec(hours=24 * 7, marketplaces=(DE, GB))))
        assert report["processingStatus"] == "DONE", report
        doc = s.get(f"{sb.url}{BASE}/documents/{report['reportDocumentId']}").json()
        download = requests_get(doc["url"])
        charset = download.headers["Content-Type"].partition("charset=")[2]
        text = gzip.decompress(download.content).decode(charset or "utf-8")
        assert text.split("\n", 1)[0].split("\t")[0] == "amazon-order-id"
        settlements = s.get(f"{sb.url}{BASE}/reports", params={"reportTypes": SETTLEMENT}).json()["reports"]
        for listed in settlements[:1]:
            url = s.get(f"{sb.url}{BASE}/documents/{listed['reportDocumentId']}").json()["url"]
            body = gzip.decompress(requests_get(url).content).decode("utf-8", errors="replace")
            assert body.startswith("settlement-id\t")


def test_an_order_file_is_made_after_create_report_has_answered_and_once(tmp_path, monkeypatch):
    """createReport answers at once however long the file takes (Amazon: 202, then IN_QUEUE/IN_PROGRESS); the report
    stays IN_PROGRESS past its modelled processing time until the file is made, then is DONE; reads meanwhile do not
    make the file again. (createReport rendered the file itself: a client timing out on a big one retried, and every
    retry rendered it again.)"""
    import threading

    from amazon_zoho.sandbox.amazon import report_processing

    release, calls = threading.Event(), []
    documents = sys.modules[DOCUMENTS_MODULE]
    made_as_of = []

    def slow(app, report_type, marketplace_ids, start, end, now=None):
        calls.append(report_type)
        made_as_of.append(now)
        release.wait(10)
        return ORDER_TEXT.encode("cp1252"), "Cp1252"

    monkeypatch.setattr(documents, "render_order_report", slow)
    monkeypatch.setattr(report_processing, "WAIT_SECONDS", 0.05)
    with running(tmp_path, report_processing_seconds=0.01, rate_limits=False) as sb:
        s = session(sb)
        started = time.monotonic()
        report_id = create(s, sb, order_spec())
        assert time.monotonic() - started < 5
        time.sleep(0.1)  # the modelled processing time (10 ms at time_scale 1000) is long over
        for _ in range(3):
            report = s.get(f"{sb.url}{BASE}/reports/{report_id}").json()
            assert report["processingStatus"] == "IN_PROGRESS" and "reportDocumentId" not in report
        listed = s.get(f"{sb.url}{BASE}/reports", params={"reportTypes": ORDERS_BY_DATE}).json()["reports"]
        assert [r["processingStatus"] for r in listed] == ["IN_PROGRESS"]
        release.set()
        done = wait_final(s, sb, report_id)
        assert done["processingStatus"] == "DONE"
        doc = s.get(f"{sb.url}{BASE}/documents/{done['reportDocumentId']}").json()
        assert gzip.decompress(requests_get(doc["url"]).content) == ORDER_TEXT.encode("cp1252")
        assert calls == [ORDERS_BY_DATE]
        # The file holds the orders as they stood when the report was requested.
        assert made_as_of[0] is not None and abs(made_as_of[0].timestamp() - datetime.fromisoformat(done["createdTime"].replace("Z", "+00:00")).timestamp()) < 1


def test_an_order_file_without_orders_ends_cancelled_after_create_report_has_answered(tmp_path):
    with running(tmp_path, rate_limits=False) as sb:
        s = session(sb)
        report = wait_final(s, sb, create(s, sb, order_spec(hours=0.5)))  # the stand-in has no data under an hour
        assert report["processingStatus"] == "CANCELLED" and "reportDocumentId" not in report

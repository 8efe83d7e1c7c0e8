"""Reports API from the client side: charsets, and listing and downloading against the sandbox."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests

from amazon_zoho import clock
from amazon_zoho.amazon.orders import iso
from amazon_zoho.amazon.reports import SETTLEMENT_REPORT_TYPE, charset_of, codec_for, decode, download_document, list_reports
from amazon_zoho.http.errors import ApiError
from amazon_zoho.resources import build_resources
from amazon_zoho.settings import load

ORDERS_BY_DATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"


@pytest.mark.parametrize(
    "content_type, label, codec",
    [
        ("text/plain;charset=Cp1252", "cp1252", "cp1252"),
        ("text/plain; charset=UTF-8", "utf-8", "utf-8"),
        ("text/plain;charset=windows-31j", "windows-31j", "cp932"),
        # WHATWG maps every latin1 / US-ASCII label to windows-1252 and every Shift_JIS label to Windows-31J.
        ("text/plain;charset=ISO-8859-1", "iso-8859-1", "cp1252"),
        ('text/plain; charset="latin1"', "latin1", "cp1252"),
        ("text/plain;charset=US-ASCII", "us-ascii", "cp1252"),
        ("text/plain;charset=Shift_JIS", "shift_jis", "cp932"),
        ("text/plain;charset=x-sjis", "x-sjis", "cp932"),
        ("text/plain;charset=sjis", "sjis", "cp932"),
        ("text/plain;charset=UTF-16", "utf-16", "utf-16-le"),
        ("text/plain;charset=base64", "base64", None),  # a codec, but not a text encoding
        ("text/plain;charset=x-no-such", "x-no-such", None),
        ("text/plain", None, None),
        (None, None, None),
    ],
)
def test_charset_of_keeps_the_label_and_codec_for_reads_it_as_browsers_do(content_type, label, codec):
    assert charset_of(content_type) == label
    assert codec_for(label) == codec


def test_decode_uses_the_charset():
    assert decode("Café – 2€".encode("cp1252"), "cp1252") == "Café – 2€"
    assert decode("ファイル".encode("cp932"), charset_of("text/plain;charset=windows-31j")) == "ファイル"


def test_undeclared_text_is_utf8_when_it_reads_as_utf8_else_cp1252():
    assert decode("Kaffeemühle – 2€".encode(), None) == "Kaffeemühle – 2€"
    assert decode("Kaffeemühle – 2€ …".encode("cp1252"), None) == "Kaffeemühle – 2€ …"
    assert decode(b"\x81\xe9", None) == "\x81é"  # 0x81 is unused in Cp1252: ISO-8859-1 reads anything


def test_decode_falls_back_to_iso_8859_1():
    assert decode("Grüße".encode("latin-1"), "utf-8") == "Grüße"
    assert decode(b"caf\xe9", "no-such-codec") == "café"


@pytest.fixture
def amazon(resources):
    return resources["amazon"]


def test_list_and_download_a_settlement_report(amazon):
    client = amazon.client()
    reports = list(list_reports(client, [SETTLEMENT_REPORT_TYPE]))

    assert reports and {r["reportType"] for r in reports} == {SETTLEMENT_REPORT_TYPE}
    document = download_document(client, amazon.session(), reports[0]["reportDocumentId"])

    assert document.raw[:2] == b"\x1f\x8b"  # archived as sent
    header, *rows = document.text.splitlines()
    assert len(header.split("\t")) == 24 and header.startswith("settlement-id\t")
    assert rows and all(len(r.split("\t")) == 24 for r in rows)


def test_expired_download_url_is_requested_again(sandbox, amazon):
    client = amazon.client()
    [report, *_] = list_reports(client, [SETTLEMENT_REPORT_TYPE])
    sandbox.app.set_config({"document_url_ttl": 0})  # every presigned URL is already expired

    def restore_ttl_after_first_expiry(response, *args, **kwargs):
        if response.status_code == 403 and "/_s3/" in response.url:
            sandbox.app.set_config({"document_url_ttl": 300})

    downloads = requests.Session()
    downloads.hooks["response"].append(restore_ttl_after_first_expiry)
    document = download_document(client, downloads, report["reportDocumentId"])

    assert document.text.startswith("settlement-id\t")
    assert client.calls["getReportDocument"] == 2


def test_download_gives_up_when_every_url_has_expired(sandbox, amazon):
    client = amazon.client()
    [report, *_] = list_reports(client, [SETTLEMENT_REPORT_TYPE])
    sandbox.app.set_config({"document_url_ttl": 0})

    with pytest.raises(ApiError, match=report["reportDocumentId"]):
        download_document(client, amazon.session(), report["reportDocumentId"], attempts=2)
    assert client.calls["getReportDocument"] == 2


def test_list_reports_follows_next_token_alone(sandbox, project_env):
    # Fast client pacing: 101 createReport calls would otherwise wait on the usage plan.
    sandbox.app.set_config({"rate_limits": False})
    client = build_resources(load({**project_env, "AMAZON_ZOHO_SANDBOX_TIME_SCALE": "1000000"}))["amazon"].client()
    end = clock.now() - timedelta(hours=1)
    spec = {"reportType": ORDERS_BY_DATE, "marketplaceIds": ["A1PA6795UKMFR9"],
            "dataStartTime": iso(end - timedelta(hours=1)), "dataEndTime": iso(end)}
    with ThreadPoolExecutor(8) as pool:
        created = set(pool.map(lambda _: client.call("createReport", "POST", "/reports/2021-06-30/reports", json=spec).body["reportId"], range(101)))

    listed = [r["reportId"] for r in list_reports(client, [ORDERS_BY_DATE])]

    assert sorted(listed) == sorted(created)  # every report once: page 2 was fetched and accepted
    log = requests.get(f"{sandbox.url}/_sandbox/calls", params={"service": "amazon"}, timeout=10).json()["calls"]
    # The sandbox answers 400 when nextToken comes with any other parameter.
    assert [c["status"] for c in log if c["operation"] == "getReports"] == [200, 200]

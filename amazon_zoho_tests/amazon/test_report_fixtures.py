"""The fixture corpus (fixtures/reports/README.md) through the functions the assets call: every file's text reads back
as written, or its guess is recorded in ops.decode_events; nothing lands garbled (issue #13)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from amazon_zoho.amazon import flat_files, order_reports
from amazon_zoho.amazon.order_reports import _load_document
from amazon_zoho.amazon.reports import ORDERS_BY_DATE, ReportOutcome, ReportSpec, charset_of, decode_report
from amazon_zoho.amazon.settlement_files import LoadNotes, archive, decode_archive, load_rows
from amazon_zoho.warehouse import WarehouseResource

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
DAY = date(2026, 10, 15)
DE, UK, FR, JP, US = "A1PA6795UKMFR9", "A1F83G8C2ARO7P", "A13V1IB3VIYZZH", "A1VC38T7YXB528", "ATVPDKIKX0DER"
# C1 controls and U+FFFD: what a wrong charset leaves in text (bench/chaos.py counts the same).
GARBLED = re.compile("[\x80-\x9f\ufffd\ufeff]")


@pytest.fixture
def warehouse(tmp_path):
    return WarehouseResource(database=str(tmp_path / "w.duckdb"), archive_dir=str(tmp_path / "archive"))


def load_settlement(warehouse, name: str, marketplace: str, charset: str | None = None):
    """archive -> decode_archive -> record_decode -> load_rows, as raw_settlements does."""
    report_id = name.split(".")[0]
    path, _ = archive(warehouse.archive_dir, marketplace, report_id, (FIXTURES / name).read_bytes())
    decoded = decode_archive(path, charset, marketplace_id=marketplace)
    notes = LoadNotes()
    with warehouse.connect() as conn:
        flat_files.record_decode(conn, "settlement_file", report_id, marketplace, decoded, "run-1")
        counts = load_rows(conn, report_id, decoded.text, str(path), DAY, "run-1", notes=notes)
        rows = conn.execute(
            'SELECT line_number, "settlement-id", "total-amount", currency, "transaction-type", "amount-type", "amount-description", '
            'amount, sku FROM raw.settlement_rows ORDER BY line_number').fetchall()
        held = conn.execute("SELECT line_number, reason FROM ops.quarantine ORDER BY line_number").fetchall()
        events = conn.execute("SELECT decoded_as, note FROM ops.decode_events").fetchall()
    return counts, notes, rows, held, events


def test_utf8_bom_crlf_and_a_cut_summary_row_load_clean(warehouse):
    (loaded, quarantined), notes, rows, held, events = load_settlement(warehouse, "settlement_de_utf8_bom_crlf_cut_summary.tsv", DE)

    assert (loaded, quarantined, held, events) == (4, 0, [], [])  # a BOM and UTF-8: a clean read, nothing recorded
    assert notes.padded == [2] and notes.rejected is None
    assert rows[0][:4] == (2, "24680135790", "39,39", "EUR")
    assert rows[1][-1] == "KAFFEEMÜHLE–KERAMIK" and rows[1][4:6] == ("Order", "ItemPrice")


def test_utf16le_with_bom_loads(warehouse):
    (loaded, quarantined), notes, rows, _, events = load_settlement(warehouse, "settlement_uk_utf16le_bom.tsv", UK)

    assert (loaded, quarantined, events, notes.padded) == (3, 0, [], [])
    assert rows[0][:4] == (2, "13579246801", "20.48", "GBP") and rows[1][-1] == "TEAPOT-£-GLASS"


def test_undeclared_cp1252_is_read_as_cp1252_and_recorded(warehouse):
    (loaded, quarantined), _, rows, _, events = load_settlement(warehouse, "settlement_fr_cp1252_undeclared.tsv", FR)

    assert (loaded, quarantined) == (3, 0)
    assert rows[1][-1] == "THÉIÈRE–FONTE" and rows[2][6] == "Commission – frais €"
    [(decoded_as, note)] = events
    assert decoded_as == "cp1252" and "no charset declared" in note


def test_undeclared_japanese_is_read_as_windows_31j_not_cp1252(warehouse):
    (loaded, quarantined), notes, rows, _, events = load_settlement(warehouse, "settlement_jp_windows31j_undeclared.tsv", JP)

    assert (loaded, quarantined, notes.padded) == (3, 0, [2])
    assert [r[-1] for r in rows[1:]] == ["急須－南部鉄器ー黒"] * 2
    assert rows[0][2:4] == ("2750", "JPY")
    [(decoded_as, note)] = events
    assert decoded_as == "cp932" and "A1VC38T7YXB528" in note


def test_cells_are_trimmed_and_only_a_summary_row_is_padded(warehouse):
    (loaded, quarantined), notes, rows, held, _ = load_settlement(warehouse, "settlement_us_padded_cells_bad_rows.tsv", US)

    assert notes.padded == [2]
    assert (loaded, quarantined) == (3, 2)
    assert rows[1][4:] == ("Order", "ItemPrice", "Principal", "15.00", "BOTTLE-750")  # was "Order ", " 15.00 ", "BOTTLE-750 "
    assert rows[2][5] == "ItemFees"
    assert [line for line, _ in held] == [5, 6]
    assert all("tab-separated columns" in reason for _, reason in held)


def test_a_file_that_is_not_a_report_is_refused_whole_by_name(warehouse):
    (loaded, quarantined), notes, rows, held, _ = load_settlement(warehouse, "settlement_not_a_report.xml", DE)

    assert (loaded, quarantined, rows) == (0, 1, [])
    assert notes.rejected and "header lacks required columns" in notes.rejected and held == [(1, notes.rejected)]


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("settlement_*.tsv")))
def test_no_settlement_fixture_lands_garbled(warehouse, name):
    marketplace = {"de": DE, "uk": UK, "fr": FR, "jp": JP, "us": US}[name.split("_")[1]]
    _, _, rows, _, _ = load_settlement(warehouse, name, marketplace)
    assert rows and not [cell for row in rows for cell in row if isinstance(cell, str) and GARBLED.search(cell)]


# -- order reports ------------------------------------------------------------------------------------------------------
def load_orders(warehouse, name: str, marketplace: str, content_type: str | None):
    """decode_report (what download_document does with the body) -> record_decode -> _load_document."""
    decoded = decode_report((FIXTURES / name).read_bytes(), charset_of(content_type), marketplace)
    spec = ReportSpec(ORDERS_BY_DATE, datetime(2026, 10, 1, tzinfo=timezone.utc), datetime(2026, 10, 11, tzinfo=timezone.utc), (marketplace,))
    with warehouse.connect() as conn:
        flat_files.record_decode(conn, "order_report", "R1", marketplace, decoded, "run")
        loaded, quarantined, _, _ = _load_document(conn, decoded.text, ReportOutcome(spec, "R1", "DONE", "D1", False, 1), "run")
        payloads = [json.loads(p) for (p,) in conn.execute("SELECT payload FROM raw.order_versions ORDER BY order_id").fetchall()]
        held = conn.execute("SELECT reason FROM ops.quarantine").fetchall()
        events = conn.execute("SELECT decoded_as, note FROM ops.decode_events").fetchall()
    return loaded, quarantined, payloads, held, events


def items(payloads) -> list[tuple[str, str]]:
    return [(i["product"]["sellerSku"], i["product"]["title"]) for p in payloads for i in p["orderItems"]]


def test_japanese_order_report_in_shift_jis_keeps_its_skus(warehouse):
    loaded, quarantined, payloads, held, events = load_orders(warehouse, "all_orders_jp_shift_jis.tsv", JP, "text/plain")

    assert (loaded, quarantined, held) == (2, 0, [])
    assert items(payloads) == [("急須－南部鉄器ー黒", "南部鉄器 急須 0.65L（黒）"), ("計量スプーン～５本", "ステンレス 計量スプーン ５本セット")]
    [(decoded_as, note)] = events
    assert decoded_as == "cp932" and note


def test_declared_iso_8859_1_with_cp1252_bytes_keeps_dash_and_euro(warehouse):
    loaded, _, payloads, _, events = load_orders(warehouse, "all_orders_de_cp1252_declared_latin1.tsv", DE, "text/plain;charset=ISO-8859-1")

    assert loaded == 1
    assert items(payloads) == [("KAFFEEMÜHLE–KERAMIK", "Kaffeemühle manuell – Keramikmahlwerk (€-Spar-Set)")]
    [(decoded_as, note)] = events
    assert decoded_as == "cp1252" and "windows-1252" in note


@pytest.mark.parametrize("name, content_type", [
    ("all_orders_uk_utf8_bom_crlf.tsv", None),
    ("all_orders_uk_utf8_bom_crlf.tsv", "text/plain;charset=Cp1252"),  # the mark outranks the label, and says so
    ("all_orders_uk_utf16le_bom.tsv", None),
])
def test_order_reports_with_a_byte_order_mark_load_trimmed(warehouse, name, content_type):
    loaded, quarantined, payloads, held, events = load_orders(warehouse, name, UK, content_type)

    assert (loaded, quarantined, held) == (1, 0, [])
    assert items(payloads) == [("TEAPOT-£-GLASS", "Glass Teapot – 1.2 L")]
    assert payloads[0]["fulfillment"]["fulfillmentStatus"] == "SHIPPED"  # "Shipped " trimmed
    assert [e[0] for e in events] == (["utf-8"] if content_type else [])


@pytest.mark.parametrize("name, marketplace", [
    ("all_orders_jp_shift_jis.tsv", JP), ("all_orders_de_cp1252_declared_latin1.tsv", DE),
    ("all_orders_uk_utf8_bom_crlf.tsv", UK), ("all_orders_uk_utf16le_bom.tsv", UK),
])
def test_a_report_shaped_in_parts_loads_what_it_loads_in_one(tmp_path, monkeypatch, name, marketplace):
    """A big report's orders are shaped in parts (order_reports.REPORT_PART_LINES): every file of the corpus, with a
    part per line, lands the same orders, quarantine and payloads as in one part."""
    def load(folder: str, part_lines: int | None):
        if part_lines:
            monkeypatch.setattr(order_reports, "REPORT_PART_LINES", part_lines)
        warehouse = WarehouseResource(database=str(tmp_path / folder / "w.duckdb"), archive_dir=str(tmp_path / folder / "archive"))
        (tmp_path / folder).mkdir()
        return load_orders(warehouse, name, marketplace, None)

    assert load("one", None) == load("parts", 1)

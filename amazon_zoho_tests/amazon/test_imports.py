"""Report files downloaded by hand from Seller Central: recognised by header, archived, loaded into raw once.

The fixtures say on their first line where their shape comes from; the tests drop that line, as a real file has none.
"""

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from amazon_zoho.amazon import imports
from amazon_zoho.amazon.inbox_sensor import file_away, pending_files
from amazon_zoho.core import steps as core_steps
from amazon_zoho.warehouse import WarehouseResource
from amazon_zoho_tests.core.test_settlement_fixtures import CASES as FORMAT_CASES, FIXTURES as FORMAT_FIXTURES

FIXTURES = Path(__file__).with_name("fixtures")
DE = "A1PA6795UKMFR9"
WATCHED = ("raw.settlement_reports", "raw.settlement_rows", "raw.order_versions", "ops.quarantine", "ops.imports")


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes().split(b"\n", 1)[1]


SETTLEMENT = fixture_bytes("seller_central_settlement_de.txt")
ORDERS = fixture_bytes("all_orders_gift_wrap_promotions.tsv")


@pytest.fixture
def warehouse(tmp_path) -> WarehouseResource:
    return WarehouseResource(database=str(tmp_path / "w.duckdb"), archive_dir=str(tmp_path / "archive"))


def load(warehouse: WarehouseResource, raw: bytes, name: str = "file.txt", marketplace: str | None = None) -> imports.ImportResult:
    with warehouse.connect() as conn:
        return imports.import_file(conn, raw, name, warehouse.archive_dir, marketplace)


def state(warehouse: WarehouseResource) -> dict[str, tuple]:
    """Row count and an order-independent checksum of every table an import may write."""
    with warehouse.connect() as conn:
        return {t: conn.execute(f"SELECT count(*), sum(hash(t::VARCHAR)) FROM {t} t").fetchone() for t in WATCHED}


def test_a_settlement_file_lands_in_raw_under_its_end_day_with_marketplace_and_archive(warehouse):
    result = load(warehouse, SETTLEMENT, "statement.txt")

    assert result.status == imports.LOADED, result.reason
    assert result.report_id == "import-" + hashlib.sha256(SETTLEMENT).hexdigest()[:16]
    assert (result.kind, result.marketplace_ids, result.days) == (imports.SETTLEMENT, [DE], [date(2026, 5, 20)])
    assert (result.rows_loaded, result.rows_quarantined) == (11, 0)
    with warehouse.connect() as conn:
        row = conn.execute(
            "SELECT settlement_id, marketplace_id, period_start, period_end, end_date, archive_path, sha256, row_count "
            "FROM raw.settlement_reports WHERE report_id = ?", [result.report_id]).fetchone()
        recorded = conn.execute("SELECT status, kind, first_day, file_name FROM ops.imports").fetchall()
    settlement_id, marketplace, start, end, end_date, archive, digest, rows = row
    assert (settlement_id, marketplace, end_date, rows) == ("24681357901", DE, date(2026, 5, 20), 11)
    assert (start.isoformat(), end.isoformat()) == ("2026-05-06T08:12:34+00:00", "2026-05-20T08:12:34+00:00")
    # The API path's archive layout: <archive>/settlements/<marketplace>/<report id>.tsv, the bytes as downloaded.
    assert Path(archive) == Path(warehouse.archive_dir) / "settlements" / DE / f"{result.report_id}.tsv"
    assert Path(archive).read_bytes() == SETTLEMENT and digest == hashlib.sha256(SETTLEMENT).hexdigest()
    assert recorded == [("loaded", "settlement", date(2026, 5, 20), "statement.txt")]


def test_the_same_bytes_again_change_nothing(warehouse):
    load(warehouse, SETTLEMENT)
    load(warehouse, ORDERS)
    before = state(warehouse)

    again = [load(warehouse, SETTLEMENT, "copy.txt"), load(warehouse, ORDERS, "copy2.txt")]

    assert [r.status for r in again] == [imports.ALREADY_LOADED] * 2
    assert all("same bytes were loaded as import-" in r.reason and not r.days for r in again)
    assert state(warehouse) == before


def cut_short(raw: bytes) -> bytes:
    """What a browser leaves of a download it stopped: the last line cut mid-row (its cells missing)."""
    return raw.rstrip(b"\n")[:-40]


def build_core(warehouse: WarehouseResource, day: date) -> None:
    with warehouse.connect() as conn:
        for step in core_steps.BUILD_SETTLEMENTS:
            step.run(conn, {"start": day, "end": day + timedelta(days=1), "run_id": "run-test"})


def test_a_later_download_of_an_imported_settlement_replaces_the_cut_one_and_counts_once(warehouse):
    cut = load(warehouse, cut_short(SETTLEMENT), "cut.txt")
    assert cut.status == imports.LOADED and cut.rows_quarantined == 1
    build_core(warehouse, date(2026, 5, 20))
    with warehouse.connect() as conn:
        held = conn.execute("SELECT DISTINCT source FROM ops.quarantine ORDER BY 1").fetchall()
    assert ("settlement_file",) in held

    full = load(warehouse, SETTLEMENT, "statement.txt")

    assert full.status == imports.LOADED, full.reason
    assert full.superseded == [cut.report_id] and full.days == [date(2026, 5, 20)]
    assert f"replaces the earlier import {cut.report_id}" in full.summary()
    build_core(warehouse, date(2026, 5, 20))
    with warehouse.connect() as conn:
        reports = conn.execute("SELECT report_id FROM raw.settlement_reports").fetchall()
        statuses = dict(conn.execute("SELECT file_name, status FROM ops.imports").fetchall())
        left = conn.execute("SELECT count(*) FROM ops.quarantine WHERE record_key = ? OR file_name = ?",
                            [cut.report_id, cut.archive_path]).fetchone()
        core = conn.execute("SELECT report_id, total_amount FROM core.settlements").fetchall()
        lines = conn.execute("SELECT count(*) FROM core.settlement_lines").fetchone()
    assert reports == [(full.report_id,)]
    assert statuses == {"cut.txt": imports.SUPERSEDED, "statement.txt": imports.LOADED}
    assert left == (0,), "the cut file's quarantined rows went with it"
    assert [r for r, _ in core] == [full.report_id] and lines == (full.rows_loaded - 1,), "one summary row, the rest lines, once"


def test_a_download_of_a_settlement_amazons_report_holds_is_not_loaded_and_says_why(warehouse):
    with warehouse.connect() as conn:
        conn.execute("INSERT INTO raw.settlement_reports VALUES ('50011020300', '24681357901', ?, NULL, NULL, DATE '2026-05-20', "
                     "NULL, 'doc', '/a/50011020300.tsv', 'x', NULL, 11, now())", [DE])
    before = state(warehouse)

    result = load(warehouse, SETTLEMENT)

    assert result.status == imports.ALREADY_LOADED
    assert "already loaded from report 50011020300, Amazon's own report" in result.reason
    assert state(warehouse) == before


@pytest.mark.parametrize("name", sorted(FORMAT_CASES))
def test_every_marketplace_date_format_imports_and_lands_its_deposit_on_its_end_day(warehouse, name):
    marketplace_id, (_, end, _), _, deposit = FORMAT_CASES[name]
    raw = (FORMAT_FIXTURES / name).read_bytes()

    result = load(warehouse, raw, name)

    assert result.status == imports.LOADED, result.reason
    assert (result.marketplace_ids, result.days) == ([marketplace_id], [end.date()])
    build_core(warehouse, end.date())
    with warehouse.connect() as conn:
        settled = conn.execute("SELECT end_date, marketplace_id, period_end, total_amount FROM core.settlements").fetchall()
        held = conn.execute("SELECT source, reason FROM ops.quarantine").fetchall()
    assert settled == [(end.date(), marketplace_id, end, deposit)] and held == []


def test_a_settlement_date_is_read_as_its_marketplace_writes_dates(warehouse):
    uk, us, jp = "A1F83G8C2ARO7P", "ATVPDKIKX0DER", "A1VC38T7YXB528"
    with warehouse.connect() as conn:
        read = {(text, m): imports.settlement_instant(conn, text, m) for text, m in [
            ("15/01/2023 07:01:53 UTC", uk), ("03/04/2023 07:01:53 UTC", uk), ("03/04/2023 07:01:53 UTC", us),
            ("2023/01/15 07:01:53 UTC", jp), ("01/15/2023 00:00:00 PST", us), ("2023-07-17 00:00:00 PDT", us),
            ("2026-05-21T01:12:34+02:00", DE), ("May 20", DE)]}
    assert {k: v.isoformat() if v else None for k, v in read.items()} == {
        ("15/01/2023 07:01:53 UTC", uk): "2023-01-15T07:01:53+00:00",
        ("03/04/2023 07:01:53 UTC", uk): "2023-04-03T07:01:53+00:00",  # 3 April in the UK
        ("03/04/2023 07:01:53 UTC", us): "2023-03-04T07:01:53+00:00",  # 4 March in the US
        ("2023/01/15 07:01:53 UTC", jp): "2023-01-15T07:01:53+00:00",
        ("01/15/2023 00:00:00 PST", us): "2023-01-15T08:00:00+00:00",
        ("2023-07-17 00:00:00 PDT", us): "2023-07-17T07:00:00+00:00",
        # The partition day is the UTC day: an instant with an offset counts where it falls in UTC.
        ("2026-05-21T01:12:34+02:00", DE): "2026-05-20T23:12:34+00:00",
        ("May 20", DE): None,
    }


def test_a_shift_jis_order_report_is_read_as_japanese_and_the_guess_recorded(warehouse):
    raw = (FIXTURES / "reports" / "all_orders_jp_shift_jis.tsv").read_bytes()

    result = load(warehouse, raw, "jp.txt")

    assert result.status == imports.LOADED, result.reason
    assert result.decode_note and "cp932" in result.decode_note and "ops.decode_events" in result.summary()
    with warehouse.connect() as conn:
        payloads = [json.loads(p) for (p,) in conn.execute("SELECT payload FROM raw.order_versions ORDER BY order_id").fetchall()]
        events = conn.execute("SELECT source, report_id, marketplace_id, decoded_as FROM ops.decode_events").fetchall()
    titles = [i["product"]["title"] for p in payloads for i in p["orderItems"]]
    assert titles == ["南部鉄器 急須 0.65L（黒）", "ステンレス 計量スプーン ５本セット"]
    assert events == [("order_report", result.report_id, "A1VC38T7YXB528", "cp932")]


def test_a_windows_1252_settlement_records_its_guessed_encoding(warehouse):
    raw = SETTLEMENT.replace(b"SKU-PAN-28", "SKU-PFANNE–28".encode("cp1252"))

    result = load(warehouse, raw)

    assert result.status == imports.LOADED and result.decode_note
    with warehouse.connect() as conn:
        assert conn.execute("SELECT source, decoded_as FROM ops.decode_events").fetchall() == [("settlement_file", "cp1252")]
        skus = conn.execute("SELECT DISTINCT sku FROM raw.settlement_rows WHERE sku LIKE 'SKU-PF%'").fetchall()
    assert skus == [("SKU-PFANNE–28",)]


def test_loaded_imports_are_owed_a_rebuild_until_one_is_requested(warehouse):
    settlement = load(warehouse, SETTLEMENT)
    orders = load(warehouse, ORDERS)
    load(warehouse, b"%PDF-1.7\n", "refused.pdf")
    with warehouse.connect() as conn:
        owed = imports.owed_rebuilds(conn)
        assert [(o.report_id, o.days) for o in owed] == [(settlement.report_id, [date(2026, 5, 20)]), (orders.report_id, [date(2026, 5, 4)])]
        imports.mark_rebuild_requested(conn, owed[:1])
        assert [o.report_id for o in imports.owed_rebuilds(conn)] == [orders.report_id]
        imports.mark_rebuild_requested(conn, imports.owed_rebuilds(conn))
        assert imports.owed_rebuilds(conn) == []


NOT_REPORTS = {
    "empty": (b"", "empty file"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "a PDF document"),
    "html": (b"<!DOCTYPE html>\n<html><head><title>Amazon Sign-In</title></head><body>Sign in</body></html>\n", "an HTML/XML page"),
    "csv": (b"date,product,units\n2026-05-01,pan,3\n", "the first line has no tab"),
    "tsv": (b"date\tproduct\tunits\n2026-05-01\tpan\t3\n", "the header names neither a settlement report"),
    "xlsx": (b"PK\x03\x04\x14\x00\x06\x00" + bytes(40), "a ZIP archive"),
    "unshipped orders": (b"order-id\torder-item-id\tpurchase-date\tpayments-date\tbuyer-email\tbuyer-name\tsku\n"
                         b"302-1\t1\t2026-05-01T10:00:00+00:00\t2026-05-01T10:00:00+00:00\tx@example.com\tX\tSKU\n",
                         "import the All Orders report"),
    "header only": (SETTLEMENT.split(b"\n", 1)[0] + b"\n", "header with no rows"),
    "truncated header": (b"settlement-id\ttotal-amount\tcurrency\n1\t5,00\tEUR\n", "lacks ['amount', 'transaction-type', 'amount-type']"),
}


@pytest.mark.parametrize("name", NOT_REPORTS)
def test_a_file_that_is_not_a_report_is_refused_with_the_reason_and_nothing_else_is_touched(warehouse, name):
    load(warehouse, SETTLEMENT)
    before = state(warehouse)
    raw, reason = NOT_REPORTS[name]

    result = load(warehouse, raw, f"{name}.bin")

    assert result.status == imports.REFUSED and reason in result.reason
    after = state(warehouse)
    assert {t: v for t, v in after.items() if t != "ops.imports"} == {t: v for t, v in before.items() if t != "ops.imports"}
    assert after["ops.imports"][0] == before["ops.imports"][0] + 1
    with warehouse.connect() as conn:
        assert conn.execute("SELECT status, reason FROM ops.imports WHERE file_name = ?", [f"{name}.bin"]).fetchone() == ("refused", result.reason)
    archived = list(Path(warehouse.archive_dir).rglob("*.tsv"))
    assert len(archived) == 1, "only the settlement loaded first is archived"


def without_marketplace_names(raw: bytes) -> bytes:
    return raw.replace(b"\tAmazon.de\t", b"\t\t")


def test_a_settlement_that_names_no_marketplace_needs_the_flag(warehouse):
    # EUR is settled in several marketplaces: the seller has to say which.
    refused = load(warehouse, without_marketplace_names(SETTLEMENT))
    assert refused.status == imports.REFUSED and "pass MARKETPLACE=<id>" in refused.reason

    loaded = load(warehouse, without_marketplace_names(SETTLEMENT), marketplace=DE)
    assert (loaded.status, loaded.marketplace_ids) == (imports.LOADED, [DE])


def test_a_flag_that_contradicts_the_file_is_refused(warehouse):
    result = load(warehouse, SETTLEMENT, marketplace="A13V1IB3VIYZZH")
    assert result.status == imports.REFUSED
    assert "Amazon.de (A1PA6795UKMFR9), not MARKETPLACE=A13V1IB3VIYZZH" in result.reason


def test_an_order_report_lands_as_report_versions_of_its_marketplaces(warehouse):
    result = load(warehouse, ORDERS, "orders.txt")

    assert result.status == imports.LOADED, result.reason
    assert (result.kind, result.marketplace_ids, result.days) == (imports.ORDER_REPORT, ["A1PA6795UKMFR9", "ATVPDKIKX0DER"], [date(2026, 5, 4)])
    with warehouse.connect() as conn:
        versions = conn.execute(
            "SELECT order_id, marketplace_id, source FROM raw.order_versions WHERE request_id = ? ORDER BY 1", [result.report_id]
        ).fetchall()
    assert versions == [
        ("111-4100003-0000003", "ATVPDKIKX0DER", "report"),
        ("302-4100001-0000001", DE, "report"),
        ("302-4100002-0000002", DE, "report"),
    ]
    assert Path(result.archive_path).read_bytes() == ORDERS
    assert Path(result.archive_path).parent == Path(warehouse.archive_dir) / "order_reports" / "multi"


def test_a_non_amazon_sales_channel_needs_the_flag(warehouse):
    raw = ORDERS.replace(b"\tAmazon.com\t", b"\tNon-Amazon\t")
    refused = load(warehouse, raw)
    assert refused.status == imports.REFUSED and "sales-channel Non-Amazon is no Amazon marketplace" in refused.reason


def test_gzip_and_cp1252_downloads_are_read(warehouse):
    import gzip

    raw = gzip.compress(ORDERS.replace(b"Gusseisenpfanne", "Gußeisenpfanne".encode("cp1252")))
    result = load(warehouse, raw)
    assert result.status == imports.LOADED, result.reason
    assert result.archive_path.endswith(".tsv.gz")


def test_inbox_files_move_to_done_or_refused_with_the_reason(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("a.txt", "b.pdf", ".hidden", "c.txt.crdownload"):
        (inbox / name).write_text("x")
    assert [p.name for p in pending_files(inbox)] == ["a.txt", "b.pdf"]

    file_away(inbox / "a.txt", imports.ImportResult("a.txt", imports.LOADED))
    file_away(inbox / "b.pdf", imports.ImportResult("b.pdf", imports.REFUSED, "a PDF document"))
    (inbox / "a.txt").write_text("again")
    file_away(inbox / "a.txt", imports.ImportResult("a.txt", imports.ALREADY_LOADED))

    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["a.1.txt", "a.txt"]
    assert (inbox / "refused" / "b.pdf.reason.txt").read_text() == "a PDF document\n"
    assert [p.name for p in pending_files(inbox)] == []


def test_amazons_own_report_of_an_imported_settlement_replaces_the_import(warehouse):
    imported = load(warehouse, SETTLEMENT)
    other = load(warehouse, ORDERS)
    with warehouse.connect() as conn:
        # What raw_settlements writes for a report the API lists later (settlement_assets.py).
        conn.execute("INSERT INTO raw.settlement_reports VALUES ('50011020300', '24681357901', ?, NULL, NULL, DATE '2026-05-20', "
                     "NULL, 'doc', '/a/50011020300.tsv', 'x', NULL, 11, now())", [DE])
        assert imports.supersede_imports(conn, "50011020300") == [imported.report_id]
        assert imports.supersede_imports(conn, "50011020300") == []
        reports = conn.execute("SELECT report_id FROM raw.settlement_reports").fetchall()
        rows = conn.execute("SELECT count(*) FROM raw.settlement_rows WHERE report_id = ?", [imported.report_id]).fetchone()
        statuses = conn.execute("SELECT report_id, status FROM ops.imports ORDER BY status").fetchall()
    assert reports == [("50011020300",)] and rows == (0,)
    assert statuses == [(other.report_id, "loaded"), (imported.report_id, "superseded")]
    assert Path(imported.archive_path).exists(), "the archive keeps what the seller downloaded"
    again = load(warehouse, SETTLEMENT)
    assert again.status == imports.ALREADY_LOADED and "already loaded from report 50011020300" in again.reason


def test_amazons_report_takes_the_replaced_imports_quarantined_rows_with_it(warehouse):
    # One line cut short (quarantined by the loader), one amount core cannot read (quarantined by core).
    raw = cut_short(SETTLEMENT.replace(b"\t29,99\t", b"\t29.99.9\t", 1))
    imported = load(warehouse, raw)
    build_core(warehouse, date(2026, 5, 20))
    with warehouse.connect() as conn:
        held = conn.execute("SELECT source FROM ops.quarantine WHERE record_key = ? ORDER BY 1", [imported.report_id]).fetchall()
        assert held == [("core_settlement_lines",), ("settlement_file",)]
        conn.execute("INSERT INTO raw.settlement_reports VALUES ('50011020300', '24681357901', ?, NULL, NULL, DATE '2026-05-20', "
                     "NULL, 'doc', '/a/50011020300.tsv', 'x', NULL, 11, now())", [DE])

        assert imports.supersede_imports(conn, "50011020300") == [imported.report_id]

        left = conn.execute("SELECT source, reason FROM ops.quarantine WHERE record_key = ? OR file_name = ?",
                            [imported.report_id, imported.archive_path]).fetchall()
    assert left == [], "a report no longer in raw has nothing in quarantine"


def test_a_file_the_loader_chokes_on_is_refused_with_the_error_and_the_inbox_goes_on(warehouse, tmp_path, monkeypatch):
    from amazon_zoho.amazon import inbox_sensor

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_bytes(SETTLEMENT)
    (inbox / "b.txt").write_bytes(ORDERS)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports.settlement_files, "load_rows", broken)
    results = inbox_sensor.import_inbox(inbox, warehouse)

    assert [(r.file_name, r.status) for r in results] == [("a.txt", imports.REFUSED), ("b.txt", imports.LOADED)]
    assert "loading failed (RuntimeError: disk full)" in (inbox / "refused" / "a.txt.reason.txt").read_text()
    with warehouse.connect() as conn:
        assert conn.execute("SELECT count(*) FROM raw.settlement_reports").fetchone() == (0,), "the failed import rolled back"
        assert conn.execute("SELECT status FROM ops.imports WHERE file_name = 'a.txt'").fetchone() == ("refused",)

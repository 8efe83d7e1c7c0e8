"""Settlement flat files: loaded by header name into raw.settlement_rows, bad lines quarantined with their place."""

import gzip
import hashlib
from datetime import date

import pytest

from amazon_zoho.amazon.settlement_files import COLUMNS, archive, load_rows, read_archive
from amazon_zoho.warehouse import WarehouseResource

DAY = date(2026, 1, 15)
# API-FACTS §4: the settlement V2 flat file header, in Amazon's order.
DOCUMENTED = (
    "settlement-id settlement-start-date settlement-end-date deposit-date total-amount currency transaction-type "
    "order-id merchant-order-id adjustment-id shipment-id marketplace-name amount-type amount-description amount "
    "fulfillment-id posted-date posted-date-time order-item-code merchant-order-item-id merchant-adjustment-item-id "
    "sku quantity-purchased promotion-id"
).split()


@pytest.fixture
def conn(tmp_path):
    with WarehouseResource(database=str(tmp_path / "w.duckdb"), archive_dir=str(tmp_path / "archive")).connect() as c:
        yield c


def line(values: dict, header=COLUMNS) -> str:
    return "\t".join(values.get(c, "") for c in header)


def cells(n: int, tag: str) -> str:
    return "\t".join(f"{tag}{i}" for i in range(n))


def row(n: int) -> dict:
    return {"settlement-id": "9001", "transaction-type": "Order", "amount-type": "ItemPrice", "amount": f"{n}.00", "sku": f"SKU-{n}"}


def load(conn, text: str, report_id="R1", file_name="R1.tsv"):
    return load_rows(conn, report_id, text, file_name, DAY, "run-1")


def rows(conn) -> list[tuple]:
    return conn.execute('SELECT line_number, "settlement-id", amount, sku, "promotion-id" FROM raw.settlement_rows ORDER BY line_number').fetchall()


def quarantine(conn) -> list[tuple]:
    return conn.execute("SELECT file_name, line_number, raw_text, reason FROM ops.quarantine ORDER BY line_number").fetchall()


def test_documented_columns_load_with_their_line_numbers(conn):
    summary = {"settlement-id": "9001", "settlement-start-date": "2026-01-01 00:00:00 UTC", "total-amount": "95,00", "currency": "EUR"}
    detail = {c: f"{c}:v" for c in DOCUMENTED}
    text = "\t".join(DOCUMENTED) + "\n" + line(summary, DOCUMENTED) + "\n" + line(detail, DOCUMENTED) + "\n"

    assert load(conn, text) == (2, 0)
    columns = ", ".join(f'"{c}"' for c in DOCUMENTED)
    loaded = conn.execute(f"SELECT line_number, {columns} FROM raw.settlement_rows ORDER BY line_number").fetchall()
    assert loaded[0][:7] == (2, "9001", "2026-01-01 00:00:00 UTC", None, None, "95,00", "EUR")
    assert loaded[1] == (3, *(f"{c}:v" for c in DOCUMENTED))


def test_reordered_header_with_unknown_column_maps_by_name(conn):
    header = ["amount", "brand-new-column", *reversed([c for c in COLUMNS if c != "amount"])]
    text = "\t".join(header) + "\n" + line({**row(7), "brand-new-column": "ignored"}, header) + "\n"
    assert load(conn, text) == (1, 0)
    assert rows(conn) == [(2, "9001", "7.00", "SKU-7", None)]


def test_row_with_wrong_cell_count_is_quarantined_and_the_rest_load(conn):
    short = cells(len(COLUMNS) - 1, "s")
    long = cells(len(COLUMNS) + 1, "l")
    text = "\n".join(["\t".join(COLUMNS), line(row(1)), short, "", line(row(2)), long, line(row(3))]) + "\n"

    loaded, quarantined = load(conn, text, file_name="settlement-R1.tsv")

    assert (loaded, quarantined) == (3, 2)
    assert [r[0] for r in rows(conn)] == [2, 5, 7]  # the blank line 4 still counts
    assert [q[:3] for q in quarantine(conn)] == [("settlement-R1.tsv", 3, short), ("settlement-R1.tsv", 6, long)]
    assert all("column" in q[3].lower() for q in quarantine(conn))


def test_a_line_several_cells_short_is_quarantined_once(conn):
    text = "\n".join(["\t".join(COLUMNS), cells(20, "s"), line(row(1))]) + "\n"
    assert load(conn, text) == (1, 1)
    assert [q[1] for q in quarantine(conn)] == [2]


def test_only_newlines_end_a_row(conn):
    text = "\t".join(COLUMNS) + "\n" + line({**row(1), "amount-description": "Caf\xe9 \x85 2\x80"}) + "\n" + line(row(2)) + "\n"
    assert load(conn, text) == (2, 0)
    assert [r[0] for r in rows(conn)] == [2, 3]


def test_header_missing_required_column_quarantines_the_file(conn):
    header = [c for c in COLUMNS if c != "amount"]
    text = "\t".join(header) + "\n" + line(row(1), header) + "\n"

    assert load(conn, text) == (0, 1)
    assert rows(conn) == []
    [(file_name, line_number, raw_text, reason)] = quarantine(conn)
    assert (file_name, line_number, raw_text) == ("R1.tsv", 1, "\t".join(header))
    assert "amount" in reason


def test_reloading_a_report_replaces_rows_and_quarantine(conn):
    text = "\n".join(["\t".join(COLUMNS), line(row(1)), cells(len(COLUMNS) - 1, "s"), line(row(2))]) + "\n"
    first = load(conn, text)
    assert load(conn, text) == first == (2, 1)
    assert len(rows(conn)) == 2 and len(quarantine(conn)) == 1

    fixed = "\n".join(["\t".join(COLUMNS), line(row(1))]) + "\n"
    assert load(conn, fixed) == (1, 0)
    assert len(rows(conn)) == 1 and quarantine(conn) == []


def test_reloading_one_report_leaves_others_alone(conn):
    text = "\t".join(COLUMNS) + "\n" + line(row(1)) + "\n"
    load(conn, text, report_id="R1", file_name="R1.tsv")
    load(conn, text, report_id="R2", file_name="R2.tsv")
    load(conn, text, report_id="R1", file_name="R1.tsv")
    assert conn.execute("SELECT report_id, count(*) FROM raw.settlement_rows GROUP BY 1 ORDER BY 1").fetchall() == [("R1", 1), ("R2", 1)]


def test_gzip_archive_round_trip(tmp_path):
    text = "\t".join(COLUMNS) + "\n" + line({**row(1), "sku": "Crème–brûlée €"}) + "\n"
    raw = gzip.compress(text.encode("cp1252"))

    path, digest = archive(str(tmp_path), "A1PA6795UKMFR9", "R9", raw)

    assert path == tmp_path / "settlements" / "A1PA6795UKMFR9" / "R9.tsv.gz"
    assert path.read_bytes() == raw and digest == hashlib.sha256(raw).hexdigest()
    assert read_archive(path, "cp1252") == text


def test_plain_archive_keeps_bytes_and_decodes_utf8(tmp_path):
    text = "\t".join(COLUMNS) + "\n" + line({**row(1), "sku": "Grüße"}) + "\n"
    path, _ = archive(str(tmp_path), "A1F83G8C2ARO7P", "R10", text.encode("utf-8"))
    assert path.name == "R10.tsv"
    assert read_archive(path, "utf-8") == text


def test_archive_overwrites_a_previous_download(tmp_path):
    archive(str(tmp_path), "M", "R1", b"old")
    path, _ = archive(str(tmp_path), "M", "R1", b"new")
    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in path.parent.iterdir()) == ["R1.tsv"]


def test_unknown_transaction_and_amount_types_are_kept(conn):
    unknown = {**row(3), "transaction-type": "BrandNewProgramFee", "amount-type": "SomethingAmazonInvented", "amount": "-1,23"}
    text = "\t".join(COLUMNS) + "\n" + line(row(1)) + "\n" + line(unknown) + "\n"
    assert load(conn, text) == (2, 0)
    kept = conn.execute('SELECT "transaction-type", "amount-type", amount FROM raw.settlement_rows WHERE line_number = 3').fetchone()
    assert kept == ("BrandNewProgramFee", "SomethingAmazonInvented", "-1,23")

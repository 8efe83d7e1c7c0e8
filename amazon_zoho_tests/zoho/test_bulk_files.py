"""A Bulk Write job's CSVs written by DuckDB (bulk_files.py, issue #17) hold, cell for cell, what the Python builder
they replace wrote (kept below as the oracle, as it was in zoho/bulk.py and sync._fitted before): quotes, commas and
newlines in text, names outside Latin-1, lookups as ids, booleans, decimals, nulls, missing keys, and text cut to
the org's field lengths (the key never). Payload shapes are those pending.sql builds (a lookup as {"id": ...}, the
line items as a list of objects); the CSV rules are API-FACTS.md §9 (Bulk Write) in /work/shared/reference."""

import csv
import io
import json
import zipfile

import duckdb
import pytest

from amazon_zoho.zoho import bulk_files
from amazon_zoho.zoho.fit import fit_payload
from amazon_zoho.zoho.mapping import load

SALES_ORDERS = load()["Sales_Orders"]
LENGTHS = {"Subject": 24, "Billing_Street": 12, "Amazon_Order_ID": 5, "Billing_Code": 3, "Shipping_City": 8}

TRICKY = [
    {"Amazon_Order_ID": "171-0000001-0000001", "Subject": 'Order "quoted", with commas', "Contact_Name": {"id": "4150868000000001"},
     "Amazon_Tax_Included": True, "Adjustment": 10.10, "Amazon_Order_Total": 1e-05, "Billing_Street": "Line one\nLine two, flat 3",
     "Billing_City": "Zoë – 東京 😀", "Billing_Code": 12345, "Shipping_City": "", "Status": None,
     "Ordered_Items": [{"Product_Name": {"id": "p1"}, "Quantity": 2, "List_Price": 9.90, "Discount": 0},
                       {"Product_Name": {"id": "p2"}, "Quantity": 1, "List_Price": 123456789012.34, "Discount": -0.5, "Description": 'a "b", c'}]},
    # Missing keys, a null lookup, a key longer than its field (never cut), text cut in the middle of an emoji sequence.
    {"Amazon_Order_ID": "171-0000002-0000002-LONGER-THAN-FIVE", "Contact_Name": None, "Amazon_Tax_Included": False,
     "Subject": "Ein sehr langer Titel 👩‍👩‍👧 mit Familie", "Adjustment": 0.1, "Amazon_Order_Total": 100.0, "Ordered_Items": None},
    # A field no earlier payload has (a column at the end), Windows line ends, an empty line item list, big integers.
    {"Amazon_Order_ID": "171-0000003-0000003", "Amazon_Shipping": 7, "Subject": "Ĳ ǅ ﬁ\r\nwide ＡＢＣ and ẞ", "Billing_Street": "Ünïcödé Straße 12a, 3. OG",
     "Shipping_City": "Kraków-Śródmieście", "Amazon_Other_Charges": 12345678901234567890, "Ordered_Items": []},
]


def _oracle(payloads: list[dict]) -> tuple[dict[str, str], list[dict], dict[str, int]]:
    """What the Python path sent: sync._fitted, then bulk.build_files (before issue #17's DuckDB files)."""
    mm, truncated, fitted = SALES_ORDERS, {}, []
    for payload in payloads:
        sent, cut = fit_payload(json.loads(json.dumps(payload)), LENGTHS, keep={mm.key})
        fitted.append(json.loads(json.dumps(sent)))
        for name in cut:
            truncated[name] = truncated.get(name, 0) + 1
    seen: dict[str, None] = {}
    for payload in fitted:
        seen.update(dict.fromkeys(payload))
    columns = [mm.key] + [c for c in seen if c not in (mm.key, mm.line_items_field)]
    line_columns = list(mm.line_fields)
    records, items = io.StringIO(), io.StringIO()
    records_csv, items_csv = csv.writer(records, lineterminator="\n"), csv.writer(items, lineterminator="\n")
    records_csv.writerow(columns)
    items_csv.writerow([bulk_files.PARENT_LINK] + line_columns)
    for payload in fitted:
        records_csv.writerow([_cell(payload.get(c)) for c in columns])
        for item in payload.get(mm.line_items_field) or []:
            items_csv.writerow([payload[mm.key]] + [_cell(item.get(c)) for c in line_columns])
    files = {f"{mm.module}.csv": records.getvalue(), f"{mm.line_items_field}.csv": items.getvalue()}
    resources = [bulk_files._records_resource(mm, f"{mm.module}.csv", columns),
                 bulk_files._line_items_resource(mm, f"{mm.line_items_field}.csv", line_columns)]
    return files, resources, truncated


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return json.dumps(value)
    return str(value)


@pytest.fixture
def conn(tmp_path):
    with duckdb.connect() as conn:
        conn.execute(f"SET temp_directory = '{tmp_path / 'duckdb_tmp'}'")
        conn.execute("CREATE TEMP TABLE to_send (seq BIGINT, record_key VARCHAR, payload_hash VARCHAR, zoho_id VARCHAR, "
                     "lines_sent BOOLEAN, send_payload VARCHAR)")
        yield conn


def _to_send(conn, payloads: list[dict], ascii_only: bool = False) -> None:
    """The payloads as JSON text in `to_send`: UTF-8 as DuckDB writes them (pending.sql), or \\u escapes (surrogate
    pairs outside the BMP) as other JSON writers do."""
    conn.executemany("INSERT INTO to_send VALUES (?, ?, 'hash', NULL, ?, ?)",
                     [(seq, p["Amazon_Order_ID"], p.get("Ordered_Items") is not None, json.dumps(p, ensure_ascii=ascii_only))
                      for seq, p in enumerate(payloads, 1)])


def _built(conn, first: int, last: int) -> tuple[dict[str, str], list[dict], dict[str, int], list[str]]:
    with bulk_files.job_files(conn, SALES_ORDERS, first, last, LENGTHS) as files:
        with zipfile.ZipFile(files.archive) as archive:
            texts = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
        keys = [k for (k,) in conn.execute("SELECT record_key FROM bulk_records ORDER BY seq").fetchall()]
        folder = files.archive.parent
    assert not folder.exists()  # the files are removed with the block
    return texts, files.resources, files.truncated, keys


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("ascii_only", [False, True])
def test_duckdb_writes_the_cells_the_python_builder_wrote(conn, ascii_only):
    _to_send(conn, TRICKY, ascii_only)
    texts, resources, truncated, keys = _built(conn, 0, len(TRICKY))
    expected, expected_resources, expected_truncated = _oracle(TRICKY)

    assert list(texts) == list(expected)
    for name in expected:
        assert _rows(texts[name]) == _rows(expected[name]), name
    assert resources == expected_resources
    assert truncated == expected_truncated and set(truncated) == {"Subject", "Billing_Street", "Shipping_City"}
    assert keys == [p["Amazon_Order_ID"] for p in TRICKY]
    # What the oracle's cells are, so the comparison above could not pass on two equally wrong builders.
    records = _rows(texts["Sales_Orders.csv"])
    header, first, second = records[0], dict(zip(records[0], records[1])), dict(zip(records[0], records[2]))
    assert header[0] == "Amazon_Order_ID" and header[-2:] == ["Amazon_Shipping", "Amazon_Other_Charges"]
    assert (first["Adjustment"], first["Amazon_Order_Total"]) == ("10.1", "1e-05")
    assert (first["Contact_Name"], first["Amazon_Tax_Included"]) == ("4150868000000001", "true")
    assert (first["Billing_City"], first["Billing_Code"], first["Status"], first["Shipping_City"]) == ("Zoë – 東京 😀", "12345", "", "")
    assert first["Billing_Street"] == "Line one\nLi…" and second["Subject"] == "Ein sehr langer Titel…"
    assert second["Amazon_Order_ID"] == TRICKY[1]["Amazon_Order_ID"] and second["Contact_Name"] == "" and second["Amazon_Tax_Included"] == "false"
    assert _rows(texts["Ordered_Items.csv"])[1:] == [["171-0000001-0000001", "p1", "2", "9.9", "0"],
                                                     ["171-0000001-0000001", "p2", "1", "123456789012.34", "-0.5"]]


def test_a_job_takes_its_range_of_to_send_and_only_fields_its_records_hold(conn):
    _to_send(conn, TRICKY)
    texts, resources, truncated, keys = _built(conn, 1, 2)
    expected, expected_resources, expected_truncated = _oracle(TRICKY[1:2])

    assert keys == [TRICKY[1]["Amazon_Order_ID"]]
    assert list(texts) == ["Sales_Orders.csv"]  # no line items: no second CSV, as before
    assert _rows(texts["Sales_Orders.csv"]) == _rows(expected["Sales_Orders.csv"])
    assert resources == expected_resources[:1] and truncated == expected_truncated == {"Subject": 1}


def test_a_lone_carriage_return_is_quoted(conn):
    # The Python builder left a CR alone unquoted (csv's QUOTE_MINIMAL with LF line ends), which a CSV reader takes
    # for the end of the row; DuckDB quotes it (RFC 4180: CR, LF, quote and delimiter are quoted).
    payload = {"Amazon_Order_ID": "171-0000004-0000004", "Subject": "before\rafter"}
    _to_send(conn, [payload])
    texts, _, _, _ = _built(conn, 0, 1)
    assert '"before\rafter"' in texts["Sales_Orders.csv"]
    assert _rows(texts["Sales_Orders.csv"]) == [["Amazon_Order_ID", "Subject"], ["171-0000004-0000004", "before\rafter"]]

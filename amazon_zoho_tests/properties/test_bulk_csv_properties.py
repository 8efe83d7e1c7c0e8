"""The Bulk Write CSVs DuckDB writes (sql/bulk_files.sql) are, byte for byte, what Python's csv module writes for the
same cells: the standard library's RFC 4180 writer (minimal quoting, LF line ends) as the judge of quoting, for any
text a buyer or a listing may hold; and text longer than its field is what fit.fit (the upsert path's fitting) makes
of it. Reading the bytes back is the other half (csv.reader, as the sandbox and the unit tests read them)."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import duckdb
from hypothesis import given, settings, strategies as st

from amazon_zoho.zoho import bulk_files
from amazon_zoho.zoho.fit import fit
from amazon_zoho.zoho.mapping import ModuleMapping

from .support import budget

PRODUCTS = ModuleMapping(module="Products", key="Amazon_SKU", fields={})
# Any character but lone surrogates (not UTF-8), with the ones CSV cares about made common.
text = st.text(st.one_of(st.characters(blacklist_categories=("Cs",)), st.sampled_from([",", '"', "\n", "\r", ";", " ", "\u0301", "🎧"])),
               max_size=40)
records = st.lists(st.tuples(text, st.one_of(st.none(), st.integers(-10**6, 10**6), st.booleans())), min_size=1, max_size=8)
# Amounts as pending.sql writes them (to_json of a DECIMAL(18,2): 9.90 stays 9.90 in the JSON text), below 10^13.
amounts = st.decimals(min_value=-10**13, max_value=10**13, places=2, allow_nan=False, allow_infinity=False)
# Lookups as pending.sql sends them, {"id": ...}; sometimes missing from the record altogether.
lookups = st.one_of(st.none(), st.text(st.sampled_from("0123456789,\"x"), min_size=1, max_size=19))


def _line(cells: list[str]) -> str:
    """One row as Python's csv writer writes it (the excel dialect: quoted when a cell holds the delimiter, a quote or a
    character of its CR LF terminator), ended with LF as our files are. With lineterminator="\n" the writer leaves a
    lone CR unquoted, which its own reader then takes for a line break: the writer bulk.py had before did that."""
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue().removesuffix("\r\n") + "\n"


def _expected(rows: list[tuple[str, int | bool | None]], lengths: dict[str, int]) -> str:
    lines = [_line(["Amazon_SKU", "Product_Name", "Stock"])]
    for i, (name, stock) in enumerate(rows):
        name = fit(name, lengths["Product_Name"]) if "Product_Name" in lengths else name
        stock = "" if stock is None else ("true" if stock is True else "false" if stock is False else str(stock))
        lines.append(_line([f"S{i}", name, stock]))
    return "".join(lines)


@settings(max_examples=budget(60), deadline=None)
@given(rows=records, limit=st.one_of(st.none(), st.integers(2, 30)))
def test_duckdbs_csv_is_what_pythons_csv_writer_writes(rows, limit):
    conn = duckdb.connect()
    conn.execute("CREATE TEMP TABLE to_send (seq BIGINT, record_key VARCHAR, payload_hash VARCHAR, zoho_id VARCHAR, "
                 "lines_sent BOOLEAN, send_payload VARCHAR)")
    for i, (name, stock) in enumerate(rows):
        conn.execute("INSERT INTO to_send VALUES (?, ?, 'h', NULL, false, ?)",
                     [i + 1, f"S{i}", json.dumps({"Amazon_SKU": f"S{i}", "Product_Name": name, "Stock": stock}, ensure_ascii=False)])
    lengths = {"Product_Name": limit} if limit else {}

    files = bulk_files.build(conn, PRODUCTS, 0, len(rows), lengths)

    written = zipfile.ZipFile(io.BytesIO(files.archive)).read("Products.csv").decode("utf-8")
    assert written == _expected(rows, lengths)
    back = list(csv.reader(io.StringIO(written, newline="")))
    assert [r[1] for r in back[1:]] == [fit(name, limit) if limit else name for name, _ in rows]
    assert files.truncated.get("Product_Name", 0) == sum(1 for name, _ in rows if limit and fit(name, limit) != name)


@settings(max_examples=budget(40), deadline=None)
@given(rows=st.lists(st.tuples(amounts, lookups), min_size=1, max_size=8))
def test_amounts_and_lookups_are_written_as_zoho_reads_them(rows):
    """An amount reads back as the same number (as the old writer wrote it: the JSON number as Python's float prints
    it); a lookup as its id; a record without the lookup as an empty cell."""
    conn = duckdb.connect()
    conn.execute("CREATE TEMP TABLE to_send (seq BIGINT, record_key VARCHAR, payload_hash VARCHAR, zoho_id VARCHAR, "
                 "lines_sent BOOLEAN, send_payload VARCHAR)")
    for i, (amount, lookup) in enumerate(rows):
        contact = "" if lookup is None else f', "Contact_Name": {json.dumps({"id": lookup})}'
        conn.execute("INSERT INTO to_send VALUES (?, ?, 'h', NULL, false, ?)",
                     [i + 1, f"S{i}", f'{{"Amazon_SKU": "S{i}", "Grand_Total": {amount}{contact}}}'])

    files = bulk_files.build(conn, PRODUCTS, 0, len(rows), {})

    written = zipfile.ZipFile(io.BytesIO(files.archive)).read("Products.csv").decode("utf-8")
    header, *back = list(csv.reader(io.StringIO(written, newline="")))
    cells = [dict(zip(header, row)) for row in back]
    assert [c["Grand_Total"] for c in cells] == [repr(float(amount)) for amount, _ in rows]
    if any(lookup is not None for _, lookup in rows):
        assert [c["Contact_Name"] for c in cells] == ["" if lookup is None else lookup for _, lookup in rows]

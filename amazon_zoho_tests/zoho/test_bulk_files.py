"""The Bulk Write CSVs DuckDB writes (bulk_files.py, sql/bulk_files.sql; issue #17), read back by a reader we did not
write: Python's csv module, an RFC 4180 reader, gives every cell back as the payload's JSON holds it. The file
shapes (comma-separated, the header naming the fields, one CSV for the module and one for its subform, 25 MB per
CSV) are Zoho's, https://www.zoho.com/crm/developer/docs/api/bulk-write/limitations.html; the parent-child link
(Parent_Id, parent_column_index) is the one in Zoho's bulk-write docs (bulk.py)."""

import csv
import io
import json
import zipfile

import duckdb
import pytest

from amazon_zoho.zoho import bulk, bulk_files
from amazon_zoho.zoho.fit import fit
from amazon_zoho.zoho.mapping import ModuleMapping

ORDERS = ModuleMapping(module="Sales_Orders", key="Amazon_Order_Id", fields={}, line_items_field="Ordered_Items",
                       line_fields={"Product_Name": "product", "Quantity": "quantity", "List_Price": "unit_price"})
PRODUCTS = ModuleMapping(module="Products", key="Amazon_SKU", fields={})

# Cells that a CSV writer must quote or must not split: delimiters, quotes, line breaks (LF, CRLF, a lone CR),
# characters outside Latin-1 and outside the BMP, a combining accent, an empty string against a null.
TRICKY = ["a,b", 'he said "hi"', "two\nlines", "crlf\r\nend", "lone\rcr", "Müller–Straße", "🎉 party", "e\u0301", "", ";|:"]


def _to_send(payloads: list[dict]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding `to_send` (push_tables.sql) with these payloads as the JSON text the push keeps."""
    conn = duckdb.connect()
    conn.execute("CREATE TEMP TABLE to_send (seq BIGINT, record_key VARCHAR, payload_hash VARCHAR, zoho_id VARCHAR, "
                 "lines_sent BOOLEAN, send_payload VARCHAR)")
    for seq, payload in enumerate(payloads, 1):
        key = payload.get("Amazon_Order_Id") or payload.get("Amazon_SKU")
        conn.execute("INSERT INTO to_send VALUES (?, ?, 'h', NULL, true, ?)", [seq, key, json.dumps(payload, ensure_ascii=False)])
    return conn


def _read(files: bulk_files.JobFiles) -> dict[str, list[dict]]:
    """Each CSV of the zip as rows of {header: cell}, read by Python's csv module."""
    with zipfile.ZipFile(io.BytesIO(files.archive)) as archive:
        assert archive.testzip() is None
        return {name: list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"), newline="")))
                for name in archive.namelist()}


def test_every_cell_reads_back_as_the_payload_holds_it():
    payloads = [{"Amazon_Order_Id": f"111-{i}", "Subject": text, "Grand_Total": 9.90 + i, "Paid": i % 2 == 0, "Note": None,
                 "Contact_Name": {"id": f"77{i}"}, "Quantity_Total": i} for i, text in enumerate(TRICKY)]
    payloads[3].pop("Note")  # a field one record lacks is an empty cell

    files = bulk_files.build(_to_send(payloads), ORDERS, 0, len(payloads), {})

    rows = _read(files)["Sales_Orders.csv"]
    assert [r["Amazon_Order_Id"] for r in rows] == [p["Amazon_Order_Id"] for p in payloads]
    for row, payload in zip(rows, payloads):
        assert row["Subject"] == payload["Subject"]
        assert float(row["Grand_Total"]) == payload["Grand_Total"]
        assert row["Paid"] == ("true" if payload["Paid"] else "false")
        assert row["Note"] == ""
        assert row["Contact_Name"] == payload["Contact_Name"]["id"]  # a lookup by its id (find_by: id in the resource)
        assert row["Quantity_Total"] == str(payload["Quantity_Total"])
    assert files.truncated == {}


def test_the_resource_maps_each_column_the_key_first_in_first_seen_order():
    payloads = [{"Amazon_SKU": "S1", "Zeta": "z", "Alpha": "a"}, {"Amazon_SKU": "S2", "Alpha": "b", "Beta": "new"}]
    conn = _to_send(payloads)
    conn.execute("UPDATE to_send SET send_payload = '{\"Zeta\":\"z\",\"Amazon_SKU\":\"S1\",\"Alpha\":\"a\"}' WHERE seq = 1")

    files = bulk_files.build(conn, PRODUCTS, 0, 2, {})

    [resource] = files.resources
    assert [m["api_name"] for m in resource["field_mappings"]] == ["Amazon_SKU", "Zeta", "Alpha", "Beta"]
    assert [m["index"] for m in resource["field_mappings"]] == [0, 1, 2, 3]
    assert resource["find_by"] == "Amazon_SKU" and resource["file_names"] == ["Products.csv"]
    text = zipfile.ZipFile(io.BytesIO(files.archive)).read("Products.csv").decode("utf-8")
    assert text == "Amazon_SKU,Zeta,Alpha,Beta\nS1,z,a,\nS2,,b,new\n"


def test_line_items_go_to_their_own_csv_linked_to_the_order_by_its_key():
    payloads = [
        {"Amazon_Order_Id": "111-1", "Subject": "one", "Ordered_Items": [
            {"Product_Name": {"id": "500"}, "Quantity": 2, "List_Price": 19.99},
            {"Product_Name": {"id": "501"}, "Quantity": 1, "List_Price": 5.0}]},
        {"Amazon_Order_Id": "111-2", "Subject": "unchanged lines, not sent"},  # lines held by Zoho: no subform key
        {"Amazon_Order_Id": "111,3", "Subject": "three", "Ordered_Items": [{"Product_Name": {"id": "502"}, "Quantity": 3, "List_Price": None}]},
    ]

    files = bulk_files.build(_to_send(payloads), ORDERS, 0, 3, {})

    csvs = _read(files)
    assert list(csvs) == ["Sales_Orders.csv", "Ordered_Items.csv"]
    assert "Ordered_Items" not in csvs["Sales_Orders.csv"][0]
    assert csvs["Ordered_Items.csv"] == [
        {"Parent_Id": "111-1", "Product_Name": "500", "Quantity": "2", "List_Price": "19.99"},
        {"Parent_Id": "111-1", "Product_Name": "501", "Quantity": "1", "List_Price": "5.0"},
        {"Parent_Id": "111,3", "Product_Name": "502", "Quantity": "3", "List_Price": ""},
    ]
    records, items = files.resources
    assert items["module"] == {"api_name": "Ordered_Items"}
    assert items["field_mappings"][0] == {"api_name": bulk.PARENT_LINK, "index": 0, "parent_column_index": 0}
    assert {m["api_name"]: m.get("find_by") for m in items["field_mappings"][1:]} == {"Product_Name": "id", "Quantity": None, "List_Price": None}


def test_a_job_without_line_items_uploads_one_csv():
    files = bulk_files.build(_to_send([{"Amazon_Order_Id": "111-2", "Subject": "s"}]), ORDERS, 0, 1, {})
    assert list(_read(files)) == ["Sales_Orders.csv"] and len(files.resources) == 1


def test_only_the_range_asked_for_is_written():
    payloads = [{"Amazon_SKU": f"S{i}", "Product_Name": f"p{i}"} for i in range(10)]
    files = bulk_files.build(_to_send(payloads), PRODUCTS, 3, 7, {})
    assert [r["Amazon_SKU"] for r in _read(files)["Products.csv"]] == ["S3", "S4", "S5", "S6"]


def test_text_longer_than_its_field_is_fitted_as_the_upsert_path_fits_it_and_counted():
    long_title = "Wireless Earbuds " + "🎧" * 20 + " with a very long tail"
    payloads = [
        {"Amazon_SKU": "S" * 40, "Product_Name": long_title, "Description": "short"},  # the key is never cut
        {"Amazon_SKU": "S2", "Product_Name": "fits", "Description": "e\u0301" * 30},  # 60 code points, 30 characters seen
        {"Amazon_SKU": "S3", "Product_Name": "exactly twenty chars", "Description": None},
    ]
    lengths = {"Amazon_SKU": 20, "Product_Name": 20, "Description": 25}

    files = bulk_files.build(_to_send(payloads), PRODUCTS, 0, 3, lengths)

    rows = _read(files)["Products.csv"]
    assert rows[0]["Amazon_SKU"] == "S" * 40
    assert rows[0]["Product_Name"] == fit(long_title, 20) != long_title
    assert rows[1]["Description"] == fit("e\u0301" * 30, 25) and rows[1]["Description"].endswith("…")
    assert rows[1]["Description"][-2] == "\u0301"  # cut between clusters: no accent left without its letter
    assert rows[2]["Product_Name"] == "exactly twenty chars"
    assert files.truncated == {"Product_Name": 1, "Description": 1}


def test_a_list_outside_the_subform_stops_the_job_instead_of_writing_its_json():
    with pytest.raises(duckdb.Error, match="cannot hold a list"):
        bulk_files.build(_to_send([{"Amazon_SKU": "S1", "Tags": ["a", "b"]}]), PRODUCTS, 0, 1, {})


def test_a_csv_over_zohos_25_mb_stops_before_anything_is_uploaded(monkeypatch):
    monkeypatch.setattr(bulk_files, "MAX_CSV_BYTES", 100)
    conn = _to_send([{"Amazon_SKU": f"S{i}", "Product_Name": "x" * 30} for i in range(5)])
    with pytest.raises(ValueError, match="exceeds Zoho's 25 MB"):
        bulk_files.build(conn, PRODUCTS, 0, 5, {})
    # the job's lines are not left behind in the push's connection
    assert conn.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'job_%'").fetchall() == []


def test_two_connections_of_one_database_share_the_fit_function():
    first, second = duckdb.connect(":memory:bulk-files-test"), duckdb.connect(":memory:bulk-files-test")
    bulk_files.register_fit(first)
    bulk_files.register_fit(second)  # already there: not registered twice
    assert second.execute("SELECT zoho_fit('abcdefgh', 5)").fetchone() == (fit("abcdefgh", 5),)

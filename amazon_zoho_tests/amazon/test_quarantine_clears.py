"""An order held back once is listed in quarantine only until it loads whole: a later report or fetch that loads it
clears its rows, whichever report or window they were filed under (issue #14, item 16b). And a report amount finer
than cents is held back, not rounded (item 11)."""

from datetime import datetime, timezone

from amazon_zoho.amazon.order_reports import _load_document
from amazon_zoho.amazon.reports import ORDERS_BY_DATE, ReportOutcome, ReportSpec
from amazon_zoho_tests.amazon.test_order_reports import DE, HEADER, conn, row  # noqa: F401 (conn is a fixture)


def _load(conn, report_id: str, *rows: str):  # noqa: F811
    spec = ReportSpec(ORDERS_BY_DATE, datetime(2026, 11, 1, tzinfo=timezone.utc), datetime(2026, 11, 6, tzinfo=timezone.utc), (DE,))
    return _load_document(conn, "\n".join(["\t".join(HEADER), *rows]) + "\n", ReportOutcome(spec, report_id, "DONE", "D", False, 1), "run")


def _held(conn) -> dict[str, set[str]]:  # noqa: F811
    rows = conn.execute("SELECT record_key, file_name FROM ops.quarantine WHERE source = 'order_report'").fetchall()
    return {key: {f for k, f in rows if k == key} for key, _ in rows}


def test_a_later_report_that_loads_the_order_whole_clears_its_quarantine_rows(conn):  # noqa: F811
    _load(conn, "R1", row("302-1"), row("302-2", price="12,5x"), row("302-2", sku="SKU-2"), row("302-3", price="1,0x"))
    assert _held(conn) == {"302-2": {"R1"}, "302-3": {"R1"}}

    loaded, _, new, _ = _load(conn, "R2", row("302-2"), row("302-2", sku="SKU-2"))

    assert (loaded, new) == (1, 1)
    assert _held(conn) == {"302-3": {"R1"}}, "302-2 loaded whole; 302-3 is still held back"


def test_a_report_amount_with_a_third_decimal_is_held_back(conn):  # noqa: F811
    _load(conn, "R1", row("302-1", price="12.345"), row("302-2", price="12.340"))
    reasons = dict(conn.execute("SELECT record_key, reason FROM ops.quarantine").fetchall())
    assert set(reasons) == {"302-1"} and "item-price is not a decimal: 12.345" in reasons["302-1"]

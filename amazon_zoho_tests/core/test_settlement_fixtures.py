"""Settlement files in every marketplace format load right: through the real loading path (settlement_files.load_rows
into raw, then the core settlement steps), every deposit equals its lines to the cent, no date or amount is NULL,
nothing is quarantined and every line has a known class. The files and where their formats come from:
fixtures/settlements/README.md."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from amazon_zoho.amazon.settlement_files import load_rows
from amazon_zoho.core import steps
from amazon_zoho.warehouse import WarehouseResource

FIXTURES = Path(__file__).with_name("fixtures") / "settlements"
DAY = date(2026, 1, 15)
UTC = timezone.utc
JAN = (datetime(2023, 1, 3, 7, 1, 53, tzinfo=UTC), datetime(2023, 1, 17, 7, 1, 53, tzinfo=UTC), datetime(2023, 1, 19, 7, 1, 53, tzinfo=UTC))
APRIL = (datetime(2023, 3, 21, 7, 1, 53, tzinfo=UTC), datetime(2023, 4, 3, 7, 1, 53, tzinfo=UTC), datetime(2023, 4, 5, 7, 1, 53, tzinfo=UTC))
PACIFIC = (datetime(2023, 1, 3, 8, tzinfo=UTC), datetime(2023, 7, 17, 7, tzinfo=UTC), datetime(2023, 7, 19, 7, tzinfo=UTC))
JAN_POSTED = {datetime(2023, 1, 5, 10, tzinfo=UTC), datetime(2023, 1, 12, 23, 59, 59, tzinfo=UTC), datetime(2023, 1, 1, 0, 0, 1, tzinfo=UTC)}
APRIL_POSTED = {datetime(2023, 4, 3, 10, tzinfo=UTC), datetime(2023, 3, 4, 9, 30, tzinfo=UTC)}
PACIFIC_POSTED = {datetime(2023, 1, 5, 3, tzinfo=UTC), datetime(2023, 7, 12, 6, 59, 59, tzinfo=UTC)}

# file -> (marketplace id, (period start, period end, deposit date), posted instants, deposit)
CASES = {
    "us_iso_utc.tsv": ("ATVPDKIKX0DER", APRIL, APRIL_POSTED, Decimal("945.24")),
    "us_iso_t_offset.tsv": ("ATVPDKIKX0DER", JAN, JAN_POSTED, Decimal("945.24")),
    "us_pacific.tsv": ("ATVPDKIKX0DER", PACIFIC, PACIFIC_POSTED, Decimal("945.24")),
    "ca_iso_offset.tsv": ("A2EUQ1WTGCTBG2", JAN, JAN_POSTED, Decimal("945.24")),
    "de_dotted.tsv": ("A1PA6795UKMFR9", JAN, JAN_POSTED, Decimal("945.24")),
    "gb_slashed.tsv": ("A1F83G8C2ARO7P", APRIL, APRIL_POSTED, Decimal("945.24")),
    "fr_short_year.tsv": ("A13V1IB3VIYZZH", JAN, JAN_POSTED, Decimal("945.24")),
    "it_slashed.tsv": ("APJ6JRA9NG5V4", JAN, JAN_POSTED, Decimal("945.24")),
    "es_slashed.tsv": ("A1RKKUPIHCS9HS", APRIL, APRIL_POSTED, Decimal("945.24")),
    "jp_year_first.tsv": ("A1VC38T7YXB528", JAN, JAN_POSTED, Decimal("93524")),
    "mx_slashed.tsv": ("A1AM78C64UM0Y8", APRIL, APRIL_POSTED, Decimal("945.24")),
}


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    resource = WarehouseResource(database=str(tmp_path_factory.mktemp("fixtures") / "w.duckdb"), archive_dir=str(tmp_path_factory.mktemp("archive")))
    with resource.connect() as connection:
        yield connection


def store_report(conn, report_id: str, marketplace_id: str, text: str, end_date: date = DAY, created: datetime | None = None) -> None:
    """The report's listing row (as amazon/settlement_assets.py writes it) and its rows through load_rows."""
    conn.execute(
        "INSERT OR REPLACE INTO raw.settlement_reports BY NAME SELECT ? AS report_id, ? AS marketplace_id, ? AS end_date, "
        "? AS created_time, ? AS archive_path, 'x' AS sha256, now() AS fetched_at",
        [report_id, marketplace_id, end_date, created, f"archive/{report_id}.tsv"],
    )
    load_rows(conn, report_id, text, f"{report_id}.tsv", end_date, "run-fixtures")


def build(conn, day: date = DAY) -> None:
    for step in steps.BUILD_SETTLEMENTS:
        step.run(conn, {"start": day, "end": day + timedelta(days=1), "run_id": "run-fixtures"})


def test_the_corpus_has_a_file_for_every_listed_format_and_the_readme_names_each():
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in FIXTURES.glob("*.tsv")) == sorted(CASES)
    assert all(f"| {name} |" in readme for name in CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_marketplace_format_loads_with_its_dates_deposit_and_classes(conn, name):
    marketplace_id, (start, end, deposit_date), posted, deposit = CASES[name]
    report_id = name.removesuffix(".tsv")
    conn.execute("DELETE FROM raw.settlement_rows; DELETE FROM raw.settlement_reports; DELETE FROM core.settlements; "
                 "DELETE FROM core.settlement_lines; DELETE FROM ops.quarantine")
    store_report(conn, report_id, marketplace_id, (FIXTURES / name).read_text(encoding="utf-8"))
    build(conn)

    held = conn.execute("SELECT line_number, reason FROM ops.quarantine").fetchall()
    assert held == [], f"{name}: quarantined {held}"
    [(got_start, got_end, got_deposit_date, total, currency)] = conn.execute(
        "SELECT period_start, period_end, deposit_date, total_amount, currency FROM core.settlements").fetchall()
    assert (got_start, got_end, got_deposit_date) == (start, end, deposit_date)
    assert total == deposit and currency
    lines_total, nulls, others, got_posted = conn.execute(
        "SELECT sum(amount), count(*) FILTER (WHERE amount IS NULL OR posted_ts IS NULL OR currency IS NULL), "
        "list(DISTINCT transaction_type || '/' || amount_type || '/' || amount_description) FILTER (WHERE line_class = 'other'), "
        "list(DISTINCT posted_ts) FROM core.settlement_lines").fetchone()
    assert lines_total == deposit, "the lines add up to the deposit, to the cent"
    assert nulls == 0 and others is None
    assert set(got_posted) == posted
    [micro] = conn.execute("SELECT line_class FROM core.settlement_lines WHERE transaction_type = 'Micro Deposit'").fetchall()
    assert micro == ("transfer",)


@pytest.mark.parametrize("name, written, reason", [
    ("us_iso_utc.tsv", "2023-03-21 07:01:53", "no time zone: no instant"),
    ("jp_year_first.tsv", "03/01/2023 07:01:53 UTC", "day-first in a year-first marketplace"),
    ("gb_slashed.tsv", "31/02/2023 07:01:53 UTC", "no such day"),
    ("us_iso_utc.tsv", "21/03/2023 07:01:53 UTC", "month 21 in a month-first marketplace"),
    ("de_dotted.tsv", "03.01.2023 07:01:53 CET", "a zone we do not know"),
])
def test_a_settlement_date_that_does_not_read_quarantines_the_whole_settlement(conn, name, written, reason):
    marketplace_id, (start, *_), *_ = CASES[name]
    conn.execute("DELETE FROM raw.settlement_rows; DELETE FROM raw.settlement_reports; DELETE FROM core.settlements; "
                 "DELETE FROM core.settlement_lines; DELETE FROM ops.quarantine")
    lines = (FIXTURES / name).read_text(encoding="utf-8").split("\n")  # header, summary, details, and "" after the last newline
    summary = lines[1].split("\t")
    summary[1] = written
    lines[1] = "\t".join(summary)
    store_report(conn, "r-bad-date", marketplace_id, "\n".join(lines))
    build(conn)
    assert conn.execute("SELECT count(*) FROM core.settlements").fetchone()[0] == 0, reason
    assert conn.execute("SELECT count(*) FROM core.settlement_lines").fetchone()[0] == 0, reason
    reasons = [r for (r,) in conn.execute("SELECT reason FROM ops.quarantine ORDER BY line_number").fetchall()]
    assert "settlement dates do not read" in reasons[0] and written in reasons[0], reason
    assert len(reasons) == len(lines) - 2 and all("summary row is quarantined" in r for r in reasons[1:])


def test_a_posted_date_that_does_not_read_quarantines_its_row_with_the_text(conn):
    conn.execute("DELETE FROM raw.settlement_rows; DELETE FROM raw.settlement_reports; DELETE FROM core.settlements; "
                 "DELETE FROM core.settlement_lines; DELETE FROM ops.quarantine")
    text = (FIXTURES / "gb_slashed.tsv").read_text(encoding="utf-8").replace("03/04/2023 10:00:00 UTC", "2023-04-03 10:00:00", 1)
    store_report(conn, "r-bad-posted", "A1F83G8C2ARO7P", text)
    build(conn)
    [(line, reason)] = conn.execute("SELECT line_number, reason FROM ops.quarantine").fetchall()
    assert line == 3 and "posted date does not read" in reason and "2023-04-03 10:00:00" in reason
    assert conn.execute("SELECT count(*) FROM core.settlement_lines WHERE posted_ts IS NULL").fetchone()[0] == 0


# (transaction-type, amount-type, amount-description) -> line_class, for the kinds the sources in settlements.sql name.
KINDS = {
    ("Order", "ItemPrice", "Principal"): "principal", ("Order", "ItemPrice", "Shipping"): "shipping",
    ("Order", "ItemPrice", "Tax"): "tax", ("Order", "ItemPrice", "GiftWrap"): "other_charge",
    ("Order", "ItemWithheldTax", "MarketplaceFacilitatorTax-Principal"): "withheld_tax",
    ("Order", "Promotion", "Shipping"): "promotion", ("Order", "ItemFees", "Commission"): "fee",
    ("Order", "ItemFees", "FBAPerUnitFulfillmentFee"): "fee", ("Refund", "ItemFees", "RefundCommission"): "fee",
    ("Order", "ItemFees", "ShippingChargeback"): "fee",
    ("ServiceFee", "Cost of Advertising", "TransactionTotalAmount"): "service_fee",
    ("other-transaction", "other-transaction", "Subscription Fee"): "subscription",
    ("other-transaction", "other-transaction", "Current Reserve Amount"): "reserve",
    ("other-transaction", "other-transaction", "Previous Reserve Amount Balance"): "reserve",
    ("other-transaction", "other-transaction", "Storage Fee"): "fee",
    ("FBAFees", "FBAFees", "Inbound Defect Fee"): "fee", ("Inbound Transportation Fee", "", ""): "fee",
    ("AmazonFees", "FBA fulfilment fee per unit - Correction", "Base fee"): "fee", ("Shipping Services", "", ""): "fee",
    ("Micro Deposit", "other-transaction", "Micro Deposit"): "transfer", ("Micro Deposit", "", ""): "transfer",
    ("Successful charge", "", ""): "transfer", ("other-transaction", "other-transaction", "Payable to Amazon"): "transfer",
    ("other-transaction", "other-transaction", "Transfer of funds unsuccessful: bank rejected"): "transfer",
    ("Debt Adjustment", "Debt Adjustment", "Cross-Account Debt Adjustment for es"): "transfer",
    ("Chargeback Refund", "ItemPrice", "Principal"): "principal",
    ("other-transaction", "FBA Inventory Reimbursement", "WAREHOUSE_DAMAGE"): "adjustment",
    ("Liquidations Adjustments", "other-transaction", "Liquidations"): "adjustment",
    ("Order_Retrocharge", "Retrocharge", "BaseTax"): "adjustment", ("Adjustment", "other-transaction", "Goodwill"): "adjustment",
    ("A-to-z Guarantee Refund", "other-transaction", "A-to-z claim"): "adjustment",
    ("Something Amazon adds next year", "x", "y"): "other",
}


def test_every_documented_kind_of_line_gets_its_class_and_an_unknown_one_stays_other(conn):
    build(conn, date(2000, 1, 1))  # an empty window: defines the macros on this connection
    rows = conn.execute("SELECT t, a, d, line_class(t, a, d) FROM (VALUES " + ", ".join(["(?, ?, ?)"] * len(KINDS)) + ") v(t, a, d)",
                        [x for kind in KINDS for x in kind]).fetchall()
    assert {(t, a, d): c for t, a, d, c in rows} == KINDS

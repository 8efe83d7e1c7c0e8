"""What the property tests share: the marketplace table (amazon/marketplaces.csv, core.marketplaces' rows), a warehouse per
module, a settlement V2 flat file written the way Amazon writes it (API-FACTS §4), and each test's example budget
under the loaded hypothesis profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import settings, strategies as st

from amazon_zoho.amazon import marketplaces as marketplace_table
from amazon_zoho.amazon.settlement_files import COLUMNS, load_rows
from amazon_zoho.core import steps
from amazon_zoho_tests.hypothesis_profiles import CI_EXAMPLES

DAY = date(2026, 1, 15)
REPORT_ID = "R-prop"


@dataclass(frozen=True)
class Marketplace:
    marketplace_id: str
    country: str
    currency: str
    sales_channel: str
    decimal_comma: bool


def _marketplaces() -> tuple[Marketplace, ...]:
    """The rows of core.marketplaces, read from the marketplace table it is seeded from, so a new marketplace is
    tested as soon as it is added."""
    return tuple(Marketplace(m.marketplace_id, m.country_code, m.currency, m.sales_channel, m.decimal_comma) for m in marketplace_table.load())


MARKETPLACES = _marketplaces()
BY_COUNTRY = {m.country: m for m in MARKETPLACES}

# Amounts in [-10^7, 10^7] with two decimals.
amounts = st.integers(-10**9, 10**9).map(lambda cents: Decimal(cents).scaleb(-2))
# Whole-second instants, as the settlement file writes them.
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59)).map(
    lambda d: d.replace(microsecond=0, tzinfo=timezone.utc)
)


def local_amount(value: Decimal, decimal_comma: bool, grouped: bool = False) -> str:
    """`value` as the marketplace writes it: "1234,50" (DE/FR...) or "1234.50", optionally "1.234,50" / "1,234.50"."""
    whole, cents = f"{abs(value):.2f}".split(".")
    if grouped:
        whole = f"{int(whole):,}".replace(",", "." if decimal_comma else ",")
    return f"{'-' if value < 0 else ''}{whole}{',' if decimal_comma else '.'}{cents}"


def amazon_time(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


# (transaction-type, amount-type, amount-description) as real V2 files show them (API-FACTS §4).
LINE_KINDS = [
    ("Order", "ItemPrice", "Principal"), ("Order", "ItemPrice", "Shipping"), ("Order", "ItemFees", "Commission"),
    ("Order", "ItemWithheldTax", "MarketplaceFacilitatorTax-Principal"), ("Refund", "ItemPrice", "Principal"),
    ("Refund", "ItemFees", "RefundCommission"), ("ServiceFee", "Cost of Advertising", "TransactionTotalAmount"),
    ("other-transaction", "other-transaction", "Current Reserve Amount"), ("FBAFees", "FBAFees", "Inbound Defect Fee"),
    ("other-transaction", "other-transaction", "Subscription Fee"),
]


def summary_row(settlement_id: str, total: str, currency: str, start: datetime, end: datetime, deposit: datetime) -> dict:
    return {"settlement-id": settlement_id, "settlement-start-date": amazon_time(start), "settlement-end-date": amazon_time(end),
            "deposit-date": amazon_time(deposit), "total-amount": total, "currency": currency}


def detail_row(settlement_id: str, n: int, kind: tuple[str, str, str], amount: str, posted: datetime, marketplace: Marketplace) -> dict:
    transaction_type, amount_type, description = kind
    return {"settlement-id": settlement_id, "transaction-type": transaction_type, "order-id": f"302-{n:07d}-0000001",
            "marketplace-name": marketplace.sales_channel, "amount-type": amount_type, "amount-description": description,
            "amount": amount, "posted-date": posted.strftime("%d.%m.%Y"), "posted-date-time": amazon_time(posted),
            "sku": f"SKU-{n}", "quantity-purchased": "1"}


def tsv(rows: list[dict], header: list[str] = COLUMNS) -> str:
    return "\n".join(["\t".join(header), *("\t".join(row.get(c, "") for c in header) for row in rows)]) + "\n"


def clear_settlements(conn) -> None:
    for table in ("raw.settlement_rows", "raw.settlement_reports", "core.settlement_lines", "core.settlements", "ops.quarantine"):
        conn.execute(f"DELETE FROM {table}")


def load_settlement(conn, marketplace: Marketplace, text: str, settlement_id: str = "S-prop") -> tuple[int, int]:
    """The file -> raw.settlement_rows (load_rows) -> core.settlements/settlement_lines for DAY, as core_settlements
    runs it. Starts from empty tables, so each example sees only its own file."""
    clear_settlements(conn)
    conn.execute(
        "INSERT INTO raw.settlement_reports BY NAME SELECT ? AS report_id, ? AS settlement_id, ? AS marketplace_id, "
        "CAST(? AS DATE) AS end_date, ? AS archive_path, 'x' AS sha256, now() AS fetched_at",
        [REPORT_ID, settlement_id, marketplace.marketplace_id, DAY, f"archive/{REPORT_ID}.tsv"],
    )
    loaded = load_rows(conn, REPORT_ID, text, f"{REPORT_ID}.tsv", DAY, "run-prop")
    params = {"start": DAY, "end": DAY + timedelta(days=1)}
    for step in steps.BUILD_SETTLEMENTS:
        step.run(conn, {**params, "run_id": "run-prop"})
    return loaded


def budget(ci_examples: int) -> int:
    """A test's max_examples under the loaded hypothesis profile: `ci_examples` under "ci", scaled with the profile
    (fuzz: 20 times as many; amazon_zoho_tests/hypothesis_profiles.py)."""
    return max(1, ci_examples * settings.default.max_examples // CI_EXAMPLES)

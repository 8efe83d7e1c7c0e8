"""GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2 as Amazon writes it (API-FACTS §4).

Tab-separated, the 24 documented columns, a header, one summary row (settlement id, period, deposit
date, total, currency; nothing else), then the detail rows, which leave the summary columns empty.
Numbers and dates follow the marketplace (amazon/marketplaces.csv, as core.marketplaces in the warehouse):
decimal comma in DE and FR, posted-date in the local short format, every other date
"YYYY-MM-DD HH:MM:SS UTC". UTF-8 bytes, and no charset is declared, as Amazon does.

`fault_settlement_cut_summary_rate` cuts the summary row's trailing empty cells in that share of files.
`fault_malformed_row_rate` corrupts that share of detail rows, chosen per row from the seed and report
id, so a download is reproducible and a higher rate corrupts a superset of rows. total-amount stays
the true deposit, so a loader that quarantines those rows sees its sum fall short of the total.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from decimal import Decimal

from ..config import MARKETPLACES, SimulatedMarketplace
from .catalog import CENT
from .settlement_lines import Line, period_lines
from .settlement_schedule import find_settlement

HEADER = (
    "settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount", "currency",
    "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id", "marketplace-name",
    "amount-type", "amount-description", "amount", "fulfillment-id", "posted-date", "posted-date-time",
    "order-item-code", "merchant-order-item-id", "merchant-adjustment-item-id", "sku", "quantity-purchased",
    "promotion-id",
)
_AMOUNT = HEADER.index("amount")


def render_settlement(app, report_id: str) -> tuple[bytes, str | None]:
    """The flat file of a published settlement; KeyError for an unknown report id."""
    cfg = app.config
    info = find_settlement(app, str(report_id), datetime.fromtimestamp(app.now(), timezone.utc))
    market = MARKETPLACES[info.marketplace_id]
    lines = period_lines(cfg.seed, cfg.orders_per_day, info.marketplace_id, info.index)
    total = sum((line.amount for line in lines), Decimal("0"))
    summary = [info.settlement_id, _utc(info.start), _utc(info.end), _utc(info.deposit), _amount(total, market), market.currency]
    # A cut summary row stops after `currency`, as spreadsheet re-saves and some real files write it.
    cut = random.Random(f"cut-summary:{cfg.seed}:{report_id}").random() < cfg.fault_settlement_cut_summary_rate
    rows = ["\t".join(HEADER), "\t".join(summary if cut else summary + [""] * (len(HEADER) - len(summary)))]
    # An item's rows, and an order's items, share one posting time object and sit together (period_lines sorts
    # stably), so its two date cells are formatted once per run of rows: strftime was the dearest part of a row.
    posted, dates = None, ("", "")
    for n, line in enumerate(lines):
        if line.posted is not posted:
            posted, dates = line.posted, (line.posted.strftime(market.posted_date_format), _utc(line.posted))
        cells = _cells(info.settlement_id, line, market, dates)
        # A generator per line (seeded, so a fault replays), made only when the fault is on: seeding one costs more
        # than writing the line, and with the rate at 0 its first draw could never corrupt anything.
        if cfg.fault_malformed_row_rate > 0:
            dice = random.Random(f"malformed:{cfg.seed}:{report_id}:{n}")
            if dice.random() < cfg.fault_malformed_row_rate:
                cells = _corrupt(cells, dice)
        rows.append("\t".join(cells))
    return ("\n".join(rows) + "\n").encode("utf-8"), None


def _cells(settlement_id: str, line: Line, market: SimulatedMarketplace, dates: tuple[str, str]) -> list[str]:
    """`dates`: line.posted as posted-date (the marketplace's short format) and posted-date-time."""
    return [
        settlement_id, "", "", "", "", "",
        line.transaction_type, line.order_id, "", line.adjustment_id, line.shipment_id, line.marketplace_name,
        line.amount_type, line.description, _amount(line.amount, market), line.fulfillment_id,
        *dates,
        line.order_item_code, "", "", line.sku, line.quantity, line.promotion_id,
    ]


def _corrupt(cells: list[str], dice: random.Random) -> list[str]:
    """Damage seen in real files: a dropped cell (shifts the row), or an amount that is not a number."""
    if dice.random() < 0.5:
        return cells[:8] + cells[9:]  # merchant-order-id's tab is lost
    cells = list(cells)
    cells[_AMOUNT] = cells[_AMOUNT][:-1] + "x"  # e.g. "12,3x"
    return cells


def _amount(value: Decimal, market: SimulatedMarketplace) -> str:
    text = str(value.quantize(CENT))
    return text.replace(".", ",") if market.decimal_comma else text


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")

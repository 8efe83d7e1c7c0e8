"""Money from Amazon to Zoho, to the cent: a few days of every asset (Zoho included) for a seller in Europe
(VAT inside the prices) and one in North America (sales tax added, delivery tips), then every priced sales order
Zoho holds compared with Amazon's total in core.orders, and the order shapes the sandbox generated counted, so
each `make bench` meets gift wrap, promotions, shipping, partly cancelled orders, tips and both tax conventions.

    .venv/bin/python -m amazon_zoho.bench.money_tie_out [--days 5] [--orders-per-day 20]

Five days: longer than three, so orders come through the all-orders report (VAT inside European prices) and
the buyer lookups' getOrder (tax added), both conventions in one run.

Zoho's Grand_Total is recomputed from each order's Ordered_Items and fields with Zoho's formula (zoho/totals.py) and
compared with both the Grand_Total Zoho stores and order_total.
"""

import argparse
import json
import sys
import warnings
from datetime import timedelta
from pathlib import Path

import duckdb
import requests

from .. import clock
from ..zoho.totals import mismatches
from .scratch import scratch

SELLERS = {
    "Europe (DE, UK, FR)": ["A1PA6795UKMFR9", "A1F83G8C2ARO7P", "A13V1IB3VIYZZH"],
    "North America (US, CA)": ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"],
}
SHAPES = """
SELECT count(*) FILTER (WHERE order_total IS NOT NULL) AS priced_orders,
       count(*) FILTER (WHERE coalesce(gift_wrap_total, 0) <> 0) AS with_gift_wrap,
       count(*) FILTER (WHERE coalesce(shipping_total, 0) <> 0) AS with_shipping,
       count(*) FILTER (WHERE coalesce(discount_total, 0) <> 0) AS with_promotions,
       count(*) FILTER (WHERE coalesce(delivery_tip, 0) <> 0) AS with_delivery_tip,
       count(*) FILTER (WHERE coalesce(cod_fee_total, 0) <> 0) AS with_cod_fee,
       count(*) FILTER (WHERE order_id IN (SELECT order_id FROM core.order_lines WHERE cancelled)
                        AND order_total IS NOT NULL) AS partly_cancelled,
       count(*) FILTER (WHERE order_total IS NOT NULL AND prices_include_tax) AS tax_inside_prices,
       count(*) FILTER (WHERE order_total IS NOT NULL AND NOT prices_include_tax) AS tax_added
FROM core.orders
"""


def seller(marketplaces: list[str], days: int, orders_per_day: int, work: Path) -> dict:
    import dagster as dg

    from ..build import build_defs
    from ..resources import build_resources
    from ..sandbox import Sandbox, SandboxConfig
    from ..settings import Settings

    config = SandboxConfig(orders_per_day=orders_per_day, marketplaces=marketplaces, rate_limits=False, time_scale=1000.0,
                           report_processing_seconds=0.1, zoho_daily_credits=100_000_000)
    last = clock.today() - timedelta(days=1)
    first = last - timedelta(days=days - 1)
    with Sandbox(port=0, config=config, state_dir=work / "sandbox") as sb:
        settings = Settings.from_env({
            "AMAZON_ZOHO_SANDBOX_URL": sb.url, "AMAZON_ZOHO_SANDBOX_TIME_SCALE": "1000",
            "AMAZON_ZOHO_WAREHOUSE": str(work / "warehouse.duckdb"), "AMAZON_ZOHO_ARCHIVE_DIR": str(work / "archive"),
            "AMAZON_MARKETPLACE_IDS": ",".join(marketplaces), "AMAZON_ZOHO_START_DATE": "2026-01-01",
        })
        defs = build_defs(settings)
        with dg.instance_for_test() as instance:
            result = dg.materialize(
                list(defs.assets), resources=build_resources(settings), instance=instance, raise_on_error=False,
                tags={"dagster/asset_partition_range_start": first.isoformat(), "dagster/asset_partition_range_end": last.isoformat()},
            )
        held = requests.get(f"{sb.url}/_sandbox/zoho/records/Sales_Orders", timeout=600).json()["records"]
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as conn:
        totals = dict(conn.execute("SELECT order_id, order_total FROM core.orders").fetchall())
        cursor = conn.execute(SHAPES)
        shapes = dict(zip([d[0] for d in cursor.description], cursor.fetchone()))
    priced = [o for o in held if totals.get(o["Amazon_Order_ID"]) is not None]
    wrong = mismatches(priced, totals)
    return {
        "run succeeded": result.success,
        "days": f"{first}..{last}",
        "priced sales orders compared": len(priced),
        "Grand_Total = order_total to the cent": len(priced) - len(wrong),
        "mismatches": len(wrong),
        "order shapes in the warehouse": shapes,
    }


def run(days: int = 5, orders_per_day: int = 20) -> dict:
    warnings.filterwarnings("ignore")
    out = {}
    with scratch("bench-money-") as work:
        for name, marketplaces in SELLERS.items():
            figures = seller(marketplaces, days, orders_per_day, work / name.split()[0].lower())
            out.update({f"{name}: {k}": v for k, v in figures.items()})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m amazon_zoho.bench.money_tie_out", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--orders-per-day", type=int, default=20, help="per marketplace")
    args = parser.parse_args(argv)
    figures = run(args.days, args.orders_per_day)
    print(json.dumps(figures, indent=2, default=str))
    return 0 if all(v == 0 for k, v in figures.items() if k.endswith("mismatches")) else 1


if __name__ == "__main__":
    sys.exit(main())

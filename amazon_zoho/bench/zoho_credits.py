"""Zoho API credits, counted by the sandbox's credit ledger (GET /_sandbox/zoho/credits), side by side:

1. a day of ~1,000 new orders (with their buyers and products) pushed by the sync, against the floor
   (ceil(records / 10) per module: what writing each record once, 10 per credit, costs);
2. the same day pushed again, unchanged;
3. 25,000 records through Bulk Write and through upsert;
4. the same 1,000-order workload through the per-record search-then-create pattern (search by key,
   then insert or update one record per call), the usual hand-written integration.

    .venv/bin/python -m amazon_zoho.bench.zoho_credits [--orders-per-day 334] [--bulk-records 25000]

Custom fields are created first (`make zoho-setup` does it once per org) and not counted.
"""

import argparse
import json
import math
import sys
import time
import warnings
from datetime import date, timedelta
from pathlib import Path

import requests

from .. import clock
from .scratch import scratch

MODULES = ("Products", "Contacts", "Sales_Orders")
KEYS = {"Products": "Amazon_SKU", "Contacts": "Amazon_Buyer_Key", "Sales_Orders": "Amazon_Order_ID"}


def run(orders_per_day: int = 334, bulk_records: int = 25_000) -> dict:
    warnings.filterwarnings("ignore")
    with scratch("bench-zoho-credits-") as work:
        return _run(work, orders_per_day, bulk_records)


def _run(work: Path, orders_per_day: int, bulk_records: int) -> dict:
    from ..sandbox import Sandbox, SandboxConfig

    config = SandboxConfig(orders_per_day=orders_per_day, rate_limits=False, time_scale=1000.0, report_processing_seconds=0.1,
                           zoho_daily_credits=100_000_000)
    day = clock.today() - timedelta(days=2)
    out: dict = {}
    with Sandbox(port=0, config=config, state_dir=work / "sync") as sb:
        warehouse = str(work / "warehouse.duckdb")
        env = {"AMAZON_ZOHO_SANDBOX_URL": sb.url, "AMAZON_ZOHO_SANDBOX_TIME_SCALE": "1000", "AMAZON_ZOHO_WAREHOUSE": warehouse,
               "AMAZON_ZOHO_ARCHIVE_DIR": str(work / "archive"), "AMAZON_ZOHO_START_DATE": "2026-01-01"}
        resources = _resources(env)
        _load(env, resources, day)
        _setup(resources)
        before = _credits(sb.url)
        started = time.perf_counter()
        first = _push(resources, day)
        seconds = time.perf_counter() - started
        spent = _credits(sb.url) - before
        records = {m: first[m]["inserted"] + first[m]["updated"] for m in MODULES}
        floor = sum(math.ceil(n / 10) for n in records.values())
        orders = records["Sales_Orders"]
        out["new orders pushed"] = orders
        out["records pushed"] = records
        out["credits (sync)"] = spent
        out["floor (ceil(records/10) per module)"] = floor
        out["sync / floor"] = round(spent / floor, 3)
        out["credits per 1,000 new orders (sync)"] = round(spent * 1000 / orders, 1)
        out["floor per 1,000 new orders"] = round(floor * 1000 / orders, 1)
        out["push seconds"] = round(seconds, 1)

        before = _credits(sb.url)
        again = _push(resources, day)
        out["credits (unchanged re-run)"] = _credits(sb.url) - before
        out["unchanged records on re-run"] = sum(again[m]["unchanged"] for m in MODULES)

        baseline = _search_then_create(warehouse, day, work)
        out["credits (search-then-create baseline)"] = baseline
        out["credits per 1,000 new orders (baseline)"] = round(baseline * 1000 / orders, 1)
        out["baseline / sync"] = round(baseline / spent, 2)

    out.update(_bulk_vs_upsert(bulk_records, work))
    return out


def _resources(env: dict) -> dict:
    from ..resources import build_resources
    from ..settings import load

    return build_resources(load(env))


def _load(env: dict, resources: dict, day: date) -> None:
    import dagster as dg

    from ..build import build_defs
    from ..settings import load

    defs = build_defs(load(env))

    zoho = [a for a in defs.assets if all(k.path[0] == "zoho" for k in a.keys)]
    feeds = dg.AssetSelection.groups("zoho").upstream().resolve(defs.resolve_asset_graph())
    upstream = [a for a in defs.assets if a not in zoho and set(a.keys) & feeds]
    assert dg.materialize(upstream, resources=resources, partition_key=day.isoformat()).success


def _setup(resources: dict) -> None:
    from ..zoho.mapping import MODULE_ORDER, load as load_mapping
    from ..zoho.setup import ensure_fields

    client, mapping = resources["zoho"].client(), load_mapping()
    for module in MODULE_ORDER:
        ensure_fields(client, mapping, module)


def _push(resources: dict, day: date, write_api: str = "auto") -> dict:
    import dagster as dg

    from ..definitions import defs

    zoho = [a for a in defs.assets if all(k.path[0] == "zoho" for k in a.keys)]
    config = {"ops": {f"zoho__{m}": {"config": {"write_api": write_api}} for m in ("products", "contacts", "sales_orders")}}
    result = dg.materialize(zoho, resources=resources, partition_key=day.isoformat(), run_config=config)
    assert result.success
    names = {"products": "Products", "contacts": "Contacts", "sales_orders": "Sales_Orders"}
    return {names[e.asset_key.path[1]]: {k: v.value for k, v in e.materialization.metadata.items()} for e in result.get_asset_materialization_events()}


def _credits(url: str) -> int:
    return requests.get(f"{url}/_sandbox/zoho/credits", timeout=30).json()["used_24h"]


# -- the baseline ------------------------------------------------------------------------------


def _search_then_create(warehouse: str, day: date, work: Path) -> int:
    """The same records (the payloads the sync had Zoho accept) into a fresh org, one at a time: search
    the record by its key; insert it when absent, update it when found. Lookups point at the ids this
    org gave the products and contacts."""
    import duckdb

    from ..sandbox import Sandbox, SandboxConfig
    from ..sandbox.config import ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN
    from ..zoho.mapping import load as load_mapping
    from ..zoho.resource import ZohoCrmResource
    from ..zoho.sync import prepare

    mapping = load_mapping()
    rows = []
    with duckdb.connect(warehouse) as conn:  # the payloads, rebuilt as the sync built them (the id map keeps hashes only)
        conn.execute("SET TimeZone = 'UTC'")
        for module in MODULES:
            prepare(conn, mapping, module, day, day + timedelta(days=1))
            rows += conn.execute("SELECT ?, c.record_key, s.zoho_id, c.payload FROM classified c JOIN ops.zoho_sync_state s"
                                 " ON s.module = ? AND s.record_key = c.record_key ORDER BY c.record_key", [module, module]).fetchall()
    with Sandbox(port=0, config=SandboxConfig(zoho_daily_credits=100_000_000), state_dir=work / "baseline") as sb:
        requests.post(sb.url + "/_sandbox/zoho/install_custom_fields", timeout=30).raise_for_status()
        client = ZohoCrmResource(client_id=ZOHO_CLIENT_ID, client_secret=ZOHO_CLIENT_SECRET, refresh_token=ZOHO_REFRESH_TOKEN, accounts_url=sb.url).client()
        new_id: dict[str, str] = {}  # sync org's id -> this org's id
        before = _credits(sb.url)
        for module in MODULES:
            for _, key, old_id, payload in (r for r in rows if r[0] == module):
                record = _relinked(json.loads(payload), new_id)
                found = client.search(module, f"({KEYS[module]}:equals:{_escape(key)})")
                if found:
                    record["id"] = found[0]["id"]
                    [answer] = client.update(module, [record])
                else:
                    [answer] = client.insert(module, [record])
                new_id[old_id] = answer["details"]["id"]
        return _credits(sb.url) - before


def _relinked(record: dict, new_id: dict[str, str]) -> dict:
    if isinstance(record.get("Contact_Name"), dict):
        record["Contact_Name"] = {"id": new_id[record["Contact_Name"]["id"]]}
    for item in record.get("Ordered_Items") or []:
        item["Product_Name"] = {"id": new_id[item["Product_Name"]["id"]]}
    return record


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").replace(",", "\\,")


# -- 25,000 records: Bulk Write vs upsert -----------------------------------------------------------


def _bulk_vs_upsert(n: int, work: Path) -> dict:
    """n products (SKUs sold on one day) pushed by each path into its own fresh org."""
    from ..sandbox import Sandbox, SandboxConfig
    from ..sandbox.config import ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN
    from ..warehouse import WarehouseResource
    from ..zoho.budget import CreditBudget
    from ..zoho.bulk import cheaper_path
    from ..zoho.mapping import load as load_mapping
    from ..zoho.resource import ZohoCrmResource
    from ..zoho.sync import Push, sync_module

    day = date(2026, 3, 2)
    out = {}
    for path in ("bulk", "upsert"):
        warehouse = WarehouseResource(database=str(work / f"products-{path}.duckdb"))
        with warehouse.connect() as conn:
            conn.execute(
                "INSERT INTO core.products (sku, marketplace_id, asin, title, currency, latest_price)"
                " SELECT 'SKU-' || i, 'A1PA6795UKMFR9', 'B' || lpad(i::VARCHAR, 9, '0'), 'Product ' || i, 'EUR', 10 + i % 90 FROM range(?) t(i)", [n])
            conn.execute(
                "INSERT INTO core.order_lines (order_id, order_item_id, purchase_date, marketplace_id, sku, quantity_ordered)"
                " SELECT 'O-' || i, '1', ?, 'A1PA6795UKMFR9', 'SKU-' || i, 1 FROM range(?) t(i)", [day, n])
        with Sandbox(port=0, config=SandboxConfig(zoho_daily_credits=100_000_000), state_dir=work / f"org-{path}") as sb:
            requests.post(sb.url + "/_sandbox/zoho/install_custom_fields", timeout=30).raise_for_status()
            client = ZohoCrmResource(client_id=ZOHO_CLIENT_ID, client_secret=ZOHO_CLIENT_SECRET, refresh_token=ZOHO_REFRESH_TOKEN, accounts_url=sb.url).client()
            before, started = _credits(sb.url), time.perf_counter()
            with warehouse.connect() as conn:
                outcome = sync_module(Push(conn, client, load_mapping(), CreditBudget(daily=100_000_000, reserve=0), path=path, poll_seconds=1.0,
                                           log=lambda m: None),
                                      "Products", day, day + timedelta(days=1))
            held = requests.get(f"{sb.url}/_sandbox/zoho/records/Products", timeout=300).json()["count"]
            assert outcome.inserted == held == n, (outcome, held)
            out[f"credits at {n:,} records ({path})"] = _credits(sb.url) - before
            out[f"seconds at {n:,} records ({path})"] = round(time.perf_counter() - started, 1)
    out[f"path the sync picks at {n:,}"] = cheaper_path(n)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m amazon_zoho.bench.zoho_credits", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders-per-day", type=int, default=334, help="per marketplace; the sandbox sells in 3, so ~1,000 orders")
    parser.add_argument("--bulk-records", type=int, default=25_000)
    args = parser.parse_args(argv)
    figures = run(args.orders_per_day, args.bulk_records)
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

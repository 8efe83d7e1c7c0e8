"""Shared steps of the Zoho sync tests: load a day into the warehouse, push it, read what Zoho holds."""

from collections import Counter

import dagster as dg
import duckdb
import requests

from amazon_zoho.definitions import defs
from amazon_zoho.resources import build_resources
from amazon_zoho.settings import load
from amazon_zoho.zoho.totals import money, zoho_grand_total  # noqa: F401 - the tests import them from here

MODULE_KEYS = {"Contacts": "Amazon_Buyer_Key", "Products": "Amazon_SKU", "Sales_Orders": "Amazon_Order_ID"}
ZOHO_ASSETS = [a for a in defs.assets if all(k.path[0] == "zoho" for k in a.keys)]
# Only what the push reads (Amazon orders -> core), not settlements and marts: faster tests.
_FEEDS = dg.AssetSelection.groups("zoho").upstream().resolve(defs.resolve_asset_graph())
UPSTREAM_ASSETS = [a for a in defs.assets if a not in ZOHO_ASSETS and set(a.keys) & _FEEDS]


def configured(project_env: dict, **variables: str) -> dict:
    """The resources a code location builds when these variables are set too (settings.py -> resources.py)."""
    return build_resources(load({**project_env, **variables}))


def materialize(assets, resources, **kwargs) -> dg.ExecuteInProcessResult:
    # An explicit instance: a test elsewhere in the suite can leave Dagster's ambient defs-state storage
    # pointing at an instance it disposed, which breaks materialize() without one.
    with dg.instance_for_test() as instance:
        return dg.materialize(assets, resources=resources, instance=instance, **kwargs)


def execute_job(name: str, resources, **kwargs) -> dg.ExecuteInProcessResult:
    with dg.instance_for_test() as instance:
        return defs.resolve_job_def(name).execute_in_process(resources=resources, instance=instance, **kwargs)


def load_day(resources, day) -> None:
    """Amazon -> raw -> core for one day, without touching Zoho."""
    assert materialize(UPSTREAM_ASSETS, resources, partition_key=day.isoformat()).success


def push(resources, day, write_api: str = "auto", raise_on_error: bool = True,
         modules: tuple[str, ...] = ("products", "contacts", "sales_orders")) -> dg.ExecuteInProcessResult:
    assets = [a for a in ZOHO_ASSETS if a.key.path[1] in modules]
    config = {"ops": {f"zoho__{m}": {"config": {"write_api": write_api, "bulk_poll_seconds": 0.05}} for m in modules}}
    result = materialize(assets, resources, partition_key=day.isoformat(), run_config=config, raise_on_error=raise_on_error)
    assert result.success or not raise_on_error
    return result


def pushed(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    """Each Zoho asset's metadata, by module name (products, contacts, sales_orders)."""
    return {
        e.asset_key.path[1]: {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
        if e.asset_key.path[0] == "zoho"
    }


def records(url: str, module: str) -> list[dict]:
    return requests.get(f"{url}/_sandbox/zoho/records/{module}", timeout=30).json()["records"]


def credits_used(url: str) -> int:
    return requests.get(f"{url}/_sandbox/zoho/credits", timeout=30).json()["used_24h"]


def zoho_calls(url: str) -> list[dict]:
    return requests.get(f"{url}/_sandbox/calls", params={"service": "zoho"}, timeout=30).json()["calls"]


def no_duplicates(url: str) -> dict[str, int]:
    """Record counts per module, after asserting no key is held twice."""
    counts = {}
    for module, key in MODULE_KEYS.items():
        held = records(url, module)
        assert not [k for k, n in Counter(r.get(key) for r in held).items() if n > 1], f"duplicate {key} in {module}"
        counts[module] = len(held)
    return counts


def query(warehouse: str, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(warehouse, read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def assert_totals_tie_out(url: str, warehouse: str) -> int:
    """Every priced sales order in Zoho: Grand_Total recomputed from its lines and order fields = the Grand_Total
    Zoho holds = core.orders.order_total (Amazon's total), to the cent; an order without prices is at 0.
    Returns how many priced orders were compared."""
    totals = dict(query(warehouse, "SELECT order_id, order_total FROM core.orders"))
    compared = 0
    for order in records(url, "Sales_Orders"):
        key, expected = order["Amazon_Order_ID"], totals[order["Amazon_Order_ID"]]
        recomputed, held = zoho_grand_total(order), money(order["Grand_Total"])
        assert recomputed == held, f"{key}: Zoho holds Grand_Total {held}, its lines and fields make {recomputed}"
        assert held == (expected if expected is not None else 0), f"{key}: Grand_Total {held}, Amazon's total {expected}"
        assert not any(money(i.get("Tax")) for i in order["Ordered_Items"]) and not money(order.get("Tax")), f"{key}: tax added on top"
        compared += expected is not None
    return compared


def assert_zoho_matches_warehouse(url: str, warehouse: str) -> None:
    """Every synced record's id is the Zoho record holding its key, every sales order has exactly the line
    items core.order_lines has (no copies appended by a re-send), and its Grand_Total is Amazon's total."""
    for module, key in MODULE_KEYS.items():
        held = {r[key]: r for r in records(url, module)}
        ids = dict(query(warehouse, "SELECT record_key, zoho_id FROM ops.zoho_sync_state WHERE module = ? AND status = 'synced'", [module]))
        assert {k: held[k]["id"] for k in ids if k in held} == ids, f"{module}: id map differs from Zoho"
        assert set(ids) <= set(held), f"{module}: synced records missing from Zoho"
    lines = dict(query(warehouse, "SELECT order_id, count(*) FROM core.order_lines GROUP BY order_id"))
    for order in records(url, "Sales_Orders"):
        assert len(order["Ordered_Items"]) == lines[order["Amazon_Order_ID"]], f"line items of {order['Amazon_Order_ID']}"
    assert_totals_tie_out(url, warehouse)

"""The idempotence law: any sequence of day runs, range runs and re-runs over the same days leaves DuckDB
and Zoho exactly as one clean run over those days does."""

from datetime import timedelta

import dagster as dg
import duckdb
import requests
from hypothesis import HealthCheck, given, settings, strategies as st

from amazon_zoho.definitions import defs
from amazon_zoho.resources import build_resources
from amazon_zoho.sandbox import Sandbox, SandboxConfig
from amazon_zoho.settings import load
from amazon_zoho_tests.truth import day_ago


def day(index: int):
    """Day `index` of the three the law runs over, read from the (pinned) clock when the step runs."""
    return day_ago(4) + timedelta(days=index)
CORE = {
    "core.orders": "SELECT * EXCLUDE (last_update_ts) FROM core.orders ORDER BY order_id",
    "core.order_lines": "SELECT * FROM core.order_lines ORDER BY order_id, order_item_id",
    "core.customers": "SELECT * FROM core.customers ORDER BY buyer_key",
    "core.products": "SELECT * FROM core.products ORDER BY sku, marketplace_id",
    "core.settlement_lines": "SELECT * FROM core.settlement_lines ORDER BY report_id, line_number",
    "zoho ids": "SELECT module, record_key, status FROM ops.zoho_sync_state ORDER BY ALL",
}
ZOHO_KEYS = {"Contacts": "Amazon_Buyer_Key", "Products": "Amazon_SKU", "Sales_Orders": "Amazon_Order_ID"}
VOLATILE = {"id", "Created_Time", "Modified_Time", "Created_By", "Modified_By", "Owner", "Product_Name", "Contact_Name", "Last_Activity_Time"}

# A step is a single day (by index) or an inclusive range of day indexes.
steps = st.lists(
    st.one_of(st.integers(0, 2).map(lambda i: (i, i)), st.tuples(st.integers(0, 2), st.integers(0, 2)).map(lambda t: tuple(sorted(t)))),
    min_size=1, max_size=4,
)


def _materialize(resources, first, last) -> None:
    tags = {"dagster/asset_partition_range_start": day(first).isoformat(), "dagster/asset_partition_range_end": day(last).isoformat()}
    assert dg.materialize(list(defs.assets), resources=resources, tags=tags).success


def _state(url: str, warehouse: str) -> dict:
    with duckdb.connect(warehouse, read_only=True) as conn:
        out = {name: conn.execute(q).fetchall() for name, q in CORE.items()}
    for module, key in ZOHO_KEYS.items():
        records = requests.get(f"{url}/_sandbox/zoho/records/{module}", timeout=30).json()["records"]
        out[module] = sorted((_comparable(r) for r in records), key=lambda r: str(r.get(key)))
    return out


def _comparable(record: dict) -> dict:
    """A Zoho record without what differs between two orgs by construction: ids and timestamps."""
    out = {k: v for k, v in record.items() if k not in VOLATILE and not k.startswith("$")}
    if "Ordered_Items" in record:
        out["Ordered_Items"] = [
            {**{k: v for k, v in item.items() if k not in ("id", "Product_Name")}, "product": item["Product_Name"]["name"]}
            for item in record["Ordered_Items"]
        ]
    return out


def _world(tmp, name):
    config = SandboxConfig(orders_per_day=8, time_scale=1000.0, report_processing_seconds=0.2)
    sb = Sandbox(port=0, config=config, state_dir=tmp / name / "sandbox").start()
    env = {"AMAZON_ZOHO_SANDBOX_URL": sb.url, "AMAZON_ZOHO_SANDBOX_TIME_SCALE": "1000",
           "AMAZON_ZOHO_WAREHOUSE": str(tmp / name / "w.duckdb"), "AMAZON_ZOHO_ARCHIVE_DIR": str(tmp / name / "archive")}
    return sb, env


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sequence=steps)
def test_any_sequence_equals_one_clean_run(sequence, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("law")
    clean_sb, clean_env = _world(tmp, "clean")
    messy_sb, messy_env = _world(tmp, "messy")
    try:
        _materialize(build_resources(load(clean_env)), 0, 2)
        messy = build_resources(load(messy_env))
        for first, last in sequence:
            _materialize(messy, first, last)
        covered = {i for first, last in sequence for i in range(first, last + 1)}
        for i in sorted(set(range(3)) - covered):  # the same days in the end, in whatever order
            _materialize(messy, i, i)
        assert _state(messy_sb.url, messy_env["AMAZON_ZOHO_WAREHOUSE"]) == _state(clean_sb.url, clean_env["AMAZON_ZOHO_WAREHOUSE"])
    finally:
        clean_sb.stop()
        messy_sb.stop()

"""Crash safety: a push killed (SIGKILL) while Zoho is processing its sales orders leaves records in Zoho
that our id map never heard of; the next run repairs the id map from Zoho's answers, duplicates no
record and no line item."""

import os
import subprocess
import sys

import requests

from amazon_zoho.bench.chaos import sigkill_during_sales_order_upsert
from amazon_zoho_tests.truth import day_ago
from amazon_zoho_tests.zoho.helpers import assert_zoho_matches_warehouse, load_day, no_duplicates, push, pushed, query, records

PUSH = """
import warnings; warnings.filterwarnings("ignore")
import dagster as dg
from amazon_zoho.resources import build_resources
from amazon_zoho.settings import load
from amazon_zoho_tests.zoho.helpers import ZOHO_ASSETS
orders = [a for a in ZOHO_ASSETS if a.key.path[1] == "sales_orders"]
dg.materialize(orders, resources=build_resources(load()), partition_key={day!r})
"""


def test_a_push_killed_mid_flight_is_repaired_by_the_next_run(sandbox, resources, project_env):
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    load_day(resources, day)
    push(resources, day, modules=("products", "contacts"))
    # Zoho takes 1 s per request, so the sales orders' upsert is still in Zoho's hands when we kill.
    requests.post(f"{sandbox.url}/_sandbox/zoho/latency", json={"seconds": 1.0}, timeout=10).raise_for_status()
    child = subprocess.Popen([sys.executable, "-c", PUSH.format(day=day.isoformat())], env={**os.environ, **project_env},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sigkill_during_sales_order_upsert(sandbox.url, child, timeout=60)
    requests.post(f"{sandbox.url}/_sandbox/zoho/latency", json={"seconds": 0}, timeout=10).raise_for_status()

    known = query(warehouse, "SELECT count(*) FROM ops.zoho_sync_state WHERE module = 'Sales_Orders' AND zoho_id IS NOT NULL")[0][0]
    held = len(records(sandbox.url, "Sales_Orders"))
    assert held > known, "the kill landed between Zoho's write and ours"

    again = pushed(push(resources, day))

    counts = no_duplicates(sandbox.url)
    assert counts["Sales_Orders"] == held == query(warehouse, "SELECT count(*) FROM core.orders WHERE order_status <> 'PENDING'")[0][0]
    assert again["sales_orders"]["inserted"] == 0 and again["sales_orders"]["updated"] == held - known
    assert_zoho_matches_warehouse(sandbox.url, warehouse)  # ids repaired, one copy of each line item
    assert query(warehouse, "SELECT count(*) FROM ops.zoho_sync_state WHERE status <> 'synced' OR lines_to_prune") == [(0,)]

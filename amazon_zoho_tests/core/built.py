"""One warehouse built once per test session from a sandbox: 30 days through every asset but Zoho's.

Core, marts and README tests only read it, so they share one build (about ten seconds). The sandbox's
truth is captured while it runs, then the sandbox stops; the files are removed when the session ends.
"""

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import dagster as dg
import requests

from amazon_zoho import clock
from amazon_zoho.resources import build_resources
from amazon_zoho.sandbox import Sandbox, SandboxConfig
from amazon_zoho.settings import load
from amazon_zoho_tests.truth import day_ago, truth_orders

DAYS = 30


@dataclass(frozen=True)
class Built:
    warehouse: Path
    analyst_copy: Path
    archive: Path
    result: dg.ExecuteInProcessResult
    orders: dict  # the sandbox's truth, by order id
    started: datetime  # when the run started: orders updated later may have been fetched before or after
    settlements: dict  # the sandbox's truth, by settlement id


def pipeline_assets():
    """Every asset but the Zoho push (its own tests cover it; here it would only add time)."""
    from amazon_zoho.definitions import defs

    return [a for a in defs.assets if not any(k.path[0] == "zoho" for k in a.keys)]


@cache
def build() -> Built:
    root = Path(tempfile.mkdtemp(prefix="amazon_zoho_built_"))
    atexit.register(shutil.rmtree, root, True)
    config = SandboxConfig(orders_per_day=12, time_scale=1000.0, report_processing_seconds=0.2)
    with Sandbox(port=0, config=config, state_dir=root / "sandbox") as sandbox:
        env = {
            "AMAZON_ZOHO_SANDBOX_URL": sandbox.url, "AMAZON_ZOHO_SANDBOX_TIME_SCALE": "1000",
            "AMAZON_ZOHO_WAREHOUSE": str(root / "warehouse.duckdb"), "AMAZON_ZOHO_ARCHIVE_DIR": str(root / "archive"),
        }
        first, last = day_ago(DAYS), day_ago(1)
        started = clock.now()
        result = dg.materialize(
            pipeline_assets(),
            resources=build_resources(load(env)),
            tags={"dagster/asset_partition_range_start": first.isoformat(), "dagster/asset_partition_range_end": last.isoformat()},
        )
        orders = {o["orderId"]: o for o in truth_orders(sandbox.url, first, last)}
        settlements = requests.get(f"{sandbox.url}/_sandbox/amazon/truth/settlements", timeout=30).json()["settlements"]
    return Built(
        warehouse=root / "warehouse.duckdb",
        analyst_copy=root / "analyst.duckdb",
        archive=root / "archive",
        result=result,
        started=started,
        orders=orders,
        settlements={s["settlement_id"]: s for s in settlements},
    )

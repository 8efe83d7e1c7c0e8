"""`make run`: start the sandbox, materialize every asset for the last N days in one run, print a summary.

The run goes into the project's DAGSTER_HOME, so `make dev` shows it afterwards.
"""

import argparse
import os
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import requests

from .. import clock
from ..resources import warehouse_resource
from ..settings import Settings
from .environment import prepare_dagster_home, sandbox_knobs, sandbox_port, share_clock
from .progress import QUIET_CONSOLE, Progress, write_log
from .sandbox_process import sandbox

ROOT = Path.cwd()
EXAMPLE_QUERY = """SELECT o.purchase_date, o.marketplace_id, count(*) AS orders, sum(o.order_total) AS revenue, o.currency
FROM core.orders o GROUP BY ALL ORDER BY ALL;"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m amazon_zoho.cli.run", description=__doc__)
    parser.add_argument("--days", type=int, default=7, help="how many daily partitions, ending yesterday (UTC)")
    parser.add_argument("--port", type=int, default=sandbox_port(), help="the sandbox's port (make run SANDBOX_PORT=…)")
    parser.add_argument("--now", default=None,
                        help="pretend it is this instant (ISO 8601 with offset, e.g. 2026-03-29T00:30:00Z): a hard date, replayed")
    args = parser.parse_args(argv)
    share_clock(args.now)

    prepare_dagster_home(ROOT)
    last = clock.today() - timedelta(days=1)
    first = last - timedelta(days=args.days - 1)
    with sandbox(args.port, "data/sandbox", sandbox_knobs(), log_path="data/sandbox.log") as url:
        os.environ.setdefault("AMAZON_ZOHO_SANDBOX_URL", url)
        os.environ.setdefault("AMAZON_ZOHO_START_DATE", min(first, date(2026, 1, 1)).isoformat())
        run_id, ok = _materialize(first, last)
        zoho_counts = _zoho_counts(url)
    warehouse = warehouse_resource(Settings.from_env())
    print(_summary(warehouse.path, str(warehouse.analyst_copy_path), first, last, run_id, zoho_counts))
    return 0 if ok else 1


def _materialize(first: date, last: date) -> tuple[str, bool]:
    import dagster as dg
    from dagster._core.utils import make_new_run_id

    from ..definitions import (
        defs,  # after the environment is set: settings are read at import
    )

    job = defs.resolve_job_def("daily_refresh")
    instance = dg.DagsterInstance.get()
    run_id = make_new_run_id()
    log_path = Path("data/logs") / f"run-{run_id}.log"
    print(f"materializing every asset for {first}..{last} in one run (run {run_id})", flush=True)
    with Progress(instance, run_id, out=lambda line: print(line, flush=True)):
        result = job.execute_in_process(
            instance=instance,
            run_id=run_id,
            run_config=QUIET_CONSOLE,
            tags={"dagster/asset_partition_range_start": first.isoformat(), "dagster/asset_partition_range_end": last.isoformat()},
            raise_on_error=False,
        )
    print(f"every event of the run: {write_log(instance, run_id, log_path)} (and in `make dev`, Runs)", flush=True)
    return result.run_id, result.success


def _zoho_counts(url: str) -> dict[str, int]:
    return {m: requests.get(f"{url}/_sandbox/zoho/records/{m}", timeout=30).json()["count"] for m in ("Contacts", "Products", "Sales_Orders")}


def _summary(warehouse: str, analyst_copy: str, first: date, last: date, run_id: str, zoho_counts: dict[str, int]) -> str:
    sql = (Path(__file__).parent / "sql" / "summary.sql").read_text()
    with duckdb.connect(warehouse, read_only=True) as conn:
        cursor = conn.execute(sql, {"first": first, "last": last, "run_id": run_id})
        row = dict(zip([d[0] for d in cursor.description], cursor.fetchone()))
    held = ", ".join(f"{m} {n}" for m, n in zoho_counts.items())
    return f"""
amazon_zoho: {first} .. {last} (run {run_id})
  orders            {row['orders']}
  order lines       {row['order_lines']}
  settlement lines  {row['settlement_lines']}
  quarantined       {row['quarantined']}   (ops.quarantine, with reasons)
  Zoho records      inserted {row['zoho_inserted']}, updated {row['zoho_updated']}, unchanged {row['zoho_unchanged']}, failed {row['zoho_failed']} ({row['zoho_credits']} API credits)
  Zoho now holds    {held}
  DuckDB            {Path(warehouse).resolve()}
  analyst copy      {Path(analyst_copy).resolve()}  (read-only, rebuilt after each run)

Try it:
  .venv/bin/duckdb -readonly {analyst_copy}
  .venv/bin/python -c "import duckdb; duckdb.connect('{analyst_copy}', read_only=True).sql('''{EXAMPLE_QUERY}''').show()"
"""  # noqa: E501 - the summary's Zoho line is printed as one line


if __name__ == "__main__":
    sys.exit(main())

"""Local overhead with rate limits off: N days × M orders/day through the whole asset graph in one run.

`python -m amazon_zoho.bench.full_year --days 365 --orders-per-day 1000` — wall time; CPU seconds and peak RSS
of the client (this process: Dagster, our code, DuckDB) and, apart, of the sandbox (its own process, read from
/proc before it stops), so the figure says what our code costs, not what the stand-in for Amazon and Zoho costs;
Dagster's own overhead (wall time outside the steps, plus the time its event log takes to store the events the
steps emit, one materialization per asset and partition among them); each step's duration; Amazon calls per 1,000
orders; and the Zoho side of the window: calls, credits beside the floor, and the hours Zoho's daily credit
allowance needs for them.
"""

import argparse
import json
import os
import resource
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import requests

from .. import clock
from ..cli.sandbox_process import sandbox
from ..zoho.bulk import floor_cost
from .memory_cap import MemoryCap
from .scratch import scratch

BASE_DAILY_CREDITS = 50_000


def run(days: int = 365, orders_per_day: int = 1000, port: int = 18799, memory_cap_mb: int | None = None, keep: bool = False) -> dict:
    """`memory_cap_mb`: the run under a memory cap of that size (memory_cap.py), the sandbox outside it. `keep`: leave
    the run's folder (warehouse, sandbox state) behind."""
    with scratch("bench-full-year-", keep) as work:
        return _run(work, days, orders_per_day, port, memory_cap_mb)


def _run(work: Path, days: int, orders_per_day: int, port: int, memory_cap_mb: int | None) -> dict:
    from ..sandbox.config import SandboxConfig

    # The figure is per seller and day; the sandbox's knob is per marketplace.
    per_marketplace = max(1, round(orders_per_day / len(SandboxConfig().marketplaces)))
    # Credits without limit: the figure is what the push spends, not where a 24 h allowance would stop it. (A knob, given
    # when the sandbox starts; it used to be set in this process's environment after the sandbox had started.)
    knobs = {"orders_per_day": per_marketplace, "rate_limits": "false", "time_scale": 1000, "report_processing_seconds": 0.1,
             "zoho_daily_credits": 100_000_000,
             # Zoho's processing time, modelled (sandbox/config.py); stated in the output beside the figures it shapes.
             "zoho_bulk_seconds_per_1000_records": SandboxConfig().zoho_bulk_seconds_per_1000_records}
    last = clock.today() - timedelta(days=1)
    first = last - timedelta(days=days - 1)
    sandbox_usage: dict = {}
    with (sandbox(port, str(work / "sandbox"), knobs, log_path=str(work / "sandbox.log"), usage=sandbox_usage) as url,
          MemoryCap(memory_cap_mb) as cap):
        import dagster as dg

        from ..build import build_defs
        from ..settings import Settings

        defs_settings = Settings.from_env({
            **os.environ,
            "AMAZON_ZOHO_SANDBOX_URL": url, "AMAZON_ZOHO_SANDBOX_TIME_SCALE": "1000",
            "AMAZON_ZOHO_WAREHOUSE": str(work / "warehouse.duckdb"), "AMAZON_ZOHO_ARCHIVE_DIR": str(work / "archive"),
            "AMAZON_ZOHO_START_DATE": min(first, date(2026, 1, 1)).isoformat(),
        })
        defs = build_defs(defs_settings)

        started = time.perf_counter()
        with dg.instance_for_test() as instance, StepMemory() as step_memory:
            event_log = _time_event_log(instance, step_memory)
            result = defs.resolve_job_def("daily_refresh").execute_in_process(
                instance=instance,
                tags={"dagster/asset_partition_range_start": first.isoformat(), "dagster/asset_partition_range_end": last.isoformat()},
                raise_on_error=False,
            )
            wall = time.perf_counter() - started
            steps = {s.step_key: round(s.end_time - s.start_time, 1) for s in instance.get_run_step_stats(result.run_id) if s.end_time}
            # A failed run says which step failed and why, in the figures (the bench runs each piece in a child process
            # whose log is not kept).
            failures = {e.step_key: _cause(e.step_failure_data.error) for e in result.all_events if e.is_step_failure}
        # The client's CPU: this process and any child it has reaped, read while the sandbox (a child not yet
        # reaped) still runs, so none of the sandbox's CPU is in it.
        client_cpu = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                         for f in ("ru_utime", "ru_stime"))
        # One read of the call log (a year of calls), split by service here.
        calls = requests.get(f"{url}/_sandbox/calls", timeout=600).json()["calls"]
        zoho_calls = Counter(c["operation"] for c in calls if c["service"] == "zoho")
        amazon_calls = sum(c["service"] == "amazon" for c in calls)
        credits = requests.get(f"{url}/_sandbox/zoho/credits", timeout=60).json()["used_24h"]
    import duckdb

    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as conn:
        orders, lines = conn.execute("SELECT (SELECT count(*) FROM core.orders), (SELECT count(*) FROM core.order_lines)").fetchone()
        records = dict(conn.execute("SELECT module, count(*) FROM ops.zoho_sync_state WHERE status = 'synced' GROUP BY ALL ORDER BY ALL").fetchall())
    # The floor: each module's records written the cheapest way Zoho sells (1 credit per 10 upserted, or
    # 500 per Bulk Write job of up to 25,000), nothing else. Time under Zoho's limits is what the rolling
    # 24 h credit allowance lets through; the base allowance of every paid edition is 50,000 (API-FACTS §9).
    floor = sum(floor_cost(n) for n in records.values())
    zoho = {
        "zoho_records_synced": records,
        "zoho_calls": dict(sorted(zoho_calls.items())),
        "zoho_credits": credits,
        "zoho_credit_floor": floor,
        "zoho_credits / floor": round(credits / floor, 3) if floor else None,
        "zoho_projected_hours_at_50000_credits_per_24h": round(credits / BASE_DAILY_CREDITS * 24, 2),
        "zoho_floor_hours_at_50000_credits_per_24h": round(floor / BASE_DAILY_CREDITS * 24, 2),
    }
    client_peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return {
        "days": days,
        "orders_per_day": orders_per_day,
        "success": result.success,
        "failed_steps": failures,
        "orders": orders,
        "order_lines": lines,
        "wall_seconds": round(wall, 1),
        "orders_per_second": round(orders / wall, 1) if wall else None,
        # ru_maxrss is in kilobytes on Linux (getrusage(2)).
        "client_peak_rss_mb": client_peak,
        **cap.figures(client_peak),
        "client_cpu_seconds": round(client_cpu, 1),
        "sandbox_peak_rss_mb": sandbox_usage.get("peak_rss_mb"),
        "sandbox_cpu_seconds": sandbox_usage.get("cpu_seconds"),
        "sandbox_cpu_share_of_wall": round(sandbox_usage["cpu_seconds"] / wall, 3) if wall and sandbox_usage else None,
        "amazon_calls_per_1000_orders": round(amazon_calls / orders * 1000, 2) if orders else None,
        # The in-process executor runs one step at a time: what is not in a step is Dagster's own (run start, event
        # log writes between steps, run end). Inside a step, the events it emits (one materialization per asset and
        # partition, logs, outputs) are stored by Dagster's event log too: that time is Dagster's, not our code's.
        "dagster_overhead_seconds": round(wall - sum(steps.values()) + event_log["in_steps"], 1),
        "dagster_outside_steps_seconds": round(wall - sum(steps.values()), 1),
        "dagster_event_log_seconds_in_steps": round(event_log["in_steps"], 1),
        "dagster_events_stored": event_log["events"],
        "dagster_materialization_events": event_log["materializations"],
        "dagster_materialization_seconds": round(event_log["materialization_seconds"], 1),
        "sandbox_zoho_bulk_seconds_per_1000_records": knobs["zoho_bulk_seconds_per_1000_records"],
        "duckdb_memory_limit": defs_settings.duckdb_memory_limit,
        "step_seconds": steps,
        # Which step the client's peak belongs to: the resident set sampled while each step ran.
        "step_peak_rss_mb": step_memory.peaks,
        # The line of our code each step's thread ran when that step's highest sample was taken.
        "step_peak_at": step_memory.at,
        **zoho,
    }


def _cause(error) -> str:
    """The first line of what was raised at the bottom of a step failure's chain (Dagster wraps it)."""
    while error is not None and error.cause is not None:
        error = error.cause
    return error.message.strip().splitlines()[0][:300] if error is not None and error.message.strip() else "no error recorded"


class StepMemory:
    """The client's resident set, sampled every `every` seconds from /proc/self/statm while the run goes, and the
    highest sample kept per step (the step that started last; the in-process executor runs one at a time).
    ru_maxrss says how high the process went, not in which step; this says where. With each step's highest sample it
    keeps the line of our code the step's thread was running (`at`: the innermost frame under `within`, the package
    outside bench/), so a peak names the statement to look at. Linux only: {} elsewhere."""

    def __init__(self, every: float = 0.2, within: Path | None = None):
        self.every, self.step, self.peaks, self.at = every, None, {}, {}
        self._within = str(within or Path(__file__).resolve().parents[1]) + os.sep
        self._skip = str(Path(__file__).resolve().parent) + os.sep
        self._thread_id: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="bench-step-memory", daemon=True)

    def enter(self, step: str) -> None:
        """`step` runs from now on, in the calling thread."""
        self._thread_id, self.step = threading.get_ident(), step

    def __enter__(self) -> "StepMemory":
        if Path("/proc/self/statm").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _sample(self) -> None:
        page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20
        while not self._stop.wait(self.every):
            step = self.step
            if step is None:
                continue
            # statm's second field: resident pages (proc(5)).
            rss = round(int(Path("/proc/self/statm").read_text().split()[1]) * page_mb, 1)
            if rss > self.peaks.get(step, 0):
                self.peaks[step] = rss
                self.at[step] = self._where()

    def _where(self) -> str:
        """The innermost two frames of our code, "line < its caller's line" (a statement run by a shared helper such as
        execute_script says which caller ran it)."""
        frame = sys._current_frames().get(self._thread_id) if self._thread_id is not None else None
        ours: list[str] = []
        while frame is not None and len(ours) < 2:
            name = frame.f_code.co_filename
            if name.startswith(self._within) and not name.startswith(self._skip):
                ours.append(f"{name[len(self._within):]}:{frame.f_lineno} {frame.f_code.co_name}")
            frame = frame.f_back
        return " < ".join(ours) or "outside our code"


def _time_event_log(instance, step_memory: StepMemory) -> dict:
    """Times every event Dagster stores for the run (DagsterInstance.handle_new_event: the event log write and its
    subscribers), split into those emitted inside a step and the asset materializations; filled in as the run goes.
    Each step's start tells `step_memory` whose samples come next."""
    figures = {"in_steps": 0.0, "events": 0, "materializations": 0, "materialization_seconds": 0.0}
    store = instance.handle_new_event

    def timed(event, **kwargs):
        if event.dagster_event is not None and event.dagster_event.event_type_value == "STEP_START":
            step_memory.enter(event.step_key)
        started = time.perf_counter()
        try:
            return store(event, **kwargs)
        finally:
            spent = time.perf_counter() - started
            figures["events"] += 1
            if event.step_key:
                figures["in_steps"] += spent
            if event.dagster_event is not None and event.dagster_event.event_type_value == "ASSET_MATERIALIZATION":
                figures["materializations"] += 1
                figures["materialization_seconds"] += spent

    instance.handle_new_event = timed
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m amazon_zoho.bench.full_year", description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--orders-per-day", type=int, default=1000)
    parser.add_argument("--port", type=int, default=18799, help="the sandbox's port")
    parser.add_argument("--memory-cap-mb", type=int, help="run under a memory cgroup of this size (the sandbox outside it)")
    parser.add_argument("--keep", action="store_true", help="leave the run's folder (warehouse, sandbox state) behind, and say where")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.days, args.orders_per_day, args.port, args.memory_cap_mb, args.keep), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

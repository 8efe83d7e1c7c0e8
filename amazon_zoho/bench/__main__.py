"""`make bench`: every benchmark against the sandbox, side by side in one run, printed and written to
BENCHMARKS.md with the machine, date and commit. Each piece runs in its own process so its peak memory
and its sandbox are its own."""

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from .. import clock

PIECES = [
    ("Amazon API calls", "amazon_calls", {}),
    ("Zoho API credits", "zoho_credits", {}),
    ("raw → core transform", "core_transform", {}),
    ("Money from Amazon to Zoho", "money_tie_out", {}),
    # Issue #15: from an order's first priced status to its Zoho record, notifications vs polling, at two volumes.
    ("Intraday latency, 1,000 orders a day", "intraday_latency", {"orders_per_day": 1000}),
    ("Intraday latency, 10,000 orders a day", "intraday_latency", {"orders_per_day": 10_000}),
    # The credits-for-latency trade (intraday_latency's docstring): runs spaced 15 minutes apart carry ~10 orders each.
    ("Intraday, 1,000 orders a day, a run at most every 15 minutes", "intraday_latency",
     {"orders_per_day": 1000, "minutes": 20, "run_every_seconds": 900, "modes": ["notifications"]}),
    # At two window lengths, so growth with the window shows, and at ten times the volume over fewer days (issue 17).
    ("Whole graph, limits off, 90 days", "full_year", {"days": 90, "orders_per_day": 1000}),
    ("Whole graph, limits off, 365 days", "full_year", {"days": 365, "orders_per_day": 1000}),
    ("Whole graph, limits off, 10,000 orders a day", "full_year", {"days": 14, "orders_per_day": 10_000}),
    # The year again, inside a 1.5 GiB memory cgroup (memory_cap.py): it must finish. Its wall is not the uncapped one's
    # (at the limit the kernel reclaims the warehouse's page cache), so it is judged on the cap alone.
    ("Whole graph, 365 days under a 1.5 GiB memory cap", "full_year", {"days": 365, "orders_per_day": 1000, "memory_cap_mb": 1536}),
    # Issue #19: the whole graph into the DuckDB file and into a DuckLake (PostgreSQL + S3 on loopback), 1, 2, 4 writers.
    ("DuckLake vs the DuckDB file, 1, 2 and 4 writers", "ducklake", {"days": 8, "orders_per_day": 20}),
]
# Issue 17's goals: the client's peak RSS grows at most 10 % from the shortest to the longest window, stays within
# 1 GiB at 365 days and at 10,000 orders a day; the sandbox takes at most a quarter of the wall; credits stay within
# 1.03 x the floor.
RSS_GROWTH_GOAL = 0.10
RSS_GOAL_MB = 1024
SANDBOX_CPU_GOAL = 0.25
CREDITS_GOAL = 1.03
# The whole-graph figures shown side by side, run by run: (figure, label).
SIDE_BY_SIDE = [
    ("client_peak_rss_mb", "client peak RSS (MB)"),
    ("client_cpu_seconds", "client CPU (s)"),
    ("sandbox_cpu_share_of_wall", "sandbox CPU (share of wall)"),
    ("sandbox_peak_rss_mb", "sandbox peak RSS (MB)"),
    ("dagster_overhead_seconds", "Dagster overhead (s)"),
    ("dagster_materialization_events", "materializations stored"),
    ("wall_seconds", "wall (s)"),
    ("amazon_calls_per_1000_orders", "Amazon calls per 1,000 orders"),
    ("zoho_credits / floor", "Zoho credits / floor"),
]


def pieces(days: list[int] | None = None, heavy_days: int | None = None) -> list[tuple[str, str, dict]]:
    """PIECES, with the 1,000 orders/day whole-graph runs at `days` and the 10,000 orders/day one at `heavy_days`."""
    others = [p for p in PIECES if p[1] != "full_year"]
    whole = [p for p in PIECES if p[1] == "full_year"]
    normal = [p for p in whole if p[2]["orders_per_day"] <= 1000 and not _capped(p[2])]
    if days:
        normal = [(f"Whole graph, limits off, {n} days", "full_year", {"days": n, "orders_per_day": 1000}) for n in days]
    heavy = [(title, module, {**kwargs, "days": heavy_days or kwargs["days"]}) for title, module, kwargs in whole if kwargs["orders_per_day"] > 1000]
    # The capped run repeats the longest window.
    capped = [(title.replace("365", str(max(days))) if days else title, module, {**kwargs, "days": max(days)} if days else kwargs)
              for title, module, kwargs in whole if _capped(kwargs)]
    return others + normal + heavy + capped


def _capped(kwargs: dict) -> bool:
    return kwargs.get("memory_cap_mb") is not None


def growth(results: list[tuple[str, str, dict, dict]]) -> str:
    """How the client's peak memory grows from the shortest to the longest 1,000 orders/day window."""
    runs = sorted((kw["days"], fig["client_peak_rss_mb"]) for _, module, kw, fig in results
                  if module == "full_year" and kw.get("orders_per_day") == 1000 and not _capped(kw) and fig.get("client_peak_rss_mb"))
    if len(runs) < 2 or runs[0][0] == runs[-1][0]:
        return ""
    (d0, r0), (d1, r1) = runs[0], runs[-1]
    share = (r1 - r0) / r0
    verdict = "within" if share <= RSS_GROWTH_GOAL else "over"
    return (f"\n## Memory growth with the window\n\nClient peak RSS {r0} MB at {d0} days, {r1} MB at {d1} days: "
            f"{share:+.0%} ({verdict} the goal of {RSS_GROWTH_GOAL:+.0%}).\n")


def side_by_side(results: list[tuple[str, str, dict, dict]]) -> str:
    """The whole-graph runs' figures in one table, a column per run, and each run against issue 17's goals."""
    runs = [(kw, fig) for _, module, kw, fig in results if module == "full_year" and "error" not in fig]
    killed = [f"- {kw['days']} d × {kw['orders_per_day']:,}/d, {kw['memory_cap_mb']:,} MB cap: the cap did NOT hold, the run "
              f"ended without figures ({fig['error']})" for _, module, kw, fig in results if module == "full_year" and _capped(kw) and "error" in fig]
    if not runs:
        return "\n".join(["\n## Whole graph side by side\n", *killed, ""]) if killed else ""
    heads = [f"{kw['days']} d × {kw['orders_per_day']:,}/d" + (f", {kw['memory_cap_mb']:,} MB cap" if _capped(kw) else "") for kw, _ in runs]
    out = ["\n## Whole graph side by side\n", "| figure | " + " | ".join(heads) + " |", "|---|" + "---|" * len(runs)]
    out += [f"| {label} | " + " | ".join(str(fig.get(key, "")) for _, fig in runs) + " |" for key, label in SIDE_BY_SIDE]
    out.append("")
    for head, (kw, fig) in zip(heads, runs):
        if _capped(kw):
            out.append(f"- {head}: {_cap_check(fig)}")
            continue
        checks = [_goal("sandbox CPU", fig.get("sandbox_cpu_share_of_wall"), SANDBOX_CPU_GOAL),
                  _goal("credits / floor", fig.get("zoho_credits / floor"), CREDITS_GOAL)]
        if kw["days"] >= 365 or kw["orders_per_day"] > 1000:
            checks.insert(0, _goal("client peak RSS (MB)", fig.get("client_peak_rss_mb"), RSS_GOAL_MB))
        out.append(f"- {head}: " + "; ".join(checks))
    return "\n".join(out + killed) + "\n"


def _cap_check(fig: dict) -> str:
    """A capped run is judged on the cap alone: it finished (a run the kernel killed has no figures), it stayed within."""
    held = "the cap held" if fig.get("success") and fig.get("memory_cap_held") else "the cap did NOT hold"
    seen = f"cgroup max usage {fig.get('memory_cap_max_usage_mb')} MB, {fig.get('memory_cap_limit_hits')} failed charges counted by the kernel, " \
           f"{fig.get('memory_cap_oom_kills')} OOM kills" if str(fig.get("memory_cap_enforced_by", "")).startswith("cgroup") else \
           str(fig.get("memory_cap_enforced_by"))
    return f"{held}: client peak RSS {fig.get('client_peak_rss_mb')} MB ({seen})"


def _goal(name: str, value, limit: float) -> str:
    if value is None:
        return f"{name} not measured"
    return f"{name} {value} {'within' if value <= limit else 'OVER'} the goal of {limit}"


def run_piece(module: str, kwargs: dict) -> dict:
    code = (
        "import json, sys, warnings; warnings.filterwarnings('ignore');"
        f"from amazon_zoho.bench.{module} import run;"
        f"print('BENCH_JSON ' + json.dumps(run(**{kwargs!r}), default=str))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    line = next((out for out in reversed(done.stdout.splitlines()) if out.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(line[len("BENCH_JSON "):])


def machine() -> str:
    cpu = next((row.split(":", 1)[1].strip() for row in Path("/proc/cpuinfo").read_text().splitlines() if row.startswith("model name")), platform.processor())
    mem = next((int(row.split()[1]) // 1024 // 1024 for row in Path("/proc/meminfo").read_text().splitlines() if row.startswith("MemTotal")), 0)
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def render(results: list[tuple[str, str, dict, dict]]) -> str:
    out = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` on {clock.now():%Y-%m-%d %H:%M UTC}, commit `{commit()}`, on {machine()}.",
        "All figures come from the embedded sandbox's call log and credit ledger, measured in this one run.",
        "",
    ]
    for title, module, kwargs, figures in results:
        args = " ".join(f"--{k.replace('_', '-')} {' '.join(v) if isinstance(v, list) else v}" for k, v in kwargs.items())
        out += [f"## {title}", "", f"`.venv/bin/python -m amazon_zoho.bench.{module} {args}`".replace(" `", "`"), ""]
        if module == "ducklake" and "error" not in figures:
            from .ducklake import table

            out.append(table(figures))
        else:
            out += ["| figure | value |", "|---|---|"] + [f"| {k} | {_cell(v)} |" for k, v in figures.items()]
        out.append("")
    return "\n".join(out)


def _cell(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m amazon_zoho.bench", description=__doc__)
    parser.add_argument("--only", nargs="*", help="module names to run (default: all)")
    parser.add_argument("--days", type=int, nargs="+", help="days of the 1,000 orders/day whole-graph runs (default 90 365)")
    parser.add_argument("--heavy-days", type=int, help="days of the 10,000 orders/day whole-graph run (default 14)")
    parser.add_argument("--output", default="BENCHMARKS.md")
    args = parser.parse_args(argv)
    results = []
    for title, module, kwargs in pieces(args.days, args.heavy_days):
        if args.only and module not in args.only:
            continue
        if importlib.util.find_spec(f"amazon_zoho.bench.{module}") is None:
            continue
        print(f"running {title} ...", flush=True)
        results.append((title, module, kwargs, run_piece(module, kwargs)))
    text = render(results) + side_by_side(results) + growth(results)
    print(text)
    Path(args.output).write_text(text + "\n")
    return 0 if all("error" not in r[3] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

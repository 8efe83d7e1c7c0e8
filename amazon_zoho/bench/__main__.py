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
    ("Whole graph, limits off", "full_year", {"days": 365, "orders_per_day": 1000}),
]


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
        args = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in kwargs.items())
        out += [f"## {title}", "", f"`.venv/bin/python -m amazon_zoho.bench.{module} {args}`".replace(" `", "`"), "", "| figure | value |", "|---|---|"]
        out += [f"| {k} | {_cell(v)} |" for k, v in figures.items()]
        out.append("")
    return "\n".join(out)


def _cell(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m amazon_zoho.bench", description=__doc__)
    parser.add_argument("--only", nargs="*", help="module names to run (default: all)")
    parser.add_argument("--days", type=int, help="days for the whole-graph run (default 365)")
    parser.add_argument("--output", default="BENCHMARKS.md")
    args = parser.parse_args(argv)
    results = []
    for title, module, kwargs in PIECES:
        if args.only and module not in args.only:
            continue
        if importlib.util.find_spec(f"amazon_zoho.bench.{module}") is None:
            continue
        if module == "full_year" and args.days:
            kwargs = {**kwargs, "days": args.days}
        print(f"running {title} ...", flush=True)
        results.append((title, module, kwargs, run_piece(module, kwargs)))
    text = render(results)
    print(text)
    Path(args.output).write_text(text + "\n")
    return 0 if all("error" not in r[3] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Rows per second of the whole graph, Zoho push included, into the DuckDB file and into a DuckLake, with 1, 2 and 4 writers.

`python -m amazon_zoho.bench.ducklake --days 8 --orders-per-day 40` — one sandbox (its own process), one PostgreSQL
started here (initdb into a temp directory, as amazon_zoho_tests/ops/test_postgres_profile.py does) as the lake's
catalog, moto's S3 server on loopback as its data path. For each engine and writer count, a fresh warehouse and the
same `days` split into that many contiguous ranges, each backfilled by its own process (as Dagster runs each run),
all started together. Rows = raw.order_versions + core.orders + core.order_lines + core.settlement_lines +
marts.daily_sales after the last writer finished; the figure is rows / wall seconds. (raw.order_versions grows while
the sandbox's orders change, so row counts of later configurations differ a little; duplicate keys in core and pii,
counted too, must be 0.) With the DuckDB file the
writers queue on its lock; with DuckLake they write at once and retry commit conflicts (warehouse/engine.py). The
writers share one Zoho access token (http/token_store.py): "Zoho tokens minted" counts the sandbox's mints per
configuration, 1 when the sharing works, where four writers each minting their own met Zoho's 10-per-10-minutes limit.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from .. import clock
from ..cli.sandbox_process import sandbox

TABLES = ("raw.order_versions", "core.orders", "core.order_lines", "core.settlement_lines", "marts.daily_sales")

# Every asset, the Zoho push included, as one backfill run of the range.
_BACKFILL = """
import sys, warnings
warnings.filterwarnings("ignore")
import dagster as dg
from amazon_zoho.definitions import defs
tags = {"dagster/asset_partition_range_start": sys.argv[1], "dagster/asset_partition_range_end": sys.argv[2]}
result = dg.materialize(list(defs.assets), resources=defs.resources, tags=tags, raise_on_error=False)
sys.exit(0 if result.success else 1)
"""

_COUNT = """
import json, sys
import dagster as dg
from amazon_zoho.resources import warehouse_resource
from amazon_zoho.settings import Settings
with dg.build_resources({"w": warehouse_resource(Settings.from_env())}) as r, r.w.connect(read_only=True) as conn:
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in sys.argv[1:]}
    keys = {"core.orders": "order_id", "core.order_lines": "order_id, order_item_id", "core.customers": "buyer_key",
            "core.products": "sku, marketplace_id", "pii.order_contacts": "order_id"}
    duplicates = sum(conn.execute(f"SELECT count(*) - count(DISTINCT ({k})) FROM {t}").fetchone()[0] for t, k in keys.items())
    print(json.dumps({"counts": counts, "duplicate_keys": duplicates}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _postgres(work: Path):
    """A throwaway PostgreSQL on loopback; yields (port, user, password). Runs as `postgres` when we are root."""
    initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if not initdbs:
        raise SystemExit("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    bin_dir = Path(initdbs[-1]).parent
    base = Path(tempfile.mkdtemp(prefix="bench_pg_"))
    run_as = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    password = secrets.token_urlsafe(16)
    (base / "pw").write_text(password + "\n")
    if run_as:
        shutil.chown(base / "pw", "postgres", "postgres")
    data = base / "data"

    def pg(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*run_as, *args], capture_output=True, text=True, timeout=120)

    assert pg(str(bin_dir / "initdb"), "-D", str(data), "-U", "bench", f"--pwfile={base / 'pw'}", "--auth=scram-sha-256",
              "--no-locale", "--no-sync").returncode == 0
    port = _free_port()
    started = pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-o",
                 f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off -c full_page_writes=off -c max_connections=200",
                 "-w", "start")
    assert started.returncode == 0, started.stderr
    try:
        yield port, "bench", password, bin_dir
    finally:
        pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


def _createdb(bin_dir: Path, port: int, user: str, password: str, name: str) -> None:
    subprocess.run([str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", "postgres", "-X", "-q",
                    "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {name}"],
                   env={**os.environ, "PGPASSWORD": password}, check=True, capture_output=True, timeout=60)


def _ranges(first, days: int, writers: int) -> list[tuple]:
    size = -(-days // writers)
    out = []
    for i in range(writers):
        start = first + timedelta(days=i * size)
        end = min(first + timedelta(days=(i + 1) * size - 1), first + timedelta(days=days - 1))
        if start <= end:
            out.append((start, end))
    return out


def _mints(url: str) -> int:
    import requests

    calls = requests.get(f"{url}/_sandbox/calls", params={"service": "zoho"}, timeout=60).json()["calls"]
    return sum(1 for c in calls if c["operation"] == "zoho_token")


def _one(env: dict, first, days: int, writers: int, log: Path) -> dict:
    minted = _mints(env["AMAZON_ZOHO_SANDBOX_URL"])
    procs = []
    started = time.perf_counter()
    with open(log, "ab") as out:
        for start, end in _ranges(first, days, writers):
            procs.append(subprocess.Popen([sys.executable, "-c", _BACKFILL, start.isoformat(), end.isoformat()], env=env,
                                          stdout=out, stderr=subprocess.STDOUT))
        codes = [p.wait() for p in procs]
    wall = time.perf_counter() - started
    counted = subprocess.run([sys.executable, "-c", _COUNT, *TABLES], env=env, capture_output=True, text=True, timeout=300)
    answer = json.loads(counted.stdout.strip().splitlines()[-1]) if counted.returncode == 0 else {"counts": {}, "duplicate_keys": None}
    total = sum(answer["counts"].values())
    return {"writers": writers, "ok": all(c == 0 for c in codes), "wall_s": round(wall, 1), "rows": total,
            "rows_per_s": round(total / wall, 1) if wall else None, "duplicate_keys": answer["duplicate_keys"],
            "rows_by_table": answer["counts"],  # which table a difference between file and lake is in
            "zoho_tokens_minted": _mints(env["AMAZON_ZOHO_SANDBOX_URL"]) - minted}


def run(days: int = 8, orders_per_day: int = 40, writer_counts=(1, 2, 4), port: int = 18797) -> dict:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    work = Path(tempfile.mkdtemp(prefix="bench-ducklake-"))
    last = clock.today() - timedelta(days=1)
    first = last - timedelta(days=days - 1)
    knobs = {"orders_per_day": orders_per_day, "rate_limits": "false", "time_scale": 1000, "report_processing_seconds": 0.1,
             "zoho_daily_credits": 100_000_000}
    results: dict = {"days": days, "orders_per_day_per_marketplace": orders_per_day, "duckdb": [], "ducklake": []}
    s3_port = _free_port()
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
    s3.start()
    try:
        import boto3

        boto3.client("s3", endpoint_url=f"http://127.0.0.1:{s3_port}", region_name="us-east-1", aws_access_key_id="bench",
                     aws_secret_access_key="bench").create_bucket(Bucket="lake")
        with _postgres(work) as (pg_port, user, password, bin_dir), \
                sandbox(port, str(work / "sandbox"), knobs, log_path=str(work / "sandbox.log")) as url:
            base = {**os.environ, "AMAZON_ZOHO_SANDBOX_URL": url, "AMAZON_ZOHO_SANDBOX_TIME_SCALE": "1000",
                    "AMAZON_ZOHO_START_DATE": first.isoformat(), clock.ENVIRONMENT_VARIABLE: clock.anchor()}
            for writers in writer_counts:
                for engine in ("duckdb", "ducklake"):
                    name = f"{engine}_{writers}"
                    env = {**base, "AMAZON_ZOHO_WAREHOUSE": str(work / name / "warehouse.duckdb"),
                           "AMAZON_ZOHO_ARCHIVE_DIR": str(work / name / "archive")}
                    if engine == "ducklake":
                        _createdb(bin_dir, pg_port, user, password, name)
                        env.update({
                            "AMAZON_ZOHO_WAREHOUSE_ENGINE": "ducklake",
                            "AMAZON_ZOHO_DUCKLAKE_CATALOG": f"host=127.0.0.1 port={pg_port} dbname={name} user={user}",
                            "AMAZON_ZOHO_DUCKLAKE_CATALOG_PASSWORD": password,
                            "AMAZON_ZOHO_DUCKLAKE_DATA_PATH": f"s3://lake/{name}/",
                            "AMAZON_ZOHO_S3_ENDPOINT": f"127.0.0.1:{s3_port}", "AMAZON_ZOHO_S3_USE_SSL": "0",
                            "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                        })
                    figure = _one(env, first, days, writers, work / f"{name}.log")
                    results[engine].append(figure)
                    print(f"{engine:8} writers={writers}: {figure}", flush=True)
    finally:
        s3.stop()
    results["work"] = str(work)
    return results


def table(results: dict) -> str:
    lines = ["| writers | DuckDB file rows/s (wall s) | DuckLake rows/s (wall s) | rows (file / lake) | duplicate keys (file / lake) "
             "| Zoho tokens minted (file / lake) |", "|---|---|---|---|---|---|"]
    for f, lake in zip(results["duckdb"], results["ducklake"]):
        mark = lambda r: "" if r["ok"] else " FAILED"  # noqa: E731
        lines.append(f"| {f['writers']} | {f['rows_per_s']} ({f['wall_s']}){mark(f)} | {lake['rows_per_s']} ({lake['wall_s']}){mark(lake)} "
                     f"| {f['rows']} / {lake['rows']} | {f['duplicate_keys']} / {lake['duplicate_keys']} "
                     f"| {f.get('zoho_tokens_minted')} / {lake.get('zoho_tokens_minted')} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=8)
    parser.add_argument("--orders-per-day", type=int, default=40)
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    results = run(args.days, args.orders_per_day, tuple(args.writers))
    print(table(results))
    print(json.dumps(results))


if __name__ == "__main__":
    main()

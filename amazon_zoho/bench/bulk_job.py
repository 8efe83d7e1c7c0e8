"""One Bulk Write job's files built from 25,000 sales orders of `to_send` (issue #17): wall time and the client's
resident memory while they are built (bulk_files.job_files) and the job's records read for applying its answers.

    .venv/bin/python -m amazon_zoho.bench.bulk_job [--records 25000] [--long-text-share 0.01]

The payloads are made by DuckDB in the shape sales_orders_payload.sql and pending.sql give them (every field of
mapping.yaml's Sales_Orders, keys sorted, lookups as {"id": ...}, money as DECIMAL, 1-3 line items), about 1.7 KB
each as issue #17 profiled; names and streets mix Latin-1, other European and CJK text, some with commas, quotes
and line breaks, and a share of subjects is longer than the field so fitting runs. Field lengths are the sandbox
org's (Zoho's standard fields plus mapping.yaml's custom fields). The process holds nothing else, so its RSS
before the build is DuckDB and Python with `to_send` loaded; the peak is sampled every 5 ms while building.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb

from ..sandbox.zoho.catalog import _standard
from ..settings import DEFAULT_DUCKDB_MEMORY_LIMIT
from ..zoho import bulk_files, sync  # noqa: F401 - sync: the push's modules loaded before measuring, as in a run
from ..zoho.fit import text_lengths
from ..zoho.mapping import load
from ..zoho.rows import JobRecord, fetch

MODULE = "Sales_Orders"
MONEY = ("adjustment", "order_total", "tax_total", "shipping_total", "discount_total", "other_charges")
# Sources whose values are short codes, as Amazon and core.orders give them.
CODES = {
    "currency": "'EUR'", "bill_country": "'DE'", "ship_country": "'DE'", "marketplace_id": "'A1PA6795UKMFR9'",
    "sales_channel": "'Amazon.de'", "fulfillment_channel": "'AFN'", "amazon_status": "'Shipped'", "status": "'Delivered'",
    "bill_postal_code": "printf('%05d', i % 100000)", "ship_postal_code": "printf('%05d', i % 100000)",
    "purchase_time": "strftime(TIMESTAMP '2026-01-01' + to_seconds(i * 60), '%Y-%m-%dT%H:%M:%SZ')",
    "purchase_local_date": "strftime(DATE '2026-01-01' + (i // 1000)::INTEGER, '%Y-%m-%d')",
}
NAMES = ["Müller, Jürgen", 'Anna "Annie" Smith', "José Álvarez", "山田 太郎", "Łukasz Wiśniewski", "O'Brien\nSeán", "Zoë Brontë"]


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Peak:
    """The highest RSS seen while the block runs, sampled by a thread."""

    def __enter__(self) -> _Peak:
        self.peak, self._stop = _rss(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())


def _value(field: str, source: str, lookups: dict, long_text_share: float) -> str:
    """A SQL expression for one payload field, row `i`."""
    if field in lookups:
        return "json_object('id', (4150868000000000 + i)::VARCHAR)"
    if source in MONEY:
        return "round(random() * 300, 2)::DECIMAL(18, 2)"
    if source == "prices_include_tax":
        return "i % 2 = 0"
    if source in CODES:
        return CODES[source]
    if source == "order_id":
        return "printf('171-%07d-%07d', i, i * 7 % 10000000)"
    if source == "subject":
        return (f"CASE WHEN random() < {long_text_share} THEN repeat('Sehr langer Titel 😀 mit Familie 👩‍👩‍👧, ', 8) "
                "ELSE printf('Amazon order 171-%07d', i) END")
    names = "[" + ", ".join("'" + n.replace("'", "''") + "'" for n in NAMES) + "]"
    return f"{names}[1 + i % {len(NAMES)}] || ' ' || '{source}'"


def setup(database: str, records: int, long_text_share: float) -> None:
    """The table `bench_to_send` in `database`: `to_send` as classify_pending.sql leaves it, with `records` new sales
    orders. Run in a process of its own, so what making them costs is not in the measured process's RSS."""
    mm = load()[MODULE]
    fields = ", ".join(f"'{name}', {_value(name, source, mm.lookups, long_text_share)}" for name, source in sorted(mm.fields.items()))
    item = ("json_object('Product_Name', json_object('id', (4150868000900000 + i * 3 + n)::VARCHAR), 'Quantity', 1 + n % 3, "
            "'List_Price', round(random() * 80, 2)::DECIMAL(18, 2), 'Discount', 0.00::DECIMAL(18, 2))")
    with duckdb.connect(database) as conn:
        conn.execute(f"""
        CREATE OR REPLACE TABLE bench_to_send AS
        WITH orders AS (SELECT range AS i FROM range(1, $records + 1))
        SELECT
            i AS seq, printf('171-%07d-%07d', i, i * 7 % 10000000) AS record_key, md5(i::VARCHAR) AS payload_hash, NULL::VARCHAR AS zoho_id,
            TRUE AS lines_sent,
            json_merge_patch(json_object({fields}),
                             json_object('{mm.line_items_field}', (SELECT to_json(list({item})) FROM range(1 + i % 3) AS r(n))))::VARCHAR AS send_payload
        FROM orders ORDER BY i
        """, {"records": records})


def lengths() -> dict[str, int]:
    custom = [{**f.definition(), "api_name": f.api_name} for f in load().custom_fields.get(MODULE, ())]
    return text_lengths(_standard(MODULE) + custom)


def build(conn: duckdb.DuckDBPyConnection, records: int) -> dict:
    """What the push does for one job before uploading it (sync._send): the files, their records, the zip's bytes."""
    with bulk_files.job_files(conn, load()[MODULE], 0, records, lengths()) as files:
        chunk = fetch(conn, JobRecord, "SELECT record_key, zoho_id, lines_sent FROM bulk_records ORDER BY seq")
        archive = files.archive.read_bytes()
        return {"records": len(chunk), "zip_bytes": len(archive), "truncated": files.truncated}


def run(records: int = 25_000, long_text_share: float = 0.01) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-bulk-job-") as work:
        database = str(Path(work) / "warehouse.duckdb")
        maker = multiprocessing.get_context("spawn").Process(target=setup, args=(database, records, long_text_share))
        maker.start()
        maker.join()
        conn = duckdb.connect(database, config={"memory_limit": DEFAULT_DUCKDB_MEMORY_LIMIT, "temp_directory": str(Path(work) / "duckdb_tmp")})
        conn.execute("CREATE TEMP TABLE to_send AS SELECT * FROM bench_to_send ORDER BY seq")
        [(payload_bytes,)] = conn.execute("SELECT sum(strlen(send_payload)) FROM to_send").fetchall()
        before = _rss()
        started, cpu = time.perf_counter(), _cpu()
        with _Peak() as peak:
            out = build(conn, records)
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
        conn.close()
    return {
        **out,
        "payload_bytes_per_record": round(payload_bytes / records),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),  # every thread of the process (DuckDB's too): steadier than wall on a busy machine
        "rss_before_mb": round(before / 2**20),
        "rss_peak_mb": round(peak.peak / 2**20),
        "rss_growth_mb": round((peak.peak - before) / 2**20),
        "max_rss_process_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=25_000)
    parser.add_argument("--long-text-share", type=float, default=0.01)
    args = parser.parse_args(argv)
    json.dump(run(args.records, args.long_text_share), sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()

"""The Bulk Write path (API-FACTS §9): a zipped CSV uploaded to /crm/v8/upload, a job created at
/crm/bulk/v8/write, polled until it completes, and its result file read back into per-record answers
shaped like the upsert API's, so the rest of the sync cannot tell the two paths apart.

A job costs 500 credits for up to 25,000 records; upsert costs 1 per 10. `cheaper_path` picks per module.
Sales orders carry their line items in a second CSV of the same zip, linked to the order row by
Parent_Id (Zoho's parent-child bulk write); lookups are sent as ids (`find_by: id`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
import zipfile
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from .. import clock
from ..http.errors import ApiError
from .client import MAX_UPSERT_BATCH, ZohoCrmClient, write_cost
from .mapping import ModuleMapping

JOB_CREDITS = 500
MAX_JOB_RECORDS = 25_000
MAX_CSV_BYTES = 25 * 1024 * 1024
# Upload, a few status polls and the result download cost 1 credit each on top of the job.
JOB_OVERHEAD_CREDITS = 6
PARENT_LINK = "Parent_Id"
# When to poll a job (each status poll costs 1 credit, API-FACTS §9). Zoho publishes no processing time; we expect
# ~0.5 s per 1,000 records (the sandbox models the same: sandbox/config.py zoho_bulk_seconds_per_1000_records), so the
# first poll comes then. After it, polls grow 1.5x from poll_seconds up to FEW_SECONDS, or to a tenth of the time
# the job has run, whichever is longer, never more than MAX_POLL_SECONDS apart: a job finishing just after a poll
# waits at most 5 s (or 10 % of its run once it has run 50 s), and a job running an hour costs ~90 polls, not one
# every 5 s (720). (Before: 2 s growing 1.5x to 30 s, up to 30 s lost per job.)
EXPECTED_SECONDS_PER_1000_RECORDS = 0.5
FEW_SECONDS = 5.0
WASTE_SHARE = 0.1
MAX_POLL_SECONDS = 60.0


def upsert_cost(records: int) -> int:
    full, rest = divmod(records, MAX_UPSERT_BATCH)
    return full * write_cost(MAX_UPSERT_BATCH) + (write_cost(rest) if rest else 0)


def bulk_cost(records: int) -> int:
    return math.ceil(records / MAX_JOB_RECORDS) * (JOB_CREDITS + JOB_OVERHEAD_CREDITS)


def floor_cost(records: int) -> int:
    """The fewest credits Zoho can charge for writing `records` of one module: upserts, or Bulk Write jobs
    without the calls around them (the floor benchmarks compare against)."""
    return min(upsert_cost(records), math.ceil(records / MAX_JOB_RECORDS) * JOB_CREDITS)


def cheaper_path(records: int, preference: str = "auto") -> str:
    """'bulk' when Bulk Write costs fewer credits (above ~5,060 records per module), else 'upsert'."""
    if preference in ("upsert", "bulk"):
        return preference
    return "bulk" if records and bulk_cost(records) < upsert_cost(records) else "upsert"


def write_job(client: ZohoCrmClient, mapping: ModuleMapping, records: list[tuple[str, dict | str]], poll_seconds: float = 2.0,
              on_created: Callable[[str], None] = lambda job_id: None) -> list[dict]:
    """One upsert job for ≤25,000 (record_key, payload) pairs, each payload a dict or its JSON text; per-record
    results in input order."""
    if len(records) > MAX_JOB_RECORDS:
        raise ValueError(f"a Bulk Write job takes at most {MAX_JOB_RECORDS} records, got {len(records)}")
    archive, resources = build_files(mapping, records)
    file_id = upload(client, archive)
    for resource in resources:
        resource["file_id"] = file_id
    body = {"operation": "upsert", "ignore_empty": False, "resource": resources}
    _, answer = client.call("bulkWriteCreate", "POST", "/crm/bulk/v8/write", json=body, credits=JOB_CREDITS)
    job_id = str(answer["details"]["id"])
    on_created(job_id)
    job = wait(client, job_id, poll_seconds, expected_seconds=len(records) / 1000 * EXPECTED_SECONDS_PER_1000_RECORDS)
    return results(client, job, [key for key, _ in records])


def upload(client: ZohoCrmClient, archive: bytes) -> str:
    headers = {"feature": "bulk-write", "X-CRM-ORG": client.org_id()}
    files = {"file": ("records.zip", archive, "application/zip")}
    _, answer = client.call("bulkWriteUpload", "POST", "/crm/v8/upload", files=files, headers=headers, url=client.files_url + "/crm/v8/upload")
    return str(answer["details"]["file_id"])


def next_poll(previous: float, elapsed: float) -> float:
    """Seconds to the next status poll of a job that has run `elapsed` seconds, the last wait being `previous`."""
    return min(MAX_POLL_SECONDS, max(min(previous * 1.5, FEW_SECONDS), WASTE_SHARE * elapsed))


def wait(client: ZohoCrmClient, job_id: str, poll_seconds: float = 2.0, timeout: float = 6 * 3600,
         expected_seconds: float = 0.0) -> dict:
    """Polls until COMPLETED (or FAILED, raised): first when the job is expected to be done, then as next_poll says."""
    deadline = time.monotonic() + timeout
    step, delay, elapsed = poll_seconds, max(poll_seconds, expected_seconds), 0.0
    while True:
        clock.sleep(delay)
        elapsed += delay
        _, job = client.call("bulkWriteStatus", "GET", f"/crm/bulk/v8/write/{job_id}")
        if job.get("status") == "COMPLETED":
            return job
        if job.get("status") == "FAILED":
            reason = "; ".join(f"{r.get('code')}: {r.get('message')}" for r in job.get("resource", []) if r.get("code"))
            raise ApiError("zoho", "bulkWrite", 200, f"Bulk Write job {job_id} FAILED: {reason or json.dumps(job)[:500]}")
        if time.monotonic() > deadline:
            raise ApiError("zoho", "bulkWrite", 200, f"Bulk Write job {job_id} still {job.get('status')} after {timeout:.0f} s")
        delay = step = next_poll(step, elapsed)


def results(client: ZohoCrmClient, job: dict, keys: list[str] | None = None) -> list[dict]:
    """The job's result CSV as upsert-style answers, in file order (checked against `keys` when given)."""
    _, data = client.call("bulkWriteResult", "GET", "", url=job["result"]["download_url"], raw=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        text = archive.read(archive.namelist()[0]).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    if keys is not None and [next(iter(r.values())) for r in rows] != keys:
        raise ApiError("zoho", "bulkWrite", 200, f"Bulk Write job {job['id']} answered {len(rows)} rows for {len(keys)} records, or out of order")
    return [_answer(row) for row in rows]


def _answer(row: dict) -> dict:
    status = row.get("STATUS", "")
    key = next(iter(row.values()))
    if status in ("ADDED", "UPDATED"):
        return {"key": key, "status": "success", "action": "insert" if status == "ADDED" else "update", "details": {"id": row["RECORD_ID"]}}
    errors = row.get("ERRORS") or "UNPROCESSED-"
    code, _, column = errors.split(":")[0].partition("-")
    return {"key": key, "status": "error", "code": code or "UNPROCESSED", "message": f"Bulk Write: {errors}",
            "details": {"api_name": column.split(",")[0] or None, "errors": errors}}


class CsvFile(NamedTuple):
    """One CSV of a Bulk Write zip and the job `resource` that tells Zoho what its columns are."""

    name: str
    data: bytes  # the CSV as UTF-8
    resource: dict


def build_files(mapping: ModuleMapping, records: list[tuple[str, dict | str]]) -> tuple[bytes, list[dict]]:
    """The zip (one CSV per module, plus one for line items) and the job's `resource` list.

    Payloads may come as JSON text (the push passes them as DuckDB holds them): each is parsed when its row is
    written and dropped after, so a job never holds 25,000 parsed payloads at once (issue #17). The records'
    columns are the union of their fields, so the payloads are read twice: once for the header, once for the rows
    (of both CSVs)."""
    def payloads() -> Iterator[dict]:
        return (json.loads(p) if isinstance(p, str) else p for _, p in records)

    columns = [mapping.key] + [c for c in _columns(payloads()) if c not in (mapping.key, mapping.line_items_field)]
    line_columns = list(mapping.line_fields) if mapping.line_items_field else []
    records_csv, records_out = _writer(columns)
    items_csv, items_out = _writer([PARENT_LINK] + line_columns)
    items = 0
    for payload in payloads():
        records_csv.writerow([_cell(payload.get(c)) for c in columns])
        for item in (payload.get(mapping.line_items_field) or []) if mapping.line_items_field else ():
            items_csv.writerow([payload[mapping.key]] + [_cell(item.get(c)) for c in line_columns])
            items += 1
    files = [_records_file(mapping, columns, _bytes(records_out))]
    if items:
        files.append(_line_items_file(mapping, line_columns, _bytes(items_out)))
    _check_sizes(files)
    return _zip(files), [f.resource for f in files]


def _records_file(mapping: ModuleMapping, columns: list[str], data: bytes) -> CsvFile:
    """The module's records, one row each, the match key first; Zoho finds each record by that key."""
    name = f"{mapping.module}.csv"
    resource = {
        "type": "data",
        "module": {"api_name": mapping.module},
        "file_names": [name],
        "find_by": mapping.key,
        "field_mappings": _field_mappings(columns, set(mapping.lookups)),
    }
    return CsvFile(name, data, resource)


def _line_items_file(mapping: ModuleMapping, columns: list[str], data: bytes) -> CsvFile:
    """The line items, each linked to its order's row by the order's key in PARENT_LINK (Zoho's parent-child write)."""
    lookups = {name for name, source in mapping.line_fields.items() if source == "product"}
    name = f"{mapping.line_items_field}.csv"
    resource = {
        "type": "data",
        "module": {"api_name": mapping.line_items_field},
        "file_names": [name],
        "field_mappings": [{"api_name": PARENT_LINK, "index": 0, "parent_column_index": 0}] + _field_mappings(columns, lookups, first=1),
    }
    return CsvFile(name, data, resource)


def _field_mappings(columns: list[str], lookups: set[str], first: int = 0) -> list[dict]:
    """Which CSV column (by index) holds which field; lookups are given as record ids."""
    return [{"api_name": c, "index": i, **({"find_by": "id"} if c in lookups else {})} for i, c in enumerate(columns, first)]


def _writer(header: list[str]) -> tuple[Any, io.TextIOWrapper]:
    """A CSV writer (rows end in LF) that has written `header`, and the stream it writes to: UTF-8 bytes as it goes,
    since a StringIO holding one character outside Latin-1 (a buyer's name) keeps 4 bytes per character, 100 MB
    for a 25 MB file (issue #17)."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    return writer, out


def _bytes(out: io.TextIOWrapper) -> bytes:
    """What `out` (from _writer) holds."""
    out.flush()
    return out.buffer.getvalue()


def _check_sizes(files: list[CsvFile]) -> None:
    too_big = [f.name for f in files if len(f.data) > MAX_CSV_BYTES]
    if too_big:
        raise ValueError(f"{too_big} exceed Zoho's 25 MB per CSV; push fewer records per job")


def _zip(files: list[CsvFile]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for f in files:
            archive.writestr(f.name, f.data)
    return buffer.getvalue()


def _columns(payloads) -> list[str]:
    seen: dict[str, None] = {}
    for payload in payloads:
        seen.update(dict.fromkeys(payload))
    return list(seen)


def _cell(value) -> str:
    """A JSON value as a CSV cell Zoho reads back to the same value (empty = null, lookups by id)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return json.dumps(value)
    return str(value)

"""The Bulk Write path (API-FACTS §9): a zipped CSV uploaded to /crm/v8/upload, a job created at
/crm/bulk/v8/write, polled until it completes, and its result file read back into per-record answers
shaped like the upsert API's, so the rest of the sync cannot tell the two paths apart.

A job costs 500 credits for up to 25,000 records; upsert costs 1 per 10. `cheaper_path` picks per module.
Sales orders carry their line items in a second CSV of the same zip, linked to the order row by
Parent_Id (Zoho's parent-child bulk write); lookups are sent as ids (`find_by: id`). DuckDB writes the CSVs
(bulk_files.py); this module holds the calls and the job's `resource` that tells Zoho what their columns are.
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
import zipfile
from collections.abc import Callable

from .. import clock
from ..http.errors import ApiError
from .client import MAX_UPSERT_BATCH, ZohoCrmClient, write_cost
from .mapping import ModuleMapping

JOB_CREDITS = 500
# "A CSV file can contain a maximum of 25000 records with 200 column headers" (25 MB for the upload), per module
# (https://www.zoho.com/crm/developer/docs/api/bulk-write/limitations.html).
# UNVERIFIED against a real org: the same page says "For subforms and line items, the CSV file can contain a maximum
# of 200 rows(records)". Read as per parent record (as the Subform API limits a record's subform rows), our orders,
# with a few line items each, are far inside it. Read as per file, a Sales_Orders job could carry 200 line items,
# which makes Bulk Write dearer than upsert for any order sent with its line items; the sandbox enforces neither.
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


def write_job(client: ZohoCrmClient, archive: bytes, resources: list[dict], keys: list[str], poll_seconds: float = 2.0,
              on_created: Callable[[str], None] = lambda job_id: None) -> list[dict]:
    """One upsert job of the zip `archive` (bulk_files.build) holding the ≤25,000 records `keys`, in file order, and
    per-record results in that order."""
    if len(keys) > MAX_JOB_RECORDS:
        raise ValueError(f"a Bulk Write job takes at most {MAX_JOB_RECORDS} records, got {len(keys)}")
    file_id = upload(client, archive)
    resources = [{**resource, "file_id": file_id} for resource in resources]
    body = {"operation": "upsert", "ignore_empty": False, "resource": resources}
    _, answer = client.call("bulkWriteCreate", "POST", "/crm/bulk/v8/write", json=body, credits=JOB_CREDITS)
    job_id = str(answer["details"]["id"])
    on_created(job_id)
    job = wait(client, job_id, poll_seconds, expected_seconds=len(keys) / 1000 * EXPECTED_SECONDS_PER_1000_RECORDS)
    return results(client, job, keys)


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


def records_resource(mapping: ModuleMapping, columns: list[str]) -> dict:
    """The job `resource` of the module's CSV (the match key first): Zoho finds each record by that key."""
    return {
        "type": "data",
        "module": {"api_name": mapping.module},
        "file_names": [f"{mapping.module}.csv"],
        "find_by": mapping.key,
        "field_mappings": _field_mappings(columns, set(mapping.lookups)),
    }


def line_items_resource(mapping: ModuleMapping, columns: list[str]) -> dict:
    """The job `resource` of the line items CSV, each row linked to its order's row by the order's key in PARENT_LINK
    (Zoho's parent-child write), then `columns`."""
    lookups = {name for name, source in mapping.line_fields.items() if source == "product"}
    return {
        "type": "data",
        "module": {"api_name": mapping.line_items_field},
        "file_names": [f"{mapping.line_items_field}.csv"],
        "field_mappings": [{"api_name": PARENT_LINK, "index": 0, "parent_column_index": 0}] + _field_mappings(columns, lookups, first=1),
    }


def _field_mappings(columns: list[str], lookups: set[str], first: int = 0) -> list[dict]:
    """Which CSV column (by index) holds which field; lookups are given as record ids."""
    return [{"api_name": c, "index": i, **({"find_by": "id"} if c in lookups else {})} for i, c in enumerate(columns, first)]

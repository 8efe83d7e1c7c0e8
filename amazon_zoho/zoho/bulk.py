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
from collections.abc import Callable

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


def write_job(client: ZohoCrmClient, mapping: ModuleMapping, records: list[tuple[str, dict]], poll_seconds: float = 2.0,
              on_created: Callable[[str], None] = lambda job_id: None) -> list[dict]:
    """One upsert job for ≤25,000 (record_key, payload) pairs; per-record results in input order."""
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
    job = wait(client, job_id, poll_seconds)
    return results(client, job, [key for key, _ in records])


def upload(client: ZohoCrmClient, archive: bytes) -> str:
    headers = {"feature": "bulk-write", "X-CRM-ORG": client.org_id()}
    files = {"file": ("records.zip", archive, "application/zip")}
    _, answer = client.call("bulkWriteUpload", "POST", "/crm/v8/upload", files=files, headers=headers, url=client.files_url + "/crm/v8/upload")
    return str(answer["details"]["file_id"])


def wait(client: ZohoCrmClient, job_id: str, poll_seconds: float = 2.0, timeout: float = 6 * 3600) -> dict:
    """Polls until COMPLETED (or FAILED, raised), waiting longer between polls as the job runs."""
    deadline = time.monotonic() + timeout
    delay = poll_seconds
    while True:
        clock.sleep(delay)
        _, job = client.call("bulkWriteStatus", "GET", f"/crm/bulk/v8/write/{job_id}")
        if job.get("status") == "COMPLETED":
            return job
        if job.get("status") == "FAILED":
            reason = "; ".join(f"{r.get('code')}: {r.get('message')}" for r in job.get("resource", []) if r.get("code"))
            raise ApiError("zoho", "bulkWrite", 200, f"Bulk Write job {job_id} FAILED: {reason or json.dumps(job)[:500]}")
        if time.monotonic() > deadline:
            raise ApiError("zoho", "bulkWrite", 200, f"Bulk Write job {job_id} still {job.get('status')} after {timeout:.0f} s")
        delay = min(delay * 1.5, 30.0)


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


def build_files(mapping: ModuleMapping, records: list[tuple[str, dict]]) -> tuple[bytes, list[dict]]:
    """The zip (one CSV per module, plus one for line items) and the job's `resource` list."""
    lines_field = mapping.line_items_field
    columns = [mapping.key] + [c for c in _columns(p for _, p in records) if c not in (mapping.key, lines_field)]
    lookups = set(mapping.lookups)
    parent = io.StringIO()
    writer = csv.writer(parent, lineterminator="\n")
    writer.writerow(columns)
    for _, payload in records:
        writer.writerow([_cell(payload.get(c)) for c in columns])
    name = f"{mapping.module}.csv"
    files = {name: parent.getvalue()}
    resources = [{
        "type": "data",
        "module": {"api_name": mapping.module},
        "file_names": [name],
        "find_by": mapping.key,
        "field_mappings": [{"api_name": c, "index": i, **({"find_by": "id"} if c in lookups else {})} for i, c in enumerate(columns)],
    }]
    items = [(payload[mapping.key], item) for _, payload in records for item in (payload.get(lines_field) or [])] if lines_field else []
    if items:
        item_columns = list(mapping.line_fields)
        item_lookups = {name for name, src in mapping.line_fields.items() if src == "product"}
        child = io.StringIO()
        writer = csv.writer(child, lineterminator="\n")
        writer.writerow([PARENT_LINK] + item_columns)
        for parent_key, item in items:
            writer.writerow([parent_key] + [_cell(item.get(c)) for c in item_columns])
        child_name = f"{lines_field}.csv"
        files[child_name] = child.getvalue()
        resources.append({
            "type": "data",
            "module": {"api_name": lines_field},
            "file_names": [child_name],
            "field_mappings": [{"api_name": PARENT_LINK, "index": 0, "parent_column_index": 0}]
            + [{"api_name": c, "index": i + 1, **({"find_by": "id"} if c in item_lookups else {})} for i, c in enumerate(item_columns)],
        })
    too_big = [n for n, text in files.items() if len(text.encode()) > MAX_CSV_BYTES]
    if too_big:
        raise ValueError(f"{too_big} exceed Zoho's 25 MB per CSV; push fewer records per job")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file_name, text in files.items():
            archive.writestr(file_name, text)
    return buffer.getvalue(), resources


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

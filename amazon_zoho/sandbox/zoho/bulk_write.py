"""Zoho CRM Bulk Write (bulk_write.json; API-FACTS §9): upload a zipped CSV, create a job, poll it,
download the result.

1. `POST /crm/v8/upload` (content.zohoapis.<tld> in Zoho; this server here), multipart field `file`,
   headers `feature: bulk-write` and `X-CRM-ORG: <zgid>`. Only a zip is accepted ("invalid file format.
   only zip format is supported"), at most 25 MB. Answers 200 FILE_UPLOAD_SUCCESS with `details.file_id`.
2. `POST /crm/bulk/v8/write` {operation insert|update|upsert, ignore_empty, resource[{type "data",
   module{api_name}, file_id, file_names?, find_by, field_mappings[{api_name, index, find_by?,
   parent_column_index?}]}]}: 201 with `details.id`, 500 credits. A module with a subform takes a second
   resource whose module is the subform (`Ordered_Items`), from a second CSV in the same zip, linked to
   its parent row by a `Parent_Id` mapping whose `parent_column_index` names the parent CSV column that
   holds the same value (Kaizen #131, parent-child bulk write). Lookup columns carry `find_by`
   ("id", or a unique field of the looked-up module).
3. `GET /crm/bulk/v8/write/{job_id}`: ADDED -> IN PROGRESS -> COMPLETED (or FAILED); `resource[].file`
   has added/updated/skipped/total counts, `result.download_url` the result zip.
4. The result CSV ("Download Bulk Write Result" docs) is the first three columns of the uploaded file,
   then STATUS (ADDED, UPDATED, SKIPPED), RECORD_ID and ERRORS (`<CODE>-<column>`), one row per parent
   row, in file order.

Records are written exactly as the records API writes them (writes.write_batch: same validation, same
duplicate checks, same line-item append semantics), so both paths leave the same data. Credits: upload,
status and download 1 each (Zoho's default per call), the job 500. A job's records cost nothing more.
"""

from __future__ import annotations

import csv
import email.parser
import email.policy
import io
import json
import threading
import time
import zipfile

from ..http import Request, Response
from .catalog import LINE_ITEMS_MODULE, MODULES, line_item_fields
from .common import ORG_ID, USER, error, error_response, iso, next_ids
from .limits import BULK_WRITE_CREDITS
from .org import org_of
from .writes import write_batch

MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_RECORDS = 25_000
CHUNK = 100  # records written per lock hold and per commit, so the records API stays responsive during a job
PARENT_LINK = "Parent_Id"
_MINI_USER = {"name": USER["name"], "id": USER["id"]}

SCHEMA = """
CREATE TABLE IF NOT EXISTS zoho_bulk_files (id TEXT PRIMARY KEY, data BLOB NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS zoho_bulk_jobs (id TEXT PRIMARY KEY, job TEXT NOT NULL, result BLOB);
"""


def register(app) -> None:
    org = org_of(app)
    app.store.ensure(SCHEMA)
    g = org.limits.guarded
    r = app.router
    r.add("POST", "/crm/v8/upload", "zoho", "zoho_bulk_upload", g(lambda req: _upload(org, req)))
    r.add("POST", "/crm/bulk/v8/write", "zoho", "zoho_bulk_write_create", g(lambda req: _create(org, req)))
    r.add("GET", "/crm/bulk/v8/write/{job_id}", "zoho", "zoho_bulk_write_get", g(lambda req: _get(org, req)))
    r.add("GET", "/v2/crm/{org_id}/bulk-write/{job_id}/{file_name}", "zoho", "zoho_bulk_write_download", g(lambda req: _download(org, req)))
    # A job that was running when the sandbox stopped carries on when it starts again.
    for row in app.store.query("SELECT id, job FROM zoho_bulk_jobs"):
        if json.loads(row["job"])["status"] in ("ADDED", "IN PROGRESS"):
            _start(org, row["id"])


# -- 1. upload ---------------------------------------------------------------------------------


def _upload(org, req: Request) -> Response:
    if req.header("feature") != "bulk-write" or req.header("x-crm-org") != ORG_ID:
        return Response.json(400, {"code": "INVALID_REQUEST", "details": {}, "message": "invalid request", "status": "error",
                                   "x-error": "check if headers [feature, X-CRM-ORG] are present and valid"})
    data = _multipart_file(req)
    if data is None:
        return error_response(400, "MISSING_REQUIRED_KEY", "required key file is not found in request body.", {"param": "file"})
    if len(data) > MAX_FILE_BYTES:
        return error_response(400, "FILE_TOO_LARGE", "File size too large to process", {"limit": MAX_FILE_BYTES})
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return error_response(400, "INVALID_FILE_FORMAT", "invalid file format. only zip format is supported")
    denied = org.limits.charge("bulk_write_upload", 1)
    if denied:
        return denied
    file_id = next_ids(org.app.store)[0]
    org.app.store.execute("INSERT INTO zoho_bulk_files(id, data, created) VALUES (?, ?, ?)", (file_id, data, org.app.now()))
    details = {"file_id": file_id, "id": file_id, "created_time": iso(org.app.now()), "created_by": dict(_MINI_USER)}
    return Response.json(200, {"status": "success", "code": "FILE_UPLOAD_SUCCESS", "message": "file uploaded.", "details": details})


def _multipart_file(req: Request) -> bytes | None:
    content_type = req.header("content-type") or ""
    if not content_type.startswith("multipart/form-data"):
        return None
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + req.body)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            return part.get_payload(decode=True)
    return None


# -- 2. create ---------------------------------------------------------------------------------


class JobError(Exception):
    def __init__(self, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.body = error(code, message, details)


def _create(org, req: Request) -> Response:
    try:
        body = req.json()
    except ValueError:
        body = None
    try:
        job = _validated_job(org, body)
    except JobError as exc:
        return Response.json(400, exc.body)
    denied = org.limits.charge(f"bulk_write:{job['resource'][0]['module']['api_name']}", BULK_WRITE_CREDITS)
    if denied:
        return denied
    job_id = next_ids(org.app.store)[0]
    job.update({"id": job_id, "status": "ADDED", "created_by": dict(_MINI_USER), "created_time": iso(org.app.now())})
    org.app.store.execute("INSERT INTO zoho_bulk_jobs(id, job) VALUES (?, ?)", (job_id, json.dumps(job)))
    _start(org, job_id)
    details = {"id": job_id, "created_by": dict(_MINI_USER)}
    return Response.json(201, {"status": "success", "code": "SUCCESS", "message": "success", "details": details})


def _validated_job(org, body) -> dict:
    if not isinstance(body, dict) or body.get("operation") not in ("insert", "update", "upsert"):
        raise JobError("MISSING_REQUIRED_KEY", "required key operation is not found in request body.", {"api_name": "operation"})
    resources = body.get("resource")
    if not isinstance(resources, list) or not resources:
        raise JobError("MISSING_REQUIRED_KEY", "required key resource is not found in request body.", {"api_name": "resource"})
    parent, children = resources[0], resources[1:]
    module = ((parent or {}).get("module") or {}).get("api_name")
    if module not in MODULES:
        raise JobError("MODULE_NOT_AVAILABLE", f"Requested module '{module}' is not available.", {"api_name": "module"})
    files = _files(org, parent.get("file_id"))
    fields = {f["api_name"]: f for f in org.catalog.fields(module)}
    _check_mappings(parent, fields, files)
    mapped = {m["api_name"] for m in parent["field_mappings"]}
    if body["operation"] != "update":
        missing = [name for name, f in fields.items() if f["mandatory"] and f["data_type"] != "subform" and name not in mapped]
        if missing:
            raise JobError("MANDATORY_FIELDS_NOT_MAPPED", "All mandatory fields are not mapped for the layout", {"api_names": missing})
    find_by = parent.get("find_by")
    if body["operation"] != "insert":
        allowed = set(org.catalog.default_dup_fields(module)) | {"id"}
        if find_by not in allowed or find_by not in mapped:
            raise JobError("INVALID_DATA", "invalid data", {"api_name": "find_by", "expected": sorted(allowed)})
    for child in children:
        if ((child or {}).get("module") or {}).get("api_name") != LINE_ITEMS_MODULE or module != "Sales_Orders":
            raise JobError("MODULE_NOT_AVAILABLE", "Requested module is not available.", {"api_name": "module"})
        if child.get("file_id") != parent.get("file_id"):
            raise JobError("INVALID_FILE_ID", "improper file id", {"api_name": "file_id"})
        items = {f["api_name"]: f for f in line_item_fields()}
        items[PARENT_LINK] = {"api_name": PARENT_LINK, "data_type": "text"}
        _check_mappings(child, items, files)
        if not any(m.get("api_name") == PARENT_LINK and isinstance(m.get("parent_column_index"), int) for m in child["field_mappings"]):
            raise JobError("MISSING_REQUIRED_KEY", f"required key parent_column_index for field {PARENT_LINK} is not found in request body.")
    rows = len(_csv(files, parent)) - 1
    if rows > MAX_RECORDS:
        raise JobError("LIMIT_EXCEEDED", "Record count exceeded", {"limit": MAX_RECORDS})
    job = {"operation": body["operation"], "ignore_empty": bool(body.get("ignore_empty", False)), "character_encoding": "UTF-8",
           "resource": [dict(r, type="data", module=_minified(r["module"]["api_name"])) for r in resources]}
    if isinstance(body.get("callback"), dict):
        job["callback"] = body["callback"]  # recorded; the sandbox does not call back, clients poll
    return job


def _minified(module: str) -> dict:
    """modules.json Minified_Module: the api_name and the module's id (a subform has none of its own here)."""
    return {"api_name": module, "id": MODULES[module][2] if module in MODULES else None}


def _files(org, file_id) -> dict[str, str]:
    rows = org.app.store.query("SELECT data FROM zoho_bulk_files WHERE id = ?", (str(file_id),))
    if not rows:
        raise JobError("INVALID_FILE_ID", "improper file id", {"api_name": "file_id"})
    with zipfile.ZipFile(io.BytesIO(rows[0]["data"])) as archive:
        return {name: archive.read(name).decode("utf-8-sig") for name in archive.namelist() if name.lower().endswith(".csv")}


def _csv(files: dict[str, str], resource: dict) -> list[list[str]]:
    names = resource.get("file_names") or []
    if not names:
        if len(files) != 1:
            raise JobError("FILE_NOT_SUPPORTED", "File not supported for bulk write", {"reason": "name the CSV in file_names"})
        names = list(files)
    if names[0] not in files:
        raise JobError("FILE_NOT_SUPPORTED", "File not supported for bulk write", {"file_names": names})
    text = files[names[0]]
    delimiter = next((d for d in (",", ";", "|", ":") if d in text.splitlines()[0]), ",") if text else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _check_mappings(resource: dict, fields: dict, files: dict) -> None:
    mappings = resource.get("field_mappings")
    if not isinstance(mappings, list) or not mappings:
        raise JobError("MISSING_REQUIRED_KEY", "required key field_mappings is not found in request body.")
    header = (_csv(files, resource) or [[]])[0]
    for m in mappings:
        name = m.get("api_name") if isinstance(m, dict) else None
        if name not in fields:
            raise JobError("INVALID_FIELD_NAME", f"invalid mapping. invalid api_name {name}.", {"api_name": name})
        if not isinstance(m.get("index"), int):
            raise JobError("MISSING_REQUIRED_KEY", f"required key index for field {name} is not found in request body.", {"api_name": name})
        if not 0 <= m["index"] < len(header):
            raise JobError("COLUMN_INDEX_NOT_FOUND", f"column index {m['index']} not found in the file", {"api_name": name})


# -- processing --------------------------------------------------------------------------------


def _start(org, job_id: str) -> None:
    threading.Thread(target=_run, args=(org, job_id), name=f"zoho-bulk-{job_id}", daemon=True).start()


def _load(org, job_id: str) -> dict | None:
    rows = org.app.store.query("SELECT job FROM zoho_bulk_jobs WHERE id = ?", (job_id,))
    return json.loads(rows[0]["job"]) if rows else None


def _save(org, job: dict, result: bytes | None = None) -> None:
    org.app.store.execute("UPDATE zoho_bulk_jobs SET job = ?, result = coalesce(?, result) WHERE id = ?", (json.dumps(job), result, job["id"]))


def _run(org, job_id: str) -> None:
    started = time.monotonic()
    job = _load(org, job_id)
    job["status"] = "IN PROGRESS"
    _save(org, job)
    parent, children = job["resource"][0], job["resource"][1:]
    try:
        files = _files(org, parent["file_id"])
        rows = _csv(files, parent)
        header, body = rows[0], rows[1:]
        columns = _columns(org, parent)
        records = [_record(org, columns, row, job["ignore_empty"]) for row in body]
        for child in children:
            _attach_items(org, child, _csv(files, child)[1:], parent, body, records)
        find_by = [parent["find_by"]] if job["operation"] == "upsert" and parent.get("find_by") != "id" else None
        if job["operation"] == "update" and parent.get("find_by") != "id":
            _resolve_ids(org, parent["module"]["api_name"], parent["find_by"], records)
        results = []
        for start in range(0, len(records), CHUNK):
            _, answer = write_batch(org, parent["module"]["api_name"], records[start : start + CHUNK], job["operation"], find_by)
            results.extend(answer["data"])
    except Exception as exc:  # noqa: BLE001 - a job that cannot run is FAILED, as in Zoho
        job["status"] = "FAILED"
        parent["status"] = "FAILED"
        parent["code"] = "CANNOT_PROCESS"
        parent["message"] = str(exc)[:200]
        _save(org, job)
        return
    name = (parent.get("file_names") or list(files))[0]
    result_zip, counts = _result(job, name, header, body, results)
    # Zoho's own processing time, modelled (the zoho_bulk_seconds_per_1000_records knob), not whatever our writes cost.
    time.sleep(max(0.0, len(records) / 1000 * org.app.config.zoho_bulk_seconds_per_1000_records - (time.monotonic() - started)))
    parent["status"] = "COMPLETED"
    parent["file"] = {"status": "COMPLETED", "name": name, **counts}
    for child in children:
        child["status"] = "COMPLETED"
    job["status"] = "COMPLETED"
    job["result"] = {"download_url": f"{org.app.base_url}/v2/crm/{ORG_ID}/bulk-write/{job_id}/{job_id}.zip"}
    _save(org, job, result_zip)


def _resolve_ids(org, module: str, find_by: str, records: list[dict]) -> None:
    """An update matched on a unique field writes to the record holding that value (none: the record
    fails with the records API's missing-id error)."""
    for record in records:
        ids = org.repo.find(module, find_by, record.get(find_by))
        if ids:
            record["id"] = ids[0]


def _value(org, field: dict, mapping: dict, cell: str, ignore_empty: bool):
    """A CSV cell as the records API would receive it; `...` means "leave the field alone"."""
    if cell == "":
        return ... if ignore_empty else None
    if field.get("data_type") == "lookup":
        find_by = mapping.get("find_by") or "id"
        if find_by == "id":
            return {"id": cell}
        ids = org.repo.find(field["lookup"], find_by, cell)
        return {"id": ids[0]} if ids else {"id": f"unresolved:{cell}"}
    if field.get("data_type") == "boolean":
        return cell.strip().lower() == "true"
    return cell


def _columns(org, resource: dict) -> list[tuple[str, int, dict, dict]]:
    """(api_name, column index, field, mapping) of each mapped column: looked up once per job, not once per cell
    (27 columns x 25,000 rows for the project's sales orders)."""
    module = resource["module"]["api_name"]
    return [(m["api_name"], m["index"], org.catalog.field(module, m["api_name"]), m) for m in resource["field_mappings"]]


def _record(org, columns: list[tuple[str, int, dict, dict]], row: list[str], ignore_empty: bool) -> dict:
    record = {}
    for api_name, index, field, mapping in columns:
        value = _value(org, field, mapping, row[index] if index < len(row) else "", ignore_empty)
        if value is not ...:
            record[api_name] = value
    return record


def _attach_items(org, child: dict, rows: list[list[str]], parent: dict, parent_rows: list[list[str]], records: list[dict]) -> None:
    """Line items go to the parent row whose `parent_column_index` cell equals the child's Parent_Id."""
    link = next(m for m in child["field_mappings"] if m["api_name"] == PARENT_LINK)
    position = {}
    for i, row in enumerate(parent_rows):
        position.setdefault(row[link["parent_column_index"]], i)
    items = {f["api_name"]: f for f in line_item_fields()}
    for row in rows:
        target = position.get(row[link["index"]])
        if target is None:
            continue  # an orphan child row is skipped, as Zoho skips it
        item = {}
        for m in child["field_mappings"]:
            if m["api_name"] == PARENT_LINK:
                continue
            value = _value(org, items[m["api_name"]], m, row[m["index"]], True)
            if value is not ...:
                item[m["api_name"]] = value
        records[target].setdefault(LINE_ITEMS_MODULE, []).append(item)


def _result(job: dict, name: str, header: list[str], body: list[list[str]], results: list[dict]) -> tuple[bytes, dict]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header[:3] + ["STATUS", "RECORD_ID", "ERRORS"])
    counts = {"added_count": 0, "updated_count": 0, "skipped_count": 0, "total_count": len(body)}
    for row, result in zip(body, results):
        if result["status"] == "success":
            added = result.get("action", "insert" if job["operation"] == "insert" else "update") == "insert"
            status = "ADDED" if added else "UPDATED"
            counts["added_count" if added else "updated_count"] += 1
            writer.writerow(row[:3] + [status, result["details"]["id"], ""])
        else:
            counts["skipped_count"] += 1
            column = (result.get("details") or {}).get("api_name") or ""
            writer.writerow(row[:3] + ["SKIPPED", "", f"{result['code']}-{column}"])
    module = job["resource"][0]["module"]["api_name"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{module}-{name}", out.getvalue())
    return buffer.getvalue(), counts


# -- 3. status, 4. result ----------------------------------------------------------------------


def _get(org, req: Request) -> Response:
    job = _load(org, req.path_params["job_id"])
    if job is None:
        return error_response(400, "RESOURCE_NOT_FOUND", "The requested resource doesn't exist.", {"id": req.path_params["job_id"]})
    denied = org.limits.charge("bulk_write_status", 1)
    if denied:
        return denied
    return Response.json(200, job)


def _download(org, req: Request) -> Response:
    rows = org.app.store.query("SELECT result FROM zoho_bulk_jobs WHERE id = ?", (req.path_params["job_id"],))
    if not rows or rows[0]["result"] is None or req.path_params["org_id"] != ORG_ID:
        return error_response(404, "RESOURCE_NOT_FOUND", "The requested resource doesn't exist.")
    denied = org.limits.charge("bulk_write_result", 1)
    if denied:
        return denied
    return Response(200, rows[0]["result"], {"Content-Type": "application/zip"})

"""Zoho CRM v8 records API for Contacts, Products and Sales_Orders (record.json; API-FACTS §8):
insert, update, upsert, get one, list, delete, search.

- Writes take at most 100 records (else 400 LIMIT_EXCEEDED) and answer per record, in input order
  (see writes.py for matching, errors and the 200/201/207/400 status rule).
- GET /{module} requires `fields` in v8 (400 REQUIRED_PARAM_MISSING without it, max 50 names);
  `page`/`per_page` (≤200) reach the first 2,000 records, beyond that Zoho requires `page_token`
  (info.next_page_token): a page past 2,000 answers 400 LIMIT_REACHED.
- GET /{module}?ids=a,b,... (record.json Get Records, query `ids`; at most 100, else 400 LIMIT_EXCEEDED) answers
  the records found, in the order asked, 204 when none is; an id no record has is left out of `data`. What Zoho
  does with an unknown id in `ids` is not documented in /work/shared/reference (UNVERIFIED): the client also
  copes with a 400 for the whole call (zoho/verify.py).
- Search answers 204 with an empty body when nothing matches; other modules answer
  400 INVALID_MODULE.
- Credits: writes 1 per 10 records, every other call 1 (limits.py).
"""

from __future__ import annotations

import base64
import json

from ..http import Request, Response
from . import criteria
from .catalog import MODULES
from .common import error_response, invalid_module, param_missing
from .limits import records_cost
from .org import org_of
from .writes import MAX_RECORDS, check_dup_fields, write_batch

# `/crm/v8/{module}` would also match /crm/v8/users, /org, /settings, /upload...: the router pastes
# the path into a regex, so a lookahead keeps those names for their own modules.
_M = r"/crm/v8/(?!(?:settings|users|org|upload|coql|__internal)(?:/|$)){module}"
MAX_FIELDS = 50
MAX_IDS = 100
DISCRETE_LIMIT = 2000


def register(app) -> None:
    org = org_of(app)
    g = org.limits.guarded
    heavy = lambda req: _record_count(req) > 10  # noqa: E731 - sub-concurrency applies to >10-record writes
    r = app.router
    r.add("POST", _M + "/upsert", "zoho", "zoho_upsert", g(lambda req: _write(org, req, "upsert"), heavy))
    r.add("GET", _M + "/search", "zoho", "zoho_search", g(lambda req: _search(org, req)))
    r.add("GET", _M + "/{record_id}", "zoho", "zoho_get_record", g(lambda req: _get_one(org, req)))
    r.add("PUT", _M + "/{record_id}", "zoho", "zoho_update_record", g(lambda req: _write(org, req, "update"), heavy))
    r.add("DELETE", _M + "/{record_id}", "zoho", "zoho_delete_record", g(lambda req: _delete(org, req, [req.path_params["record_id"]])))
    r.add("GET", _M, "zoho", "zoho_get_records", g(lambda req: _list(org, req)))
    r.add("POST", _M, "zoho", "zoho_insert", g(lambda req: _write(org, req, "insert"), heavy))
    r.add("PUT", _M, "zoho", "zoho_update", g(lambda req: _write(org, req, "update"), heavy))
    r.add("DELETE", _M, "zoho", "zoho_delete", g(lambda req: _delete(org, req, req.args("ids"))))


def _record_count(req: Request) -> int:
    try:
        data = (req.json() or {}).get("data")
    except (ValueError, AttributeError):
        return 0
    return len(data) if isinstance(data, list) else 0


def _write(org, req: Request, mode: str) -> Response:
    module = req.path_params["module"]
    if module not in MODULES:
        return invalid_module()
    try:
        body = req.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return error_response(400, "INVALID_DATA", "body", {"expected_data_type": "jsonobject"})
    records = body.get("data")
    if not isinstance(records, list) or not records:
        return param_missing("data")
    if len(records) > MAX_RECORDS:
        return error_response(400, "LIMIT_EXCEEDED", "Record count exceeded", {"limit": MAX_RECORDS})
    dup_fields = body.get("duplicate_check_fields")
    if mode == "upsert" and dup_fields is not None:
        problem = check_dup_fields(org, module, dup_fields)
        if problem:
            return Response.json(400, problem.body())
    if "record_id" in req.path_params:  # PUT /{module}/{id}: the path names the record
        records = [dict(records[0], id=req.path_params["record_id"])] + records[1:]
    denied = org.limits.charge(f"{mode}:{module}", records_cost(len(records)))
    if denied:
        return denied
    status, payload = write_batch(org, module, records, mode, dup_fields)
    if len(payload["data"]) > 1 and org.app.faults.roll("zoho_short_answer"):
        # The records were written; the answer loses the first one's result, so every other result sits one
        # place before its record.
        payload = {"data": payload["data"][1:]}
    if org.app.faults.roll("zoho_html_200"):
        return html_200()
    return Response.json(status, payload)


def html_200() -> Response:
    """What a proxy or maintenance page in front of the API answers: 200, text/html, no JSON (the
    zoho_html_200 fault)."""
    page = b"<!DOCTYPE html><html><head><title>Zoho CRM</title></head><body><p>We will be back soon.</p></body></html>"
    return Response(200, page, {"Content-Type": "text/html; charset=UTF-8"})


def _project(record: dict, fields: list[str] | None) -> dict:
    if not fields:
        return record
    return {"id": record["id"], **{f: record.get(f) for f in fields if f != "id"}}


def _fields_param(req: Request) -> list[str]:
    return [f.strip() for f in (req.arg("fields") or "").split(",") if f.strip()]


def _get_one(org, req: Request) -> Response:
    module = req.path_params["module"]
    if module not in MODULES:
        return invalid_module()
    denied = org.limits.charge(f"get:{module}", 1)
    if denied:
        return denied
    record = org.repo.get(module, req.path_params["record_id"])
    if record is None:
        return error_response(400, "INVALID_DATA", "the id given seems to be invalid", {"api_name": "id"})
    return Response.json(200, {"data": [_project(record, _fields_param(req))]})


def _list(org, req: Request) -> Response:
    module = req.path_params["module"]
    if module not in MODULES:
        return invalid_module()
    fields = _fields_param(req)
    if not fields:
        return param_missing("fields")
    if len(fields) > MAX_FIELDS:
        return error_response(400, "LIMIT_EXCEEDED", "Max field limit exceeded", {"limit": MAX_FIELDS, "param": "fields"})
    if req.arg("ids"):
        return _by_ids(org, module, fields, [i.strip() for i in req.arg("ids").split(",") if i.strip()])
    try:
        per_page = min(int(req.arg("per_page", "200")), 200)
        page = int(req.arg("page", "1"))
        offset = _decode_token(req.arg("page_token")) if req.arg("page_token") else (page - 1) * per_page
    except ValueError:
        return error_response(400, "INVALID_DATA", "invalid data", {"param": "page"})
    if not req.arg("page_token") and offset + per_page > DISCRETE_LIMIT:
        return error_response(400, "LIMIT_REACHED", "Use page_token to fetch more than 2000 records", {"limit": DISCRETE_LIMIT})
    denied = org.limits.charge(f"list:{module}", 1)
    if denied:
        return denied
    rows = org.repo.page(module, offset, per_page + 1)
    if not rows:
        return Response(204)
    more = len(rows) > per_page
    rows = rows[:per_page]
    info = {"per_page": per_page, "count": len(rows), "page": page if not req.arg("page_token") else offset // per_page + 1, "more_records": more,
            "sort_by": "id", "sort_order": "asc"}
    if more:
        info["next_page_token"] = _encode_token(offset + per_page)
    return Response.json(200, {"data": [_project(r, fields) for r in rows], "info": info})


def _by_ids(org, module: str, fields: list[str], ids: list[str]) -> Response:
    if len(ids) > MAX_IDS:
        return error_response(400, "LIMIT_EXCEEDED", "Max ids limit exceeded", {"limit": MAX_IDS, "param": "ids"})
    denied = org.limits.charge(f"list:{module}", 1)
    if denied:
        return denied
    found = [r for r in (org.repo.get(module, i) for i in dict.fromkeys(ids)) if r is not None]
    if not found:
        return Response(204)
    return Response.json(200, {"data": [_project(r, fields) for r in found],
                                "info": {"per_page": len(found), "count": len(found), "page": 1, "more_records": False}})


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def _decode_token(token: str) -> int:
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["o"])
    except Exception:  # noqa: BLE001 - any garbage token is the same client error
        raise ValueError("bad page_token") from None


def _delete(org, req: Request, ids: list[str]) -> Response:
    module = req.path_params["module"]
    if module not in MODULES:
        return invalid_module()
    if not ids:
        return param_missing("ids")
    if len(ids) > MAX_RECORDS:
        return error_response(400, "LIMIT_EXCEEDED", "Record count exceeded", {"limit": MAX_RECORDS})
    denied = org.limits.charge(f"delete:{module}", 1)
    if denied:
        return denied
    results = []
    with org.write_lock, org.app.store.transaction():  # one commit per request
        for record_id in ids:
            if org.repo.delete(module, record_id):
                results.append({"code": "SUCCESS", "details": {"id": record_id}, "message": "record deleted", "status": "success"})
            else:
                results.append({"code": "INVALID_DATA", "details": {"id": record_id}, "message": "the id given seems to be invalid", "status": "error"})
    ok = sum(r["status"] == "success" for r in results)
    return Response.json(200 if ok == len(results) else (207 if ok else 400), {"data": results})


def _search(org, req: Request) -> Response:
    module = req.path_params["module"]
    if module not in MODULES:
        return invalid_module()
    finder = _finder(org, module, req)
    if isinstance(finder, Response):
        return finder
    try:
        per_page = min(int(req.arg("per_page", "200")), 200)
        page = int(req.arg("page", "1"))
    except ValueError:
        return error_response(400, "INVALID_DATA", "invalid data", {"param": "page"})
    if page * per_page > DISCRETE_LIMIT:
        return error_response(400, "LIMIT_REACHED", "Search returns at most 2000 records", {"limit": DISCRETE_LIMIT})
    denied = org.limits.charge(f"search:{module}", 1)
    if denied:
        return denied
    found = finder()
    rows = found[(page - 1) * per_page : page * per_page + 1]
    if not rows:
        return Response(204)  # Zoho: "No Content", empty body
    more = len(rows) > per_page
    rows = rows[:per_page]
    fields = _fields_param(req)
    info = {"per_page": per_page, "count": len(rows), "page": page, "more_records": more}
    return Response.json(200, {"data": [_project(r, fields) for r in rows], "info": info})


def _finder(org, module: str, req: Request):
    """A function returning matching records for the one search parameter given, or a 400."""
    if req.arg("criteria"):
        try:
            tree = criteria.parse(req.arg("criteria"))
        except criteria.CriteriaError as exc:
            return error_response(400, "INVALID_QUERY", "invalid query formed", {"reason": str(exc)})
        known = {f["api_name"] for f in org.catalog.fields(module)} | {"id"}
        unknown = _fields_in(tree) - known
        if unknown:
            return error_response(400, "INVALID_QUERY", "invalid query formed", {"api_name": sorted(unknown)[0], "reason": "invalid field"})
        eq = criteria.equals_lookup(tree)
        if eq and eq[0] in org.catalog.indexed_fields(module):
            return lambda: [r for r in (org.repo.get(module, i) for i in org.repo.find(module, eq[0], eq[1])) if r]
        return lambda: [r for r in org.repo.all(module) if criteria.matches(tree, r)]
    for param, types in (("email", {"email"}), ("phone", {"phone"}), ("word", {"text", "textarea", "email", "phone"})):
        value = req.arg(param)
        if value:
            names = [f["api_name"] for f in org.catalog.fields(module) if f["data_type"] in types]
            needle = value.lower()
            if param == "word":
                return lambda: [r for r in org.repo.all(module) if any(needle in str(r.get(n) or "").lower() for n in names)]
            return lambda: [r for r in org.repo.all(module) if any(needle == str(r.get(n) or "").lower() for n in names)]
    return param_missing("criteria")


def _fields_in(tree) -> set[str]:
    if tree[0] == "cond":
        return {tree[1]}
    return _fields_in(tree[1]) | _fields_in(tree[2])

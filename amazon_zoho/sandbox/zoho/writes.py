"""Insert, update and upsert of a batch of records, one result per input record IN INPUT ORDER
(record.json Success_Response / API_Exception; API-FACTS §8).

Upsert matching (Kaizen #56): the fields in `duplicate_check_fields`, in the order given, else the
module's system duplicate-check field (Contacts Email, Products Product_Name, Sales_Orders Subject)
followed by its unique fields. The first field whose value matches an existing record decides: that
record is updated and reported with action "update" and duplicate_field = that field; no match
inserts (action "insert", duplicate_field null, as in Zoho's upsert sample). Any field marked unique
that collides with ANOTHER record gives DUPLICATE_DATA, for insert, update and upsert alike
("Duplicates are checked for every insert record API call based on unique fields", insert docs).
Batch HTTP status (status-codes page; zoho/embeddedApp-js-sdk#14): all succeed -> 201 for insert,
200 for update/upsert; some fail -> 207; all fail -> 400 with the same {"data": [...]} body (what
Zoho answers for a failed single-record insert).
"""

from __future__ import annotations

from . import line_items
from .catalog import LINE_ITEMS_MODULE, MODULES
from .common import USER, iso, next_ids
from .validate import RecordError, clean_fields, invalid, mandatory

MAX_RECORDS = 100
_MINI_USER = {"name": USER["name"], "id": USER["id"]}


def write_batch(org, module: str, records: list, mode: str, dup_fields: list[str] | None = None) -> tuple[int, dict]:
    results = []
    # One transaction per batch (a request, or a Bulk Write chunk): a record's id, its line items' ids and the record
    # itself were three commits, each an fsync, which made the sandbox most of a whole-graph run's time (issue 17).
    with org.write_lock, org.app.store.transaction():
        for i, data in enumerate(records):
            try:
                results.append(_write_one(org, module, data, i, mode, dup_fields))
            except RecordError as exc:
                results.append(exc.body())
    ok = sum(1 for r in results if r["status"] == "success")
    if ok == len(results):
        status = 201 if mode == "insert" else 200
    else:
        status = 207 if ok else 400
    return status, {"data": results}


def _write_one(org, module, data, i, mode, dup_fields):
    if not isinstance(data, dict):
        raise RecordError("INVALID_DATA", "invalid data", {"json_path": f"$.data[{i}]", "expected_data_type": "jsonobject"})
    if org.app.faults.roll("zoho_invalid"):
        raise _injected(org, module, data, i)
    existing, dup_field = _target(org, module, data, i, mode, dup_fields)
    creating = existing is None
    record = dict(existing) if existing else {}
    record.update(clean_fields(org, module, data, i, creating))
    if module == "Sales_Orders":
        if LINE_ITEMS_MODULE in data or creating:
            if creating and LINE_ITEMS_MODULE not in data:
                raise mandatory(LINE_ITEMS_MODULE, f"$.data[{i}].{LINE_ITEMS_MODULE}")
            record[LINE_ITEMS_MODULE] = line_items.merge(org, data[LINE_ITEMS_MODULE], record.get(LINE_ITEMS_MODULE) or [], i)
        line_items.order_totals(record)
    if module == "Contacts":
        record["Full_Name"] = " ".join(p for p in (record.get("First_Name"), record.get("Last_Name")) if p)
    _check_unique(org, module, record, existing, i)
    now = iso(org.app.now())
    if creating:
        record["id"] = next_ids(org.app.store)[0]
        record.setdefault("Owner", dict(USER))
        record["Created_By"] = dict(_MINI_USER)
        record["Created_Time"] = now
    record["Modified_By"] = dict(_MINI_USER)
    record["Modified_Time"] = now
    org.repo.put(module, record, new=creating)
    result = {
        "code": "SUCCESS",
        "details": {
            "Modified_Time": record["Modified_Time"],
            "Modified_By": record["Modified_By"],
            "Created_Time": record["Created_Time"],
            "id": record["id"],
            "Created_By": record["Created_By"],
        },
        "message": "record added" if creating else "record updated",
        "status": "success",
    }
    if mode == "upsert":
        result["action"] = "insert" if creating else "update"
        result["duplicate_field"] = dup_field
    return result


def _target(org, module, data, i, mode, dup_fields) -> tuple[dict | None, str | None]:
    """The existing record this input writes to (None = create) and the field that matched it."""
    record_id = data.get("id")
    if mode == "insert":
        return None, None
    if record_id is not None or mode == "update":
        if record_id is None:
            raise RecordError("MANDATORY_NOT_FOUND", "required field not found", {"api_name": "id", "json_path": f"$.data[{i}].id"})
        existing = org.repo.get(module, str(record_id))
        if existing is None:
            raise RecordError("INVALID_DATA", "the id given seems to be invalid",
                              {"api_name": "id", "json_path": f"$.data[{i}].id", "expected_data_type": "bigint"})
        return existing, None
    for field in dup_fields or org.catalog.default_dup_fields(module):
        ids = org.repo.find(module, field, data.get(field))
        if ids:
            return org.repo.get(module, ids[0]), field
    return None, None


def _check_unique(org, module, record, existing, i):
    for field in org.catalog.unique_fields(module):
        name = field["api_name"]
        others = [x for x in org.repo.find(module, name, record.get(name)) if not existing or x != existing["id"]]
        if others:
            raise RecordError(
                "DUPLICATE_DATA",
                "duplicate data",
                {
                    "api_name": name,
                    "json_path": f"$.data[{i}].{name}",
                    "duplicate_record": {
                        "id": others[0],
                        "module": {"api_name": module, "id": MODULES[module][2]},
                        "Owner": dict(_MINI_USER),
                    },
                },
            )


def _injected(org, module, data, i) -> RecordError:
    """The zoho_invalid fault: the first field the record sends is reported as invalid."""
    fields = {f["api_name"]: f for f in org.catalog.fields(module)}
    name = next((k for k in data if k in fields), None) or next(iter(fields))
    return invalid(fields[name], f"$.data[{i}].{name}")


def check_dup_fields(org, module: str, dup_fields) -> RecordError | None:
    """duplicate_check_fields may name only the system duplicate-check field or unique fields."""
    allowed = set(org.catalog.default_dup_fields(module))
    if not isinstance(dup_fields, list):
        return RecordError("INVALID_DATA", "invalid data", {"param_name": "duplicate_check_fields", "expected_data_type": "jsonarray"})
    for name in dup_fields:
        if name not in allowed:
            return RecordError("INVALID_DATA", "invalid data", {"api_name": name, "param_name": "duplicate_check_fields", "expected_data_type": "unique field"})
    return None


__all__ = ["write_batch", "check_dup_fields", "MAX_RECORDS"]

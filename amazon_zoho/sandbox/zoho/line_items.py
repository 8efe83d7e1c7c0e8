"""Sales order line items (the Ordered_Items subform) and the order totals computed from them.

Update semantics, from Zoho's "Update Subform Data" page (v5–v8,
https://www.zoho.com/crm/developer/docs/api/v8/update-subforms.html) — "The update operation on a
subform record will append the provided data with the existing data":
- a row WITH an `id` updates that existing row (only the keys sent change); an id the record does
  not have -> INVALID_DATA;
- a row WITHOUT an `id` is ADDED as a new row (so re-pushing the same lines without their ids
  duplicates them: clients must send back the row ids they got, e.g. from GET /{module}/{id});
- existing rows that are not mentioned are KEPT;
- `{"id": "...", "_delete": null}` removes that row;
- `"Ordered_Items": []` clears the subform (v2–v8 page: "Updation of subform records without any JSON
  objects deletes the subform information"); Ordered_Items is mandatory on sales orders, so here that
  is MANDATORY_NOT_FOUND.
(The v2 page describes the older replace-all behaviour, where rows left out were deleted; v8 appends.)

Totals follow Zoho's inventory modules: Total = Quantity × List_Price, Net_Total = Total − Discount +
Tax per row; Sub_Total = Σ Net_Total; Grand_Total = Sub_Total − Discount + Tax + Adjustment.
List_Price defaults to the product's Unit_Price and Quantity to 1.
"""

from __future__ import annotations

from .catalog import LINE_ITEMS_MODULE, line_item_fields
from .common import next_ids
from .validate import RecordError, clean_value, id_text, invalid, mandatory

_FIELDS = {f["api_name"]: f for f in line_item_fields()}


def merge(org, incoming, existing: list[dict], index: int) -> list[dict]:
    base = f"$.data[{index}].{LINE_ITEMS_MODULE}"
    subform = {"api_name": LINE_ITEMS_MODULE, "data_type": "subform"}
    if not isinstance(incoming, list):
        raise invalid(subform, base)
    if not incoming:
        raise mandatory(LINE_ITEMS_MODULE, base)
    rows = {row["id"]: dict(row) for row in existing}
    order = [row["id"] for row in existing]
    for j, item in enumerate(incoming):
        path = f"{base}[{j}]"
        if not isinstance(item, dict):
            raise invalid(subform, path)
        row_id = id_text(item.get("id"))  # the SDK sends row ids as JSON numbers (see validate.id_text)
        if row_id is not None:
            if row_id not in rows:
                raise RecordError("INVALID_DATA", "invalid data",
                                  {"api_name": "id", "json_path": f"{path}.id", "parent_api_name": LINE_ITEMS_MODULE, "expected_data_type": "bigint"})
            if "_delete" in item:
                del rows[row_id]
                order.remove(row_id)
                continue
            rows[row_id].update(_clean_row(org, item, path, creating=False))
        else:
            row = _clean_row(org, item, path, creating=True)
            row["id"] = next_ids(org.app.store)[0]
            rows[row["id"]] = row
            order.append(row["id"])
    if not order:
        raise mandatory(LINE_ITEMS_MODULE, base)
    return [_with_totals(org, rows[i]) for i in order]


def _clean_row(org, item: dict, path: str, creating: bool) -> dict:
    out = {}
    for name, field in _FIELDS.items():
        if field["read_only"]:
            continue
        if field["mandatory"] and ((creating and item.get(name) is None) or (name in item and item[name] is None)):
            raise mandatory(name, f"{path}.{name}", parent_api_name=LINE_ITEMS_MODULE)
        if name in item:
            try:
                out[name] = clean_value(org, field, item[name], f"{path}.{name}")
            except RecordError as exc:
                exc.details["parent_api_name"] = LINE_ITEMS_MODULE
                raise
    return out


def _with_totals(org, row: dict) -> dict:
    if row.get("Quantity") is None:
        row["Quantity"] = 1.0
    if row.get("List_Price") is None:
        product = org.repo.get("Products", row["Product_Name"]["id"]) or {}
        row["List_Price"] = float(product.get("Unit_Price") or 0.0)
    total = round(row["Quantity"] * row["List_Price"], 2)
    row["Total"] = total
    row["Net_Total"] = round(total - (row.get("Discount") or 0.0) + (row.get("Tax") or 0.0), 2)
    return row


def order_totals(record: dict) -> None:
    sub_total = round(sum(row["Net_Total"] for row in record.get(LINE_ITEMS_MODULE) or []), 2)
    record["Sub_Total"] = sub_total
    record["Grand_Total"] = round(
        sub_total - (record.get("Discount") or 0.0) + (record.get("Tax") or 0.0) + (record.get("Adjustment") or 0.0), 2
    )

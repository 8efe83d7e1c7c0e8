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

Totals are Zoho's to compute: Total, Total_After_Discount and Net_Total on a row, Sub_Total and
Grand_Total on the order are read-only and written only here (a client that sends them is ignored, as
validate.py says of every read-only field). The formulas, per row and per order:

    Total                = Quantity × List_Price
    Total_After_Discount = Total − Discount                 (Discount is an amount, not a percentage)
    Net_Total            = Total_After_Discount + Tax
    Sub_Total            = Σ Net_Total
    Grand_Total          = Sub_Total − Discount + Tax + Adjustment   (the order's own Discount, Tax, Adjustment)

Sources (none is a Zoho page stating the formulas; they are the standard inventory arithmetic these support):
- the row's fields and which are read-only formulas (Total, Total_After_Discount, Net_Total, all
  "formula" returning currency): a real org's Ordered_Items field export ("Eksportowano z Zoho CRM API",
  public code index id 22261311110) [third party];
- tax is "automatically calculated based on the amount (after the discount)" (Kaizen #9, "Handling
  product line items in the inventory modules API",
  https://help.zoho.com/portal/en/community/topic/kaizen-9-handling-product-line-items-in-the-inventory-modules-api);
  CRM inventory modules have no tax-inclusive mode, so Tax is always added on top;
- Sales_Orders' Discount, Tax, Adjustment and Sub_Total fields: zohocrm-python-sdk-8.0
  (zohocrmsdk/src/com/zoho/crm/api/record/field.py, class Sales_Orders; it lists Grand_Total for Quotes,
  Invoices and Purchase_Orders, and Sales Orders show it in every layout); writing the order's Discount
  and its taxes as `$line_tax` percentages: samples/record/create_records.py.
Verify once against a real org by inserting one order with known numbers and reading it back. A raw row Tax is kept as sent (whether Zoho keeps or recomputes it
without Line_Tax is not established); the project's payload sends none.

Every computed amount is rounded to the precision of the order's currency, "normal" (half up) rounding:
a currency field carries {rounding_option, precision} (fields.json #/components/schemas/currency,
../shared/reference/zoho/fields.json), 2 for most currencies and 0 for those without minor units (JPY).
Amounts are added as decimals, so 3 × 3.33 is 9.99, not 9.990000000000002.
List_Price defaults to the product's Unit_Price and Quantity to 1.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

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
    return [_with_defaults(org, rows[i]) for i in order]


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


def _with_defaults(org, row: dict) -> dict:
    if row.get("Quantity") is None:
        row["Quantity"] = 1.0
    if row.get("List_Price") is None:
        product = org.repo.get("Products", row["Product_Name"]["id"]) or {}
        row["List_Price"] = float(product.get("Unit_Price") or 0.0)
    return row


# Currencies whose ISO 4217 minor unit is 0 (precision 0); every other currency has 2 decimals here.
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "CLP", "ISK", "VND", "PYG", "UGX", "XAF", "XOF", "XPF", "RWF", "KMF", "GNF", "DJF", "BIF", "VUV"})


def precision(currency: str | None) -> int:
    return 0 if currency in ZERO_DECIMAL_CURRENCIES else 2


def _amount(value) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def order_totals(record: dict) -> None:
    """The read-only totals of every row and of the order, in the order's currency."""
    places = precision(record.get("Currency"))
    sub_total = Decimal(0)
    for row in record.get(LINE_ITEMS_MODULE) or []:
        total = _round(_amount(row.get("Quantity")) * _amount(row.get("List_Price")), places)
        after_discount = _round(total - _amount(row.get("Discount")), places)
        net_total = _round(after_discount + _amount(row.get("Tax")), places)
        row["Total"], row["Total_After_Discount"], row["Net_Total"] = float(total), float(after_discount), float(net_total)
        sub_total += net_total
    grand_total = sub_total - _amount(record.get("Discount")) + _amount(record.get("Tax")) + _amount(record.get("Adjustment"))
    record["Sub_Total"], record["Grand_Total"] = float(_round(sub_total, places)), float(_round(grand_total, places))

"""Field values in, clean values out, or the per-record error Zoho would answer.

Rules (Zoho insert-records docs, v3–v8: "The 'INVALID_DATA' error is thrown if the field value length
is more than the maximum length defined for that field"; API-FACTS §8):
- wrong type, too long, bad email, unknown picklist value, unknown lookup id -> INVALID_DATA with
  details {api_name, json_path, expected_data_type} (plus maximum_length for length errors);
- a mandatory field missing on create, or set to null/"" on update -> MANDATORY_NOT_FOUND.
- Numbers sent to text fields are stored as their text (Zoho coerces them; observed in the SDK, which
  serialises numbers in text fields untouched).
- Field api_names the module does not have are IGNORED, not rejected. Zoho's docs only say "You must
  use only Field API names in the input" and name no error for others; integrators (and Zoho's own
  SDK, which sends whatever keys a Record holds) rely on unknown keys being dropped. Read-only fields
  (Created_Time, Full_Name, Grand_Total, ...) are ignored the same way.
"""

from __future__ import annotations

import datetime as dt
import re

from .common import USER

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TEXT_TYPES = {"text", "textarea", "email", "phone", "website"}
NUMBER_TYPES = {"integer", "bigint", "double", "currency", "decimal"}


class RecordError(Exception):
    def __init__(self, code: str, message: str, details: dict):
        super().__init__(message)
        self.code, self.message, self.details = code, message, details

    def body(self) -> dict:
        return {"code": self.code, "details": self.details, "message": self.message, "status": "error"}


def invalid(field: dict, path: str, **extra) -> RecordError:
    details = {"api_name": field["api_name"], "json_path": path, "expected_data_type": field["data_type"]}
    details.update(extra)
    return RecordError("INVALID_DATA", "invalid data", details)


def mandatory(api_name: str, path: str, **extra) -> RecordError:
    return RecordError("MANDATORY_NOT_FOUND", "required field not found", {"api_name": api_name, "json_path": path, **extra})


def clean_value(org, field: dict, value, path: str):
    """One field's value, cleaned for storage; None clears the field."""
    if value is None:
        return None
    t = field["data_type"]
    if t in TEXT_TYPES:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise invalid(field, path)
        text = value if isinstance(value, str) else str(value)
        if len(text) > field["length"]:
            raise invalid(field, path, maximum_length=str(field["length"]))
        if t == "email" and text and not EMAIL.match(text):
            raise invalid(field, path)
        return text
    if t in NUMBER_TYPES:
        return _number(field, value, path)
    if t == "boolean":
        if not isinstance(value, bool):
            raise invalid(field, path)
        return value
    if t == "picklist":
        if not isinstance(value, str) or value not in (field["pick_list"] or []):
            raise invalid(field, path)
        return value
    if t == "lookup":
        return _lookup(org, field, value, path)
    if t == "ownerlookup":
        owner_id = id_text(value.get("id") if isinstance(value, dict) else value)
        if owner_id != USER["id"]:
            raise invalid(field, path)
        return dict(USER)
    if t in ("date", "datetime"):
        return _date(field, value, path)
    raise invalid(field, path)


def _number(field, value, path):
    if isinstance(value, bool):
        raise invalid(field, path)
    if isinstance(value, str):
        try:
            value = float(value) if "." in value or "e" in value.lower() else int(value)
        except ValueError:
            raise invalid(field, path) from None
    if not isinstance(value, (int, float)):
        raise invalid(field, path)
    if field["data_type"] in ("integer", "bigint"):
        if float(value) != int(value):
            raise invalid(field, path)
        return int(value)
    return float(value)


def _lookup(org, field, value, path):
    # The REST API honours only the `id` of a lookup object (CData Zoho CRM docs, Quotes table).
    record_id = id_text(value.get("id") if isinstance(value, dict) else value)
    if not isinstance(record_id, str) or not record_id:
        raise invalid(field, path)
    name = org.repo.display_name(field["lookup"], record_id)
    if name is None:
        raise invalid(field, path)
    return {"id": record_id, "name": name}


def id_text(value):
    """Zoho ids are 64-bit numbers ("bigint") that answers carry as strings; Zoho's own Python SDK
    (zohocrmsdk8_0) sends lookup ids as JSON numbers ({"id": 5725767000001000002}), and Zoho accepts
    both, so a whole number is read as its decimal text. Anything else is returned unchanged."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _date(field, value, path):
    if not isinstance(value, str):
        raise invalid(field, path)
    try:
        if field["data_type"] == "date":
            dt.date.fromisoformat(value)
        else:
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(field, path) from None
    return value


def clean_fields(org, module: str, data: dict, index: int, creating: bool) -> dict:
    """The writable fields of one input record, cleaned; subforms are left to `line_items`."""
    out = {}
    # A field's json_path is only read when its value is refused: made for the fields sent, not for every field of the
    # module for every record (a Bulk Write job cleans 25,000 records).
    prefix = f"$.data[{index}]."
    for field in org.catalog.fields(module):
        if field["read_only"] or field["data_type"] == "subform":
            continue
        name = field["api_name"]
        present = name in data
        if field["mandatory"] and ((creating and not present) or (present and data[name] in (None, ""))):
            raise mandatory(name, prefix + name)
        if present:
            out[name] = clean_value(org, field, data[name], prefix + name)
    return out

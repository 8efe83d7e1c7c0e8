"""Renders a catalog field in the shape of fields.json `#/components/schemas/fields`.

The official schema requires every key, and types several of them as objects with required members
(tooltip, crypt, external, private, refer_from_field, history_tracking, ...). Zoho's doc samples send
`null` for some of those whole objects; we send the object with null members instead, so responses
validate against the spec and clients that read `field["external"]["show"]` keep working. Flags a
client decides on (`unique`, `lookup`, `subform`, `system_mandatory`, `custom_field`) are empty
objects / false when off, as in Zoho's samples."""

from __future__ import annotations

import zlib

from .catalog import MODULES

_UI_TYPE = {"text": 1, "textarea": 3, "email": 25, "phone": 33, "picklist": 2, "lookup": 133, "ownerlookup": 8,
            "currency": 36, "double": 38, "integer": 32, "boolean": 301, "date": 24, "datetime": 333,
            "subform": 1000, "autonumber": 4}
_JSON_TYPE = {"currency": "double", "double": "double", "integer": "integer", "bigint": "string", "boolean": "boolean",
              "lookup": "jsonobject", "ownerlookup": "jsonobject", "subform": "jsonarray"}


def field_id(module: str, api_name: str) -> str:
    return str(5725767000000100000 + zlib.crc32(f"{module}.{api_name}".encode()) % 99_999)


def _minified_module(module: str | None) -> dict:
    if module in MODULES:
        return {"api_name": module, "id": MODULES[module][2], "module_name": MODULES[module][1]}
    return {"api_name": module, "id": None}


def render(module: str, f: dict, seq: int) -> dict:
    t = f["data_type"]
    return {
        "associated_module": _minified_module(None),
        "data_type": t,
        "operation_type": {"web_update": not f["read_only"], "api_create": not f["read_only"], "web_create": not f["read_only"],
                           "api_update": not f["read_only"]},
        "system_mandatory": bool(f["mandatory"]),
        "webhook": True,
        "sequence_number": seq,
        "blueprint_supported": False,
        "virtual_field": False,
        "field_read_only": bool(f["read_only"]),
        "customizable_properties": [],
        "read_only": bool(f["read_only"]),
        "custom_field": bool(f["custom"]),
        "businesscard_supported": True,
        "filterable": True,
        "visible": True,
        "available_in_user_layout": True,
        "display_field": f["api_name"] == MODULES[module][3],
        "pick_list_values_sorted_lexically": False,
        "sortable": t != "subform",
        "layout_associations": [{"api_name": "Standard__s", "name": "Standard", "id": str(int(MODULES[module][2]) + 1)}],
        "separator": False,
        "searchable": t not in ("subform",),
        "enable_colour_code": False,
        "mass_update": not f["read_only"],
        "json_type": _JSON_TYPE.get(t, "string"),
        "created_source": "crm" if f["custom"] else "default",
        "type": "used",
        "display_label": f["field_label"],
        "column_name": f["api_name"].upper(),
        "api_name": f["api_name"],
        "display_type": -1,
        "ui_type": _UI_TYPE.get(t, 1),
        "colour_code_enabled_by_system": False,
        "length": f["length"],
        "decimal_place": 2 if t == "currency" else None,
        "quick_sequence_number": str(seq),
        "email_parser": {"fields_update_supported": False, "record_operations_supported": False},
        "rollup_summary": None,
        "refer_from_field": {"id": None, "api_name": None},
        "created_time": None,
        "modified_time": None,
        "show_type": 7,
        "category": 0,
        "id": field_id(module, f["api_name"]),
        "multi_module_lookup": {},
        "sharing_properties": {},
        "currency": {"rounding_option": "normal", "precision": 2} if t == "currency" else {},
        "file_upolad_optionlist": [],
        "lookup": _lookup(f),
        "profiles": [{"name": "Administrator", "id": "5725767000000026011", "permission_type": "read_write"}],
        "view_type": {"view": True, "edit": not f["read_only"], "quick_create": bool(f["mandatory"]), "create": not f["read_only"]},
        # Zoho's own samples send {"casesensitive": "false"} for unique fields and {} otherwise.
        "unique": {"casesensitive": "true" if f["casesensitive"] else "false"} if f["unique"] else {},
        "sub_module": _minified_module(f.get("subform")),
        "subform": {"module": f["subform"], "id": field_id(module, f["subform"])} if f.get("subform") else {},
        "external": {"show": False, "type": None, "allow_multiple_config": False},
        "formula": {},
        "private": {"restricted": False, "type": None, "export": False},
        "convert_mapping": {},
        "multiselectlookup": {},
        "multiuserlookup": _multiselect_off(),
        "autonumber": {"starting_number_length": 0, "prefix": None, "suffix": None, "start_number": None},
        "auto_number": {},
        "pick_list_values": [
            {"colour_code": None, "actual_value": v, "type": "used", "id": field_id(module, f"{f['api_name']}.{v}"), "sequence_number": n + 1,
             "display_value": v}
            for n, v in enumerate(f["pick_list"] or [])
        ],
        "crypt": {"mode": None, "status": None},
        "tooltip": {"name": "", "value": ""},
        "history_tracking": {"module": {}, "duration_configured_field": {"api_name": None, "id": None}},
        "association_details": {"related_field": {"api_name": None, "id": None}, "lookup_field": {"api_name": None, "id": None}},
        "allowed_modules": [],
        "additional_column": None,
        "field_label": f["field_label"],
        "common.picklist": None,
        "hipaa_compliance_enabled": False,
        "hipaa_compliance": {"restricted_in_export": False, "restricted": False},
        "_update_existing_records": False,
        "number_separator": t in ("currency", "double", "integer"),
        "textarea": {"type": "large"} if t == "textarea" else {},
        "static_field": False,
    }


def _lookup(f: dict) -> dict:
    if not f.get("lookup"):
        return {}
    return {
        "display_label": f["field_label"],
        "api_name": f["api_name"],
        "query_details": {},
        "module": _minified_module(f["lookup"]),
        "id": None,
        "revalidate_filter_during_edit": False,
        "show_fields": [],
    }


def _multiselect_off() -> dict:
    none = {"api_name": None, "id": None}
    return {
        "display_label": None, "linking_module": none, "connected_module": none, "lookup_apiname": None, "api_name": None,
        "connectedfield_apiname": None, "connectedlookup_apiname": None, "id": None, "record_access": None,
    }

"""Org metadata: modules, field metadata and custom-field creation (fields.json, modules.json), the
current user (users.json) and the org, which SDKs fetch before any record call (API-FACTS §10).

Creating a field (POST /crm/v8/settings/fields?module=X, body {"fields": [{field_label, data_type,
length, unique?}]}) answers 201 {"fields": [{code SUCCESS, details {id}, message "field created",
status success}]}; the api_name is derived from the label as Zoho does (spaces -> underscores).
PATCH /crm/v8/settings/fields/{id}?module=X with {"fields": [{"unique": {...}}]} marks an existing
field unique (fields.json "Update Field"); only Zoho's unique-capable types are accepted.
"""

from __future__ import annotations

from .. import access
from ..http import Request, Response
from .catalog import MODULES, PROJECT_CUSTOM_FIELDS, UNIQUE_CAPABLE, api_name_from_label
from .common import ORG_ID, USER, error, error_response, invalid_module, param_missing
from .field_meta import field_id, render
from .org import org_of

CREATABLE_TYPES = {"text", "textarea", "email", "phone", "integer", "bigint", "double", "currency", "boolean", "date", "datetime", "picklist", "website"}
MAX_TEXT_LENGTH = 255


def register(app) -> None:
    org = org_of(app)
    g = org.limits.guarded
    r = app.router
    r.add("GET", "/crm/v8/settings/modules", "zoho", "zoho_modules", g(lambda req: _charged(org, "settings", lambda: _modules(app))))
    r.add("GET", "/crm/v8/settings/modules/{api_name}", "zoho", "zoho_module", g(lambda req: _charged(org, "settings", lambda: _module(req))))
    r.add("GET", "/crm/v8/settings/fields", "zoho", "zoho_fields", g(lambda req: _charged(org, "settings", lambda: _fields(org, req))))
    r.add("POST", "/crm/v8/settings/fields", "zoho", "zoho_create_fields", g(lambda req: _charged(org, "settings", lambda: _create(org, req))))
    r.add("PATCH", "/crm/v8/settings/fields/{field_id}", "zoho", "zoho_update_field", g(lambda req: _charged(org, "settings", lambda: _update(org, req))))
    r.add("GET", "/crm/v8/users", "zoho", "zoho_users", g(lambda req: _charged(org, "users", lambda: _users(req))))
    r.add("GET", "/crm/v8/org", "zoho", "zoho_org", g(lambda req: _charged(org, "org", lambda: _org(app))))
    r.add("POST", "/_sandbox/zoho/install_custom_fields", "control", "zoho_install_custom_fields", lambda req: _install(org))


def _charged(org, operation: str, handler) -> Response:
    return org.limits.charge(operation, 1) or handler()


def _module_meta(api_name: str) -> dict:
    singular, plural, module_id, _ = MODULES[api_name]
    return {
        "api_name": api_name, "id": module_id, "module_name": plural, "singular_label": singular, "plural_label": plural,
        "api_supported": True, "creatable": True, "editable": True, "deletable": True, "viewable": True,
        "generated_type": "default", "visible": True, "status": "visible",
    }


def _modules(app) -> Response:
    hidden = access.hidden_modules(app)
    return Response.json(200, {"modules": [_module_meta(m) for m in MODULES if m not in hidden]})


def _module(req: Request) -> Response:
    name = req.path_params["api_name"]
    if name not in MODULES:
        return invalid_module()
    return Response.json(200, {"modules": [_module_meta(name)]})


def _fields(org, req: Request) -> Response:
    module = req.arg("module")
    if not module:
        return param_missing("module")
    if module not in MODULES:
        return invalid_module()
    return Response.json(200, {"fields": [render(module, f, n + 1) for n, f in enumerate(org.catalog.fields(module))]})


def _create(org, req: Request) -> Response:
    module = req.arg("module")
    if module not in MODULES:
        return invalid_module() if module else param_missing("module")
    try:
        items = (req.json() or {}).get("fields")
    except (ValueError, AttributeError):
        items = None
    if not isinstance(items, list) or not items:
        return param_missing("fields")
    results, ok = [], 0
    for i, item in enumerate(items):
        outcome = create_field(org, module, item, i)
        ok += outcome["status"] == "success"
        results.append(outcome)
    return Response.json(201 if ok == len(results) else 400, {"fields": results})


def create_field(org, module: str, item, i: int) -> dict:
    """Creates one custom field; returns its per-field result (success or error body)."""
    path = f"$.fields[{i}]"
    if not isinstance(item, dict) or not item.get("field_label"):
        return error("MANDATORY_NOT_FOUND", "required field not found", {"api_name": "field_label", "json_path": f"{path}.field_label"})
    data_type = item.get("data_type")
    if data_type not in CREATABLE_TYPES:
        return error("INVALID_DATA", "invalid data", {"api_name": "data_type", "json_path": f"{path}.data_type"})
    api_name = api_name_from_label(item["field_label"])
    if org.catalog.field(module, api_name):
        return error("DUPLICATE_DATA", "duplicate data", {"api_name": "field_label", "json_path": f"{path}.field_label"})
    length = int(item.get("length") or MAX_TEXT_LENGTH)
    if data_type == "text" and length > MAX_TEXT_LENGTH:
        return error("INVALID_DATA", "invalid data", {"api_name": "length", "json_path": f"{path}.length", "maximum_length": str(MAX_TEXT_LENGTH)})
    unique = isinstance(item.get("unique"), dict)
    if unique and data_type not in UNIQUE_CAPABLE:
        return error("INVALID_DATA", "invalid data", {"api_name": "unique", "json_path": f"{path}.unique"})
    picklist = [p.get("display_value") for p in item.get("pick_list_values") or [] if isinstance(p, dict)]
    field = {
        "api_name": api_name, "field_label": item["field_label"], "data_type": data_type,
        "length": length if data_type in ("text", "email", "phone", "website") else 255 if data_type != "textarea" else 32000,
        "mandatory": False, "unique": unique,
        "casesensitive": unique and str(item["unique"].get("casesensitive", "false")).lower() == "true",
        "custom": True, "read_only": False, "lookup": None, "pick_list": picklist or None,
    }
    org.catalog.save(module, field)
    if unique:
        org.repo.reindex(module)
    return {"code": "SUCCESS", "details": {"id": field_id(module, api_name)}, "message": "field created", "status": "success"}


def _update(org, req: Request) -> Response:
    module = req.arg("module")
    if module not in MODULES:
        return invalid_module() if module else param_missing("module")
    target = next((f for f in org.catalog.fields(module)
                   if field_id(module, f["api_name"]) == req.path_params["field_id"] or f["api_name"] == req.path_params["field_id"]), None)
    if target is None:
        return error_response(400, "INVALID_DATA", "invalid data", {"api_name": "id"})
    try:
        items = (req.json() or {}).get("fields") or [{}]
    except (ValueError, AttributeError):
        items = [{}]
    change = items[0] if isinstance(items[0], dict) else {}
    field = dict(target)
    if "field_label" in change:
        field["field_label"] = str(change["field_label"])
    if "unique" in change:
        if change["unique"] and field["data_type"] not in UNIQUE_CAPABLE:
            return error_response(400, "INVALID_DATA", "invalid data", {"api_name": "unique"})
        field["unique"] = bool(change["unique"])
        field["casesensitive"] = field["unique"] and str((change["unique"] or {}).get("casesensitive", "false")).lower() == "true"
    org.catalog.save(module, field)
    org.repo.reindex(module)
    details = {"id": field_id(module, field["api_name"])}
    return Response.json(200, {"fields": [{"code": "SUCCESS", "details": details, "message": "field updated", "status": "success"}]})


def _users(req: Request) -> Response:
    user = {
        "id": USER["id"], "full_name": USER["name"], "first_name": "Sandbox", "last_name": "Admin", "email": USER["email"],
        "status": "active", "confirm": True, "role": {"name": "CEO", "id": "5725767000000026005"},
        "profile": {"name": "Administrator", "id": "5725767000000026011"}, "time_zone": "UTC", "locale": "en_US",
        "country_locale": "en_US", "language": "en_US", "zuid": "80000001",
    }
    return Response.json(200, {"users": [user], "info": {"per_page": 200, "count": 1, "page": 1, "more_records": False}})


def _org(app) -> Response:
    return Response.json(
        200,
        {"org": [{"id": ORG_ID, "company_name": "Amazon Zoho Sandbox", "zgid": ORG_ID, "domain_name": "org" + ORG_ID,
                  "primary_email": USER["email"], "time_zone": "UTC", "currency": "Euro - EUR", "currency_locale": "en_IE",
                  "iso_code": "EUR", "country_code": "IE", "type": "production", "license_details": {"paid": True, "paid_type": "enterprise"}}]},
    )


def _install(org) -> Response:
    """Control endpoint: the project's custom fields, as its setup command would create them."""
    created = {}
    for module, items in PROJECT_CUSTOM_FIELDS.items():
        created[module] = []
        for i, item in enumerate(items):
            api_name = api_name_from_label(item["field_label"])
            if not org.catalog.field(module, api_name):
                create_field(org, module, item, i)
            created[module].append(api_name)
    return Response.json(200, {"installed": created})

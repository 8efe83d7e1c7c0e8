"""Preflight: the custom fields our mapping writes must exist in the org; create the missing ones, as a
marketplace extension does at install, or fail with the exact list when creating is not allowed."""

from __future__ import annotations

from .client import ZohoCrmClient

# module -> [(api_name, field definition for POST /settings/fields)]
CUSTOM_FIELDS: dict[str, list[dict]] = {
    "Products": [
        {"field_label": "Amazon SKU", "data_type": "text", "length": 100, "unique": {"casesensitive": False}},
        {"field_label": "Amazon ASIN", "data_type": "text", "length": 20},
    ],
    "Contacts": [
        {"field_label": "Amazon Buyer Key", "data_type": "text", "length": 64, "unique": {"casesensitive": False}},
    ],
    "Sales_Orders": [
        {"field_label": "Amazon Order ID", "data_type": "text", "length": 30, "unique": {"casesensitive": False}},
        {"field_label": "Amazon Marketplace", "data_type": "text", "length": 30},
        {"field_label": "Sales Channel", "data_type": "text", "length": 50},
        {"field_label": "Fulfillment Channel", "data_type": "text", "length": 10},
        {"field_label": "Amazon Order Status", "data_type": "text", "length": 30},
    ],
}


class MissingFieldsError(RuntimeError):
    pass


def api_name(label: str) -> str:
    return label.replace(" ", "_")


def ensure_fields(client: ZohoCrmClient, module: str, create: bool = True) -> list[str]:
    """Returns the api_names created; raises MissingFieldsError listing what is missing if `create` is off."""
    if getattr(client, "_fields_ready", set()) and module in client._fields_ready:  # type: ignore[attr-defined]
        return []
    existing = {f.get("api_name") for f in client.fields(module)}
    missing = [f for f in CUSTOM_FIELDS.get(module, []) if api_name(f["field_label"]) not in existing]
    if missing and not create:
        raise MissingFieldsError(
            f"Zoho module {module} lacks custom fields {[api_name(f['field_label']) for f in missing]}; "
            "create them in Zoho CRM settings or let the sync create them (ZOHO_AUTO_SETUP=1)"
        )
    if missing:
        client.create_fields(module, missing)
    ready = getattr(client, "_fields_ready", set())
    ready.add(module)
    client._fields_ready = ready  # type: ignore[attr-defined]
    return [api_name(f["field_label"]) for f in missing]

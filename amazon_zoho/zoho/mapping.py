"""mapping.yaml, loaded and checked: which Zoho field each Amazon value goes to, the contact policy for
buyers without an email, the Amazon status -> Zoho Status table, the org's currencies and the custom
fields to create. Every problem is reported at once, with where it is in the file and how to fix it.

The payload SQL of each module builds a temp table `source` with the columns listed in SOURCES; the
mapping turns them into the JSON sent to Zoho (`payload_sql`), so the SQL stays the same whatever the
mapping says.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_PATH = Path(__file__).parent / "mapping.yaml"
MODULE_ORDER = ("Products", "Contacts", "Sales_Orders")

SOURCES = {
    "Products": ("sku", "asin", "title", "unit_price", "currency"),
    "Contacts": ("buyer_key", "first_name", "last_name", "email", "street", "city", "state", "postal_code", "country",
                 "marketplace_id", "sales_channel", "first_order_date", "last_order_date", "order_count"),
    "Sales_Orders": ("order_id", "subject", "status", "amazon_status", "contact", "marketplace_id", "sales_channel",
                     "fulfillment_channel", "currency", "purchase_date", "order_total",
                     "ship_street", "ship_city", "ship_state", "ship_postal_code", "ship_country",
                     "bill_street", "bill_city", "bill_state", "bill_postal_code", "bill_country"),
}
LINE_SOURCES = ("product", "sku", "title", "quantity", "unit_price", "discount", "tax")
# Sources holding a Zoho record id: sent as a lookup {"id": ...}.
LOOKUP_SOURCES = {("Sales_Orders", "contact"): "Contacts", ("line", "product"): "Products"}
# Sources that identify a buyer: kept out of everything but pii and Zoho itself (dead letters redact them).
PII_SOURCES = {"first_name", "last_name", "email", "street", "postal_code", "ship_street", "ship_postal_code", "bill_street", "bill_postal_code"}
KEY_SOURCE = {"Products": "sku", "Contacts": "buyer_key", "Sales_Orders": "order_id"}
KEY_CHOICES = {"Products": ("Amazon_SKU",), "Contacts": ("Amazon_Buyer_Key", "Email"), "Sales_Orders": ("Amazon_Order_ID",)}
AMAZON_STATUSES = ("PENDING", "PENDING_AVAILABILITY", "UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED", "CANCELLED", "UNFULFILLABLE")
POLICIES = ("skip", "shared_per_marketplace", "per_buyer")
FIELD_TYPES = ("text", "textarea", "email", "phone", "website", "integer", "bigint", "double", "currency", "boolean", "date", "datetime")
_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")


EXISTING_RECORDS = ("adopt", "dead_letter")


class MappingError(ValueError):
    """mapping.yaml is wrong; the message lists every problem and where it is."""


@dataclass(frozen=True)
class CustomField:
    module: str
    api_name: str
    label: str
    type: str
    length: int | None = None
    unique: bool = False

    def definition(self) -> dict:
        """The body item for POST /crm/v8/settings/fields."""
        out: dict = {"field_label": self.label, "data_type": self.type}
        if self.length:
            out["length"] = self.length
        if self.unique:
            out["unique"] = {"casesensitive": "false"}
        return out


@dataclass(frozen=True)
class ModuleMapping:
    module: str
    key: str
    fields: dict[str, str]
    line_items_field: str = ""
    line_fields: dict[str, str] = field(default_factory=dict)
    # A record Zoho refuses as DUPLICATE_DATA because a record we did not create holds one of its unique
    # values: "adopt" links and updates that record, "dead_letter" leaves it for a person to merge.
    existing_records: str = "adopt"

    @property
    def lookups(self) -> dict[str, str]:
        """Zoho field -> the module it looks up, for fields fed by a lookup source."""
        return {name: LOOKUP_SOURCES[(self.module, src)] for name, src in self.fields.items() if (self.module, src) in LOOKUP_SOURCES}

    def redact(self, payload: str) -> str:
        """The payload with buyer details replaced by where they come from, for tables outside pii."""
        record = json.loads(payload)
        for name, source in self.fields.items():
            if source in PII_SOURCES and record.get(name) is not None:
                record[name] = f"[redacted: {source}]"
        return json.dumps(record)

    def payload_sql(self) -> str:
        """The JSON of one record from the `source` row, e.g. json_object('Product_Name', title, ...).

        Field names passed validation (letters, digits, underscores) and sources come from SOURCES, so
        pasting them into SQL is safe. Keys are sorted, so reordering lines of mapping.yaml changes no
        payload hash (and re-pushes nothing)."""
        parts = [f"'{name}', {_expr(self.module, src, '')}" for name, src in sorted(self.fields.items())]
        if self.line_items_field:
            item = ", ".join(f"'{name}', {_expr('line', src, 'li.')}" for name, src in sorted(self.line_fields.items()))
            parts.append(f"'{self.line_items_field}', to_json(list_transform(line_items, lambda li: json_object({item})))")
        return "json_object(\n        " + ",\n        ".join(parts) + "\n    )"


def _expr(module: str, source: str, prefix: str) -> str:
    if (module, source) in LOOKUP_SOURCES:
        return f"CASE WHEN {prefix}{source} IS NOT NULL THEN json_object('id', {prefix}{source}) END"
    return prefix + source


@dataclass(frozen=True)
class Mapping:
    path: str
    modules: dict[str, ModuleMapping]
    buyers_without_email: str
    status: dict[str, str | None]  # Amazon status -> Zoho Status, None = skip
    currencies: tuple[str, ...]
    custom_fields: dict[str, tuple[CustomField, ...]]

    def __getitem__(self, module: str) -> ModuleMapping:
        return self.modules[module]

    def status_rows(self) -> list[tuple[str, str | None, bool]]:
        return [(amazon, zoho, zoho is None) for amazon, zoho in self.status.items()]


def load(path: str | os.PathLike | None = None) -> Mapping:
    path = Path(path or os.environ.get("ZOHO_MAPPING_FILE") or DEFAULT_PATH)
    try:
        doc = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise MappingError(f"{path}: file not found (ZOHO_MAPPING_FILE points at a missing file?)") from None
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML: {exc}") from None
    problems: list[str] = []
    mapping = _parse(str(path), doc if isinstance(doc, dict) else {}, problems)
    if not isinstance(doc, dict):
        problems.insert(0, "the file must be a mapping with Products, Contacts, Sales_Orders, currencies and custom_fields")
    if problems:
        raise MappingError(f"{path} has {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems))
    return mapping


def _parse(path: str, doc: dict, problems: list[str]) -> Mapping:
    known = set(MODULE_ORDER) | {"currencies", "custom_fields"}
    for extra in sorted(set(doc) - known):
        problems.append(f"{extra}: unknown section; expected {', '.join(sorted(known))}")
    modules = {m: _module(m, doc.get(m), problems) for m in MODULE_ORDER}
    contacts = doc.get("Contacts") if isinstance(doc.get("Contacts"), dict) else {}
    policy = contacts.get("buyers_without_email", "shared_per_marketplace")
    if policy not in POLICIES:
        problems.append(f"Contacts.buyers_without_email: {policy!r} is not one of {', '.join(POLICIES)}")
    if modules["Contacts"].key == "Email" and policy != "skip":
        problems.append("Contacts.key: Email needs buyers_without_email: skip (contacts without an email cannot be matched by it)")
    orders = doc.get("Sales_Orders") if isinstance(doc.get("Sales_Orders"), dict) else {}
    currencies = doc.get("currencies", [])
    if not isinstance(currencies, list) or not all(isinstance(c, str) and re.fullmatch(r"[A-Z]{3}", c) for c in currencies):
        problems.append(f"currencies: {currencies!r} must be a list of ISO codes like [EUR, GBP]")
        currencies = []
    return Mapping(
        path=path,
        modules=modules,
        buyers_without_email=policy,
        status=_status(orders.get("status"), problems),
        currencies=tuple(currencies),
        custom_fields=_custom_fields(doc.get("custom_fields"), problems),
    )


def _module(module: str, spec, problems: list[str]) -> ModuleMapping:
    where = module
    if not isinstance(spec, dict):
        problems.append(f"{where}: missing; it needs at least `key` and `fields`")
        return ModuleMapping(module, "", {})
    allowed = ({"key", "fields", "existing_records"} | ({"buyers_without_email"} if module == "Contacts" else set())
               | ({"line_items", "status"} if module == "Sales_Orders" else set()))
    for extra in sorted(set(spec) - allowed):
        problems.append(f"{where}.{extra}: unknown setting; expected {', '.join(sorted(allowed))}")
    fields = _fields(f"{where}.fields", spec.get("fields"), SOURCES[module], problems)
    key = spec.get("key")
    if key not in KEY_CHOICES[module]:
        problems.append(f"{where}.key: {key!r} cannot be the match key; use {' or '.join(KEY_CHOICES[module])}")
    elif key != "Email" and fields.get(key) != KEY_SOURCE[module]:
        problems.append(f"{where}.fields.{key}: the key field must be mapped to {KEY_SOURCE[module]}")
    elif key == "Email" and fields.get("Email") != "email":
        problems.append(f"{where}.fields.Email: the key field must be mapped to email")
    line_field, line_fields = "", {}
    if module == "Sales_Orders":
        items = spec.get("line_items")
        if not isinstance(items, dict) or not _API_NAME.match(str(items.get("field", ""))):
            problems.append(f"{where}.line_items: needs `field` (the subform, Ordered_Items) and `fields`")
        else:
            line_field = items["field"]
            line_fields = _fields(f"{where}.line_items.fields", items.get("fields"), LINE_SOURCES, problems)
            if "product" not in line_fields.values():
                problems.append(f"{where}.line_items.fields: one field must be mapped to product (Zoho needs the product of each line)")
    existing = spec.get("existing_records", "adopt")
    if existing not in EXISTING_RECORDS:
        problems.append(f"{where}.existing_records: {existing!r} is not one of {', '.join(EXISTING_RECORDS)}")
    return ModuleMapping(module, str(key or ""), fields, line_field, line_fields, existing)


def _fields(where: str, spec, sources: tuple[str, ...], problems: list[str]) -> dict[str, str]:
    if not isinstance(spec, dict) or not spec:
        problems.append(f"{where}: must map Zoho field names to sources ({', '.join(sources)})")
        return {}
    out = {}
    for name, source in spec.items():
        if not _API_NAME.match(str(name)):
            problems.append(f"{where}.{name}: not a Zoho API name (letters, digits and underscores, starting with a letter)")
        elif source not in sources:
            problems.append(f"{where}.{name}: unknown source {source!r}; choose one of {', '.join(sources)}")
        else:
            out[str(name)] = source
    return out


def _status(spec, problems: list[str]) -> dict[str, str | None]:
    where = "Sales_Orders.status"
    if not isinstance(spec, dict):
        problems.append(f"{where}: must map each Amazon status ({', '.join(AMAZON_STATUSES)}) to a Zoho Status value or skip")
        return {}
    out: dict[str, str | None] = {}
    for amazon, zoho in spec.items():
        if amazon not in AMAZON_STATUSES:
            problems.append(f"{where}.{amazon}: not an Amazon order status; known: {', '.join(AMAZON_STATUSES)}")
        elif not isinstance(zoho, str) or not zoho.strip():
            problems.append(f"{where}.{amazon}: {zoho!r} must be a Zoho Status picklist value or skip")
        else:
            out[amazon] = None if zoho == "skip" else zoho
    missing = [s for s in AMAZON_STATUSES if s not in spec]
    if missing:
        problems.append(f"{where}: no entry for {', '.join(missing)} (map it to a Zoho Status value or skip)")
    return out


def _custom_fields(spec, problems: list[str]) -> dict[str, tuple[CustomField, ...]]:
    out: dict[str, tuple[CustomField, ...]] = {m: () for m in MODULE_ORDER}
    if spec is None:
        return out
    if not isinstance(spec, dict):
        problems.append("custom_fields: must list, per module, api_name: {label, type, length?, unique?}")
        return out
    for module, items in spec.items():
        if module not in MODULE_ORDER:
            problems.append(f"custom_fields.{module}: unknown module; use {', '.join(MODULE_ORDER)}")
            continue
        found = []
        for api_name, item in (items or {}).items():
            where = f"custom_fields.{module}.{api_name}"
            if not isinstance(item, dict) or not isinstance(item.get("label"), str):
                problems.append(f"{where}: needs at least {{label: ..., type: ...}}")
                continue
            if label_to_api_name(item["label"]) != api_name:
                problems.append(f"{where}: Zoho names the field {label_to_api_name(item['label'])!r} from label {item['label']!r}; make them agree")
            if item.get("type") not in FIELD_TYPES:
                problems.append(f"{where}.type: {item.get('type')!r} is not one of {', '.join(FIELD_TYPES)}")
            length = item.get("length")
            if length is not None and (not isinstance(length, int) or not 1 <= length <= 255):
                problems.append(f"{where}.length: {length!r} must be a whole number from 1 to 255")
            found.append(CustomField(module, str(api_name), item["label"], str(item.get("type")), length, bool(item.get("unique", False))))
        out[module] = tuple(found)
    return out


def label_to_api_name(label: str) -> str:
    """Zoho's rule: spaces become underscores, other punctuation is dropped ("Amazon Order ID" -> Amazon_Order_ID)."""
    cleaned = "".join(ch if ch.isalnum() or ch in " _" else "" for ch in label.strip())
    return "_".join(cleaned.split())

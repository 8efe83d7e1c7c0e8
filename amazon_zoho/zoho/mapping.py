"""mapping.yaml, loaded and checked: which Zoho field each Amazon value goes to, the contact policy for
buyers without an email, the Amazon status -> Zoho Status table, the org's currencies and the custom
fields to create. The file's shape is the pydantic model MappingFile; every problem is reported at once,
with where it is in the file and how to fix it, as a MappingError naming the file.

The payload SQL of each module builds a temp table `source` with the columns listed in SOURCES; the
mapping is handed to sql/pending.sql as data (`payload_fields`, `line_item_fields`), which turns those
columns into the JSON sent to Zoho, so the SQL stays the same whatever the mapping says.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

DEFAULT_PATH = Path(__file__).parent / "mapping.yaml"
MODULE_ORDER = ("Products", "Contacts", "Sales_Orders")

SOURCES = {
    "Products": ("sku", "asin", "title", "unit_price", "currency"),
    "Contacts": ("buyer_key", "first_name", "last_name", "email", "street", "city", "state", "postal_code", "country",
                 "marketplace_id", "sales_channel", "first_order_date", "last_order_date", "order_count"),
    "Sales_Orders": ("order_id", "subject", "status", "amazon_status", "contact", "marketplace_id", "sales_channel",
                     "fulfillment_channel", "currency", "purchase_date", "purchase_time", "purchase_local_date",
                     "order_total", "adjustment", "tax_total", "shipping_total", "discount_total", "other_charges", "prices_include_tax",
                     "ship_street", "ship_city", "ship_state", "ship_postal_code", "ship_country",
                     "bill_street", "bill_city", "bill_state", "bill_postal_code", "bill_country"),
}
LINE_SOURCES = ("product", "sku", "title", "quantity", "unit_price", "list_price", "discount", "tax")
# The fields Zoho computes Grand_Total from (sql/sales_orders_payload.sql): the sync makes them add up to Amazon's
# order total, so each must carry its source. Zoho field -> source, on the order and on each line item.
MONEY_FIELDS = {"Adjustment": "adjustment"}
LINE_MONEY_FIELDS = {"Quantity": "quantity", "List_Price": "list_price", "Discount": "discount"}
# Fields that would move Grand_Total away from Amazon's total: Zoho adds the order's Tax and a line's Tax or
# Line_Tax on top of prices that already include tax, and subtracts the order's Discount again; the totals
# themselves are read-only formulas.
UNWRITABLE_FIELDS = {
    "Tax": "Zoho adds it to Grand_Total on top of prices that include tax; the tax is in Amazon_Tax_Total",
    "Discount": "Zoho subtracts it from Grand_Total, but promotions are already on the lines",
    "Sub_Total": "Zoho computes it", "Grand_Total": "Zoho computes it",
}
LINE_UNWRITABLE_FIELDS = {
    "Tax": "Zoho adds it on top of List_Price, which includes tax already",
    "Line_Tax": "Zoho adds the tax it computes on top of List_Price, which includes tax already",
    "Total": "Zoho computes it", "Total_After_Discount": "Zoho computes it", "Net_Total": "Zoho computes it",
}
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

    def payload_fields(self) -> list[tuple[str, str, bool]]:
        """(Zoho field, source column, whether it is a lookup) for each field of the payload (sql/pending.sql)."""
        return [(name, src, (self.module, src) in LOOKUP_SOURCES) for name, src in self.fields.items()]

    def line_item_fields(self) -> list[tuple[str, str, bool]]:
        """The same for each field of a line item of the subform `line_items_field`."""
        return [(name, src, ("line", src) in LOOKUP_SOURCES) for name, src in self.line_fields.items()]


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
    path = Path(path or DEFAULT_PATH)  # Settings.zoho_mapping_file (ZOHO_MAPPING_FILE), via ZohoCrmResource
    try:
        doc = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise MappingError(f"{path}: file not found (ZOHO_MAPPING_FILE points at a missing file?)") from None
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML: {exc}") from None
    try:
        spec = MappingFile.model_validate(doc)
    except ValidationError as exc:
        problems = [_where_and_what(error) for error in exc.errors()]
        raise MappingError(f"{path} has {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems)) from None
    return spec.to_mapping(str(path))


def _where_and_what(error: ErrorDetails) -> str:
    """One problem as `Section.setting.entry: what is wrong and how to fix it`."""
    where = ".".join(str(part) for part in error["loc"] if part != "[key]")  # pydantic marks a bad dict key with [key]
    return f"{where or 'the file'}: {error['msg']}"


# -- mapping.yaml's shape, as pydantic models ---------------------------------------------------------------
# Every problem is collected in one pass: pydantic validates each setting on its own and reports them all.
# The rules mapping.yaml needs beyond types are validators below; each raises a `_problem` in the file's words.


def _problem(message: str) -> PydanticCustomError:
    return PydanticCustomError("mapping", "{problem}", {"problem": message})


def _problems(found: list[tuple[tuple, str, Any]]) -> ValidationError:
    """(place, message, value) problems, each placed below the value being validated (pydantic puts the value's
    own place in front), raised together."""
    return ValidationError.from_exception_data("mapping.yaml", [InitErrorDetails(type=_problem(m), loc=at, input=v) for at, m, v in found])


def _one_of(choices: tuple[str, ...], message: str = "{value!r} is not one of {choices}") -> BeforeValidator:
    def check(value: Any) -> Any:
        if value not in choices:
            raise _problem(message.format(value=value, choices=", ".join(choices)))
        return value

    return BeforeValidator(check)


def _api_name(value: Any) -> str:
    if not _API_NAME.match(str(value)):
        raise _problem("not a Zoho API name (letters, digits and underscores, starting with a letter)")
    return str(value)


ApiName = Annotated[str, BeforeValidator(_api_name)]


def _field_map(sources: tuple[str, ...]) -> Any:
    """Zoho field API name -> one of `sources`."""
    what = f"must map Zoho field names to sources ({', '.join(sources)})"

    def non_empty(value: Any) -> Any:
        if not isinstance(value, dict) or not value:
            raise _problem(what)
        return value

    source = Annotated[str, _one_of(sources, "unknown source {value!r}; choose one of {choices}")]
    return Annotated[dict[ApiName, source], BeforeValidator(non_empty), Field(description=what.removeprefix("must "))]


def _key(module: str) -> Any:
    choices = " or ".join(KEY_CHOICES[module])
    return Annotated[str, _one_of(KEY_CHOICES[module], "{value!r} cannot be the match key; use " + choices), Field(description=f"the match key: {choices}")]


def _key_is_mapped(module: str) -> AfterValidator:
    """The match key's field must carry the record's key (Email: the email)."""

    def check(fields: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        key = info.data.get("key")  # absent when the key itself is wrong: that problem is reported already
        source = "email" if key == "Email" else KEY_SOURCE[module]
        if key is not None and fields.get(key) != source:
            raise _problems([((key,), f"the key field must be mapped to {source}", fields.get(key))])
        return fields

    return AfterValidator(check)


def _email_key_needs_skip(key: str, info: ValidationInfo) -> str:
    if key == "Email" and info.data.get("buyers_without_email") != "skip":
        raise _problem("Email needs buyers_without_email: skip (contacts without an email cannot be matched by it)")
    return key


def _maps_product(fields: dict[str, str]) -> dict[str, str]:
    if "product" not in fields.values():
        raise _problem("one field must be mapped to product (Zoho needs the product of each line)")
    return fields


def _zoho_status(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip():
        raise _problem(f"{value!r} must be a Zoho Status picklist value or skip")
    return value


def _currency_codes(value: Any) -> Any:
    if not isinstance(value, list) or not all(isinstance(c, str) and re.fullmatch(r"[A-Z]{3}", c) for c in value):
        raise _problem(f"{value!r} must be a list of ISO codes like [EUR, GBP]")
    return value


def _field_length(value: Any) -> Any:
    if value is not None and (not isinstance(value, int) or not 1 <= value <= 255):
        raise _problem(f"{value!r} must be a whole number from 1 to 255")
    return value


def _labels_agree(specs: dict[str, CustomFieldSpec] | None) -> dict[str, CustomFieldSpec] | None:
    """Zoho derives a custom field's API name from its label, so mapping.yaml's name must be that one."""
    wrong = [
        ((name,), f"Zoho names the field {label_to_api_name(spec.label)!r} from label {spec.label!r}; make them agree", spec.label)
        for name, spec in (specs or {}).items()
        if label_to_api_name(spec.label) != name
    ]
    if wrong:
        raise _problems(wrong)
    return specs


class Section(BaseModel):
    """A mapping of settings in mapping.yaml. Pydantic's own problems with it (a setting missing or unknown, not
    a mapping at all) are put in the file's words here, so every message reads the same way."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    UNKNOWN: ClassVar[str] = "unknown setting; expected {expected}"

    @model_validator(mode="wrap")
    @classmethod
    def _in_the_files_words(cls, data: Any, handler: Any) -> Any:
        try:
            return handler(data)
        except ValidationError as exc:
            raise _problems([(cls._place(e), cls._reworded(e), e["input"]) for e in exc.errors()]) from None

    @classmethod
    def _reworded(cls, error: ErrorDetails) -> str:
        expected = ", ".join(f.alias or name for name, f in cls.model_fields.items())
        own = len(error["loc"]) <= 1  # about this section's own keys, not an entry deeper down
        if own and error["type"] == "missing":
            hint = cls.model_fields[str(error["loc"][0])].description
            return f"no entry for {error['loc'][0]}" + (f" ({hint})" if hint else "")
        if own and error["type"] == "extra_forbidden":
            return cls.UNKNOWN.format(expected=expected)
        if not error["loc"] and error["type"] == "model_type":
            return f"must be a mapping with {expected}"
        return error["msg"]

    @staticmethod
    def _place(error: ErrorDetails) -> tuple:
        """A missing entry is reported where it is missing: in the section, not under its own name."""
        return () if len(error["loc"]) == 1 and error["type"] == "missing" else error["loc"]


class ProductsSection(Section):
    key: _key("Products")
    fields: Annotated[_field_map(SOURCES["Products"]), _key_is_mapped("Products")]
    existing_records: Annotated[str, _one_of(EXISTING_RECORDS)] = "adopt"


class ContactsSection(Section):
    buyers_without_email: Annotated[str, _one_of(POLICIES)] = "shared_per_marketplace"  # before key: the key's rule reads it
    key: Annotated[_key("Contacts"), AfterValidator(_email_key_needs_skip)]
    fields: Annotated[_field_map(SOURCES["Contacts"]), _key_is_mapped("Contacts")]
    existing_records: Annotated[str, _one_of(EXISTING_RECORDS)] = "adopt"


class LineItemsSection(Section):
    field: ApiName = Field(description="the subform, Ordered_Items")
    fields: Annotated[_field_map(LINE_SOURCES), AfterValidator(_maps_product)]


class _StatusTableBase(Section):
    UNKNOWN: ClassVar[str] = "not an Amazon order status; known: {expected}"


# Amazon order status -> a value of Zoho's Status picklist, or skip: one entry per Amazon status.
StatusTable = create_model(
    "StatusTable",
    __base__=_StatusTableBase,
    **{s: (Annotated[str, BeforeValidator(_zoho_status)], Field(description="map it to a Zoho Status value or skip")) for s in AMAZON_STATUSES},
)


class SalesOrdersSection(Section):
    key: _key("Sales_Orders")
    fields: Annotated[_field_map(SOURCES["Sales_Orders"]), _key_is_mapped("Sales_Orders")]
    line_items: LineItemsSection = Field(description="`field`, the subform, and its `fields`")
    status: StatusTable = Field(description="each Amazon status -> a Zoho Status value or skip")
    existing_records: Annotated[str, _one_of(EXISTING_RECORDS)] = "adopt"

    @model_validator(mode="after")
    def _totals_tie_out(self) -> SalesOrdersSection:
        """Zoho's Grand_Total must come out as Amazon's order total: the money fields carry their sources, and
        nothing Zoho would add or subtract again is written (sql/sales_orders_payload.sql says why)."""
        found = []
        for where, fields, required, refused in (("fields", self.fields, MONEY_FIELDS, UNWRITABLE_FIELDS),
                                                 (("line_items", "fields"), self.line_items.fields, LINE_MONEY_FIELDS, LINE_UNWRITABLE_FIELDS)):
            at = where if isinstance(where, tuple) else (where,)
            for name, source in required.items():
                if fields.get(name) != source:
                    found.append(((*at, name), f"must be mapped to {source}: Zoho computes Grand_Total from it, and the sync makes "
                                               "Grand_Total equal Amazon's order total", fields.get(name)))
            for name, why in refused.items():
                if name in fields:
                    found.append(((*at, name), f"cannot be written: {why}", fields[name]))
        if found:
            raise _problems(found)
        return self


class CustomFieldSpec(Section):
    """api_name: {label, type, length?, unique?} under custom_fields; other keys are ignored, as they always were."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    label: str
    type: Annotated[str, _one_of(FIELD_TYPES)]
    length: Annotated[int | None, BeforeValidator(_field_length)] = None
    unique: bool = False


CustomFieldSpecs = Annotated[dict[str, CustomFieldSpec] | None, AfterValidator(_labels_agree)]


class CustomFieldsSection(Section):
    UNKNOWN: ClassVar[str] = "unknown module; use {expected}"
    Products: CustomFieldSpecs = None
    Contacts: CustomFieldSpecs = None
    Sales_Orders: CustomFieldSpecs = None


class MappingFile(Section):
    """mapping.yaml as a whole."""

    UNKNOWN: ClassVar[str] = "unknown section; expected {expected}"
    Products: ProductsSection = Field(description="it needs at least `key` and `fields`")
    Contacts: ContactsSection = Field(description="it needs at least `key` and `fields`")
    Sales_Orders: SalesOrdersSection = Field(description="it needs `key`, `fields`, `line_items` and `status`")
    currencies: Annotated[tuple[str, ...], BeforeValidator(_currency_codes)] = ()
    custom_fields: CustomFieldsSection | None = None

    def to_mapping(self, path: str) -> Mapping:
        sections = {"Products": self.Products, "Contacts": self.Contacts, "Sales_Orders": self.Sales_Orders}
        custom = self.custom_fields or CustomFieldsSection()
        return Mapping(
            path=path,
            modules={module: _module_mapping(module, section) for module, section in sections.items()},
            buyers_without_email=self.Contacts.buyers_without_email,
            status={amazon: None if zoho == "skip" else zoho for amazon, zoho in self.Sales_Orders.status},
            currencies=self.currencies,
            custom_fields={
                module: tuple(CustomField(module, name, s.label, s.type, s.length, s.unique) for name, s in (getattr(custom, module) or {}).items())
                for module in MODULE_ORDER
            },
        )


def _module_mapping(module: str, section: ProductsSection | ContactsSection | SalesOrdersSection) -> ModuleMapping:
    lines = getattr(section, "line_items", None)
    return ModuleMapping(module, section.key, dict(section.fields), lines.field if lines else "", dict(lines.fields) if lines else {},
                         section.existing_records)


def label_to_api_name(label: str) -> str:
    """Zoho's rule: spaces become underscores, other punctuation is dropped ("Amazon Order ID" -> Amazon_Order_ID)."""
    cleaned = "".join(ch if ch.isalnum() or ch in " _" else "" for ch in label.strip())
    return "_".join(cleaned.split())

"""The org's field catalog: Zoho's standard fields for Contacts, Products and Sales_Orders, plus the
custom fields an admin (or our setup command) creates through the Fields API.

A field here is a small dict (api_name, field_label, data_type, length, mandatory, unique, dup_check,
custom, lookup, pick_list, read_only); `settings.py` renders it in the shape of fields.json.
Standard fields follow Zoho's default layouts (API-FACTS §8; CData Zoho CRM table docs).
"""

from __future__ import annotations

import json

MODULES = {
    # api_name -> (singular label, plural label, module id, display field)
    "Contacts": ("Contact", "Contacts", "5725767000000002179", "Full_Name"),
    "Products": ("Product", "Products", "5725767000000002185", "Product_Name"),
    "Sales_Orders": ("Sales Order", "Sales Orders", "5725767000000002191", "Subject"),
}
LINE_ITEMS_MODULE = "Ordered_Items"

# System-defined duplicate-check fields used by upsert before any unique custom field (Kaizen #56).
SYSTEM_DUP_FIELD = {"Contacts": "Email", "Products": "Product_Name", "Sales_Orders": "Subject"}

# Data types Zoho allows to be marked unique (Kaizen #56: Single Line, Email, Phone, Number, Long
# Integer, URL).
UNIQUE_CAPABLE = {"text", "email", "phone", "integer", "bigint", "website"}

_AUDIT = [
    ("Owner", "Owner", "ownerlookup", 120, {"read_only": False}),
    ("Created_By", "Created By", "ownerlookup", 120, {"read_only": True}),
    ("Modified_By", "Modified By", "ownerlookup", 120, {"read_only": True}),
    ("Created_Time", "Created Time", "datetime", 120, {"read_only": True}),
    ("Modified_Time", "Modified Time", "datetime", 120, {"read_only": True}),
]

_ADDRESS = ["Street", "City", "State", "Code", "Country"]
_ADDR_LEN = {"Street": 250, "City": 100, "State": 100, "Code": 30, "Zip": 30, "Country": 100}


def _f(api_name, label, data_type, length=255, **extra) -> dict:
    field = {
        "api_name": api_name,
        "field_label": label,
        "data_type": data_type,
        "length": length,
        "mandatory": False,
        "unique": False,
        "casesensitive": False,
        "custom": False,
        "read_only": False,
        "lookup": None,
        "pick_list": None,
    }
    field.update(extra)
    return field


def _standard(module: str) -> list[dict]:
    audit = [_f(a, label, t, n, **x) for a, label, t, n, x in _AUDIT]
    if module == "Contacts":
        return [
            _f("First_Name", "First Name", "text", 40),
            _f("Last_Name", "Last Name", "text", 80, mandatory=True),
            _f("Full_Name", "Full Name", "text", 120, read_only=True),
            _f("Email", "Email", "email", 100),
            _f("Secondary_Email", "Secondary Email", "email", 100),
            _f("Phone", "Phone", "phone", 30),
            _f("Mobile", "Mobile", "phone", 30),
            *[_f(f"Mailing_{p}", f"Mailing {p}", "text", _ADDR_LEN[p]) for p in ["Street", "City", "State", "Zip", "Country"]],
            _f("Description", "Description", "textarea", 32000),
            *audit,
        ]
    if module == "Products":
        return [
            _f("Product_Name", "Product Name", "text", 120, mandatory=True),
            _f("Product_Code", "Product Code", "text", 40),
            _f("Unit_Price", "Unit Price", "currency", 16),
            # Multi-currency orgs have Currency on inventory modules (ISO code here; Zoho shows the name).
            _f("Currency", "Currency", "text", 3),
            _f("Product_Active", "Product Active", "boolean", 5),
            _f("Qty_in_Stock", "Qty in Stock", "double", 16),
            _f("Description", "Description", "textarea", 32000),
            *audit,
        ]
    if module == "Sales_Orders":
        return [
            _f("Subject", "Subject", "text", 120, mandatory=True),
            _f("SO_Number", "SO Number", "autonumber", 120, read_only=True),
            _f("Ordered_Items", "Ordered Items", "subform", 255, mandatory=True, subform=LINE_ITEMS_MODULE),
            _f("Contact_Name", "Contact Name", "lookup", 120, lookup="Contacts"),
            _f("Status", "Status", "picklist", 120, pick_list=["Created", "Approved", "Delivered", "Cancelled"]),
            _f("Due_Date", "Due Date", "date", 20),
            _f("Purchase_Order", "Purchase Order", "text", 100),
            _f("Customer_No", "Customer No", "text", 100),
            _f("Carrier", "Carrier", "text", 100),
            *[_f(f"Billing_{p}", f"Billing {p}", "text", _ADDR_LEN[p]) for p in _ADDRESS],
            *[_f(f"Shipping_{p}", f"Shipping {p}", "text", _ADDR_LEN[p]) for p in _ADDRESS],
            _f("Sub_Total", "Sub Total", "currency", 16, read_only=True),
            _f("Discount", "Discount", "currency", 16),
            _f("Tax", "Tax", "currency", 16),
            _f("Adjustment", "Adjustment", "currency", 16),
            _f("Grand_Total", "Grand Total", "currency", 16, read_only=True),
            _f("Currency", "Currency", "text", 3),
            _f("Exchange_Rate", "Exchange Rate", "double", 16),
            _f("Description", "Description", "textarea", 32000),
            *audit,
        ]
    return []


def line_item_fields() -> list[dict]:
    """Fields of one Ordered_Items row. Total, Total_After_Discount and Net_Total are read-only formulas, as in
    a real org's field export (line_items.py names it); line_items.order_totals computes them."""
    return [
        _f("Product_Name", "Product Name", "lookup", 120, mandatory=True, lookup="Products"),
        _f("Quantity", "Quantity", "double", 16),
        _f("List_Price", "List Price", "currency", 16),
        _f("Discount", "Discount", "currency", 16),
        _f("Tax", "Tax", "currency", 16),
        _f("Total", "Total", "currency", 16, read_only=True),
        _f("Total_After_Discount", "Total After Discount", "currency", 16, read_only=True),
        _f("Net_Total", "Net Total", "currency", 16, read_only=True),
        _f("Description", "Description", "textarea", 2000),
    ]


SCHEMA = """
CREATE TABLE IF NOT EXISTS zoho_fields (
    module TEXT NOT NULL, api_name TEXT NOT NULL, data TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (module, api_name)
);
"""

# The custom fields the project's setup command creates (README); also installable through
# POST /_sandbox/zoho/install_custom_fields for tests.
PROJECT_CUSTOM_FIELDS = {
    "Contacts": [
        {"field_label": "Amazon Buyer Key", "data_type": "text", "length": 255, "unique": {"casesensitive": "false"}},
        {"field_label": "Amazon First Order", "data_type": "date"},
        {"field_label": "Amazon Last Order", "data_type": "date"},
    ],
    "Products": [
        {"field_label": "Amazon ASIN", "data_type": "text", "length": 20},
        {"field_label": "Amazon SKU", "data_type": "text", "length": 100, "unique": {"casesensitive": "false"}},
    ],
    "Sales_Orders": [
        {"field_label": "Amazon Order ID", "data_type": "text", "length": 40, "unique": {"casesensitive": "false"}},
        {"field_label": "Amazon Marketplace", "data_type": "text", "length": 40},
        {"field_label": "Sales Channel", "data_type": "text", "length": 60},
        {"field_label": "Fulfillment Channel", "data_type": "text", "length": 20},
        {"field_label": "Amazon Order Status", "data_type": "text", "length": 40},
    ],
}


class Catalog:
    """Fields per module: the standard set overlaid with what is stored in `zoho_fields`."""

    def __init__(self, store, text_cap=lambda: 0):
        self.store = store
        store.ensure(SCHEMA)
        # module -> (its fields, the same by api_name): a Bulk Write job asks for each mapped field of each row (27 x
        # 25,000 for the project's sales orders), and a scan of ~45 fields was a tenth of the job's CPU.
        self._cache: dict[str, tuple[list[dict], dict[str, dict]]] = {}
        self._text_cap = text_cap  # the zoho_text_field_length knob (sandbox/config.py); 0 = Zoho's lengths

    def invalidate(self) -> None:
        self._cache.clear()

    def fields(self, module: str) -> list[dict]:
        return self._fields(module)[0]

    def field(self, module: str, api_name: str) -> dict | None:
        return self._fields(module)[1].get(api_name)

    def _fields(self, module: str) -> tuple[list[dict], dict[str, dict]]:
        # One lookup, so an invalidate() from another thread between a check and a read cannot fail it.
        entry = self._cache.get(module)
        if entry is None:
            cap = self._text_cap()
            by_name = {f["api_name"]: (dict(f, length=min(f["length"], cap)) if cap > 0 and f["data_type"] == "text" and not f["read_only"] else f)
                       for f in _standard(module)}
            rows = self.store.query("SELECT data FROM zoho_fields WHERE module = ? ORDER BY seq", (module,))
            for row in rows:
                field = json.loads(row["data"])
                by_name[field["api_name"]] = field  # stored overrides (e.g. a standard field made unique)
            entry = self._cache[module] = (list(by_name.values()), by_name)
        return entry

    def save(self, module: str, field: dict) -> None:
        seq = self.store.query("SELECT COUNT(*) AS n FROM zoho_fields")[0]["n"]
        self.store.execute(
            "INSERT INTO zoho_fields(module, api_name, data, seq) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(module, api_name) DO UPDATE SET data = excluded.data",
            (module, field["api_name"], json.dumps(field), seq),
        )
        self.invalidate()

    def unique_fields(self, module: str) -> list[dict]:
        return [f for f in self.fields(module) if f["unique"]]

    def default_dup_fields(self, module: str) -> list[str]:
        """Zoho's order when duplicate_check_fields is omitted: system field, then unique fields."""
        system = SYSTEM_DUP_FIELD[module]
        return [system] + [f["api_name"] for f in self.unique_fields(module) if f["api_name"] != system]

    def indexed_fields(self, module: str) -> list[str]:
        """Fields kept in the lookup index: everything a duplicate check may match on."""
        return self.default_dup_fields(module)


def api_name_from_label(label: str) -> str:
    """Zoho derives a custom field's api_name from its label: spaces become underscores and other
    punctuation is dropped ("Amazon Order ID" -> "Amazon_Order_ID")."""
    cleaned = "".join(ch if ch.isalnum() or ch in " _" else "" for ch in label.strip())
    return "_".join(cleaned.split())

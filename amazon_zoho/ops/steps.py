"""The SQL files of ops as declared steps (warehouse/steps.py): what each reads, creates and writes.

amazon_zoho_tests/test_sql_steps.py checks these declarations against the files in ops/sql/.
"""

from __future__ import annotations

from ..warehouse.steps import Step, beside

step = beside(__file__)

# Buyer PII past its retention: when each order's clock started (`pii_clock`), the orders whose time ran out
# (`pii_expired`, which pii_retention counts afterwards), and their contacts deleted.
PII_RETENTION = step("pii_retention.sql", reads=("pii.order_contacts", "core.orders"), creates=("pii_clock", "pii_expired"),
                     writes=("pii.order_contacts",))

# Zoho contacts whose buyer details all expired, and sales orders whose address did (queries over the pii rows
# themselves, not core: zoho_retention.py).
# What both read: whether a record still holds details to clear (`holds_details`).
SCRUB_CANDIDATES = step("scrub_candidates.sql", reads=("ops.zoho_pii_scrubs",), macros=("holds_details",))
ZOHO_CONTACTS_EXPIRED = step("zoho_contacts_expired.sql", reads=("ops.zoho_sync_state", "pii.order_contacts", "holds_details"))
ZOHO_SALES_ORDERS_EXPIRED = step("zoho_sales_orders_expired.sql", reads=("ops.zoho_sync_state", "pii.order_contacts", "holds_details"))

ALL: tuple[Step, ...] = (PII_RETENTION, SCRUB_CANDIDATES, ZOHO_CONTACTS_EXPIRED, ZOHO_SALES_ORDERS_EXPIRED)
SEQUENCES: dict[str, tuple[Step, ...]] = {"pii retention": (PII_RETENTION,),
                                          "zoho pii retention": (SCRUB_CANDIDATES, ZOHO_CONTACTS_EXPIRED, ZOHO_SALES_ORDERS_EXPIRED)}

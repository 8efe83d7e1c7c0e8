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

ALL: tuple[Step, ...] = (PII_RETENTION,)
SEQUENCES: dict[str, tuple[Step, ...]] = {"pii retention": (PII_RETENTION,)}

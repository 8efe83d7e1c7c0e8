"""The SQL files that store what Amazon sent, as declared steps (warehouse/steps.py): what each reads, creates
and writes.

Fetched orders come in as data frames (`incoming`, `incoming_contacts`, registered while a step runs); flat
files come in as temp tables DuckDB's CSV reader made before the step (`prepared`: flat_files.read_tsv, and
order_reports._load_document's `order_report_lines`). amazon_zoho_tests/test_sql_steps.py checks these
declarations against the files in amazon/sql/.
"""

from __future__ import annotations

from dataclasses import replace

from ..warehouse.steps import Step, beside

step = beside(__file__)

# order_store.store_orders: new versions of the orders fetched (`new_versions`, which it reads afterwards for
# the days that changed; the quarantine rows of orders that now load are cleared), those it cannot place
# quarantined (when it is given a day to file them under),
# and the buyers' contacts into the restricted schema.
INSERT_ORDER_VERSIONS = step("insert_order_versions.sql", reads=("raw.order_versions",), given=("incoming",), creates=("new_versions",),
                             macros=("order_detail",), writes=("raw.order_versions", "ops.quarantine"))
QUARANTINE_ORDER_VERSIONS = step("quarantine_order_versions.sql", given=("incoming",), writes=("ops.quarantine",))
UPSERT_ORDER_CONTACTS = step("upsert_order_contacts.sql", reads=("raw.order_versions",), given=("incoming_contacts",), writes=("pii.order_contacts",))
STORE_ORDERS: tuple[Step, ...] = (INSERT_ORDER_VERSIONS, QUARANTINE_ORDER_VERSIONS, UPSERT_ORDER_CONTACTS)

# order_reports._load_document: an all-orders report's lines (`order_report_lines`, and the reader's rejects)
# typed and checked, the orders with a bad line held back and quarantined, the rest shaped like Orders API
# orders (`order_report_orders`) and handed on as `incoming`, a temp table here; then the orders of the report
# that need getOrder for their buyer (a query).
ORDER_REPORT_PAYLOADS = step(
    "order_report_payloads.sql",
    reads=("core.marketplaces",),
    prepared=("order_report_lines", "order_report_rejects"),
    creates=("order_report_typed", "order_report_held", "order_report_items", "order_report_orders", "incoming"),
    macros=("report_money", "not_money", "money_json", "unit_price", "report_status"),
    writes=("ops.quarantine",),
)
INSERT_REPORT_VERSIONS = replace(INSERT_ORDER_VERSIONS, reads=("incoming", "raw.order_versions"), given=())
BUYER_DETAIL_CANDIDATES = step("buyer_detail_candidates.sql", reads=("order_report_orders", "raw.order_versions"))
LOAD_ORDER_REPORT: tuple[Step, ...] = (ORDER_REPORT_PAYLOADS, INSERT_REPORT_VERSIONS, BUYER_DETAIL_CANDIDATES)

# settlement_files.load_rows: the lines DuckDB's reader rejected (`settlement_rejects`) into ops.quarantine.
QUARANTINE_SETTLEMENT_REJECTS = step("quarantine_settlement_rejects.sql", prepared=("settlement_rejects",), writes=("ops.quarantine",))

# intraday.record_notifications: one tick's ORDER_CHANGE notifications (`incoming_notifications`) into ops.notifications.
RECORD_NOTIFICATIONS = step("record_notifications.sql", given=("incoming_notifications",), writes=("ops.notifications",))

ALL: tuple[Step, ...] = (*STORE_ORDERS, RECORD_NOTIFICATIONS, *LOAD_ORDER_REPORT, QUARANTINE_SETTLEMENT_REJECTS)
# The orders the steps run in, each checked: a step reads only what an earlier one of its sequence created
# (or what it is given or prepared).
SEQUENCES: dict[str, tuple[Step, ...]] = {"store orders": STORE_ORDERS, "load an order report": LOAD_ORDER_REPORT,
                                          "load a settlement file": (QUARANTINE_SETTLEMENT_REJECTS,)}

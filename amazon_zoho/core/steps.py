"""The SQL files that build core, as declared steps (warehouse/steps.py): what each reads, creates and writes.

A window's build hands typed rows from step to step in temp tables and macros; the assets run the sequences
below and read afterwards only what a step here creates (core_orders counts `order_rejects`).
amazon_zoho_tests/test_sql_steps.py checks these declarations against the files in core/sql/.
"""

from __future__ import annotations

from ..warehouse.steps import Step, beside

step = beside(__file__)

# core.orders and core.order_lines for [$start, $end): the window's latest versions and their items typed once
# (every proceeds breakdown in its column), the orders that violate the model or do not add up set aside
# (`order_rejects`, with the reason), then each table, then the rejects.
ORDER_WINDOW = step("order_window.sql", reads=("raw.order_versions", "core.marketplaces"),
                    creates=("order_window", "item_window", "order_amounts", "order_rejects"), macros=("breakdown_sum", "breakdown_detail"))
ORDERS = step("orders.sql", reads=("item_window", "order_window", "order_rejects", "breakdown_sum", "core.marketplaces"), writes=("core.orders",))
ORDER_LINES = step("order_lines.sql", reads=("item_window", "order_rejects", "core.marketplaces"), writes=("core.order_lines",))
QUARANTINE_ORDERS = step("quarantine_orders.sql", reads=("order_rejects", "raw.order_versions"), writes=("ops.quarantine",))
BUILD_ORDERS: tuple[Step, ...] = (ORDER_WINDOW, ORDERS, ORDER_LINES, QUARANTINE_ORDERS)

# Late changes (late_days.py): the days an order-path asset built before whose source moved on since (a query),
# and the record of what it built now.
DAY_SOURCES = step("day_sources.sql", reads=("raw.order_versions", "ops.order_day_builds"), macros=("order_day_source",))
LATE_DAYS = step("late_days.sql", reads=("order_day_source", "ops.order_day_builds"))
# Intraday (amazon/intraday.py): the days whose raw orders moved past what Zoho was sent (a query).
DAYS_BEHIND_ZOHO = step("days_behind_zoho.sql", reads=("order_day_source", "ops.order_day_builds"))
RECORD_DAY_BUILDS = step("record_day_builds.sql", reads=("order_day_source",), writes=("ops.order_day_builds",))

# core.customers and core.products, rebuilt whole from the canonical orders.
CUSTOMERS_PRODUCTS = step("customers_products.sql", reads=("core.orders", "core.order_lines"), writes=("core.customers", "core.products"))

# core.settlements and core.settlement_lines for the settlements that ended in [$start, $end): the window's
# rows typed in their marketplace's formats, each with the reason it cannot enter core (`settlement_window`).
# Each settlement is read from the newest report that carries it (`settlement_reports_window`), whichever window that
# report is in, so a settlement listed under two report ids counts once.
# The marketplaces' amount and date formats are macros of their own (`SETTLEMENT_FORMATS`): amazon/imports.py
# reads a downloaded file's settlement-end-date with them, so the day it files a file under is the day core reads.
SETTLEMENT_FORMATS = step("settlement_formats.sql",
                          macros=("local_decimal", "settlement_date_parts", "settlement_ymd", "settlement_offset_minutes",
                                  "settlement_instant", "settlement_ts", "settlement_date_order"))
SETTLEMENT_WINDOW = step("settlement_window.sql", reads=("raw.settlement_rows", "raw.settlement_reports", "core.marketplaces",
                                                         "local_decimal", "settlement_ts", "settlement_date_order"),
                         creates=("settlement_reports_window", "settlement_window"))
SETTLEMENTS = step("settlements.sql", reads=("settlement_window", "settlement_reports_window", "raw.settlement_reports"), macros=("line_class",),
                   writes=("core.settlements", "core.settlement_lines", "ops.quarantine"))
BUILD_SETTLEMENTS: tuple[Step, ...] = (SETTLEMENT_FORMATS, SETTLEMENT_WINDOW, SETTLEMENTS)

ALL: tuple[Step, ...] = (*BUILD_ORDERS, DAY_SOURCES, LATE_DAYS, DAYS_BEHIND_ZOHO, RECORD_DAY_BUILDS, CUSTOMERS_PRODUCTS, *BUILD_SETTLEMENTS)
# The orders the steps run in, each checked: a step reads only what an earlier one of its sequence created.
SEQUENCES: dict[str, tuple[Step, ...]] = {"core orders": BUILD_ORDERS, "customers and products": (CUSTOMERS_PRODUCTS,),
                                          "core settlements": BUILD_SETTLEMENTS, "late days": (DAY_SOURCES, LATE_DAYS),
                                          "days behind zoho": (DAY_SOURCES, DAYS_BEHIND_ZOHO),
                                          "record day builds": (DAY_SOURCES, RECORD_DAY_BUILDS)}

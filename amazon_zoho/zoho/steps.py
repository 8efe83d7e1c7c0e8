"""The SQL files of a push as declared steps: what each reads, creates and writes, in one place.

Steps hand data to each other through temp tables of the connection, and Python hands data in as data frames
registered for the length of one step (`given`). Names with a schema (ops.zoho_sync_state) are the
warehouse's tables; the others are temp tables and views. amazon_zoho_tests/zoho/test_steps.py checks these
declarations against the SQL files, and that every step of PREPARE reads only what an earlier one created.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from ..warehouse import run_sql
from .mapping import MODULE_ORDER


@dataclass(frozen=True)
class Step:
    sql_file: str  # in amazon_zoho/zoho/sql/
    reads: tuple[str, ...] = ()  # temp tables and views an earlier step created, and warehouse tables
    given: tuple[str, ...] = ()  # data frames Python registers under these names while the step runs
    creates: tuple[str, ...] = ()  # temp tables and views
    writes: tuple[str, ...] = ()  # warehouse tables it inserts into, updates or deletes from
    modules: tuple[str, ...] = MODULE_ORDER  # the modules it runs for, in PREPARE

    def run(self, conn: duckdb.DuckDBPyConnection, params: dict | None = None, **frames: pd.DataFrame) -> None:
        if set(frames) != set(self.given):
            raise ValueError(f"{self.sql_file} is given {', '.join(self.given) or 'nothing'}, not {', '.join(frames) or 'nothing'}")
        for name, frame in frames.items():
            conn.register(name, frame)
        try:
            run_sql(conn, __file__, self.sql_file, params)
        finally:
            for name in frames:
                conn.unregister(name)


# What a push of one module sends: sync.prepare runs these in order (each for the modules it names), leaving
# `pending` (every record's payload), `classified` (what each needs) and `to_send` (those to push).
PREPARE: tuple[Step, ...] = (
    Step("backlog.sql", reads=("ops.zoho_sync_state", "ops.zoho_dead_letters"), creates=("backlog",)),
    Step("ids.sql", reads=("ops.zoho_sync_state",), creates=("dry_run_ids", "zoho_ids")),
    Step("contact_keys.sql", reads=("core.orders", "pii.order_contacts"), creates=("order_contact",), modules=("Contacts", "Sales_Orders")),
    Step("products_payload.sql", reads=("core.products", "core.order_lines", "backlog"), creates=("source",), modules=("Products",)),
    Step("contacts_payload.sql", reads=("order_contact", "pii.order_contacts", "backlog"), creates=("source",), modules=("Contacts",)),
    Step("sales_orders_payload.sql", reads=("core.orders", "core.order_lines", "pii.order_contacts", "order_contact", "backlog", "zoho_ids"),
         given=("zoho_status_map", "marketplace_time_zones"), creates=("source",), modules=("Sales_Orders",)),
    Step("pending.sql", reads=("source",), given=("payload_fields", "line_item_fields"), creates=("pending",)),
    Step("classify_pending.sql", reads=("pending", "ops.zoho_sync_state"), creates=("classified", "to_send")),
)

# Zoho's answers for one batch (rows.Result) into the id map and the dead letters.
RECORD_RESULTS = Step("record_results.sql", reads=("classified",), given=("results",), writes=("ops.zoho_sync_state", "ops.zoho_dead_letters"))
# Records Zoho holds as the current mapping and payload SQL build them (sync.built_with), after a push.
MARK_BUILT = Step("mark_built.sql", reads=("classified", "ops.zoho_sync_state"), writes=("ops.zoho_sync_state",))
# Records the credit budget kept back: deferred to the next run.
MARK_DEFERRED = Step("mark_deferred.sql", given=("deferred",), writes=("ops.zoho_sync_state",))
# Record ids from a Bulk Write job an earlier run did not see finish.
REPAIR_IDS = Step("repair_ids.sql", given=("repaired",), writes=("ops.zoho_sync_state",))
BULK_JOB_STARTED = Step("bulk_job_started.sql", writes=("ops.zoho_bulk_jobs",))
BULK_JOB_APPLIED = Step("bulk_job_applied.sql", writes=("ops.zoho_bulk_jobs",))

ALL: tuple[Step, ...] = (*PREPARE, RECORD_RESULTS, MARK_BUILT, MARK_DEFERRED, REPAIR_IDS, BULK_JOB_STARTED, BULK_JOB_APPLIED)

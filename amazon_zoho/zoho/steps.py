"""The SQL files of a push as declared steps: what each reads, creates and writes, in one place.

Steps hand data to each other through temp tables of the connection, and Python hands data in as data frames
registered for the length of one step (`given`). Names with a schema (ops.zoho_sync_state) are the
warehouse's tables; the others are temp tables and views. The generic part (running a step, reading a file's
tables) is warehouse/steps.py; amazon_zoho_tests/test_sql_steps.py checks these declarations against the SQL
files, and that every step of PREPARE reads only what an earlier one created.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..warehouse import steps as warehouse_steps
from .mapping import MODULE_ORDER


@dataclass(frozen=True)
class Step(warehouse_steps.Step):
    """A step of a push: its file in amazon_zoho/zoho/sql/, run for the modules it names."""

    modules: tuple[str, ...] = MODULE_ORDER  # the modules it runs for, in PREPARE
    # Run once for each slice of the records (sync.prepare), given $slice and $slices: a record is in the slice where
    # hash(record_key) % $slices = $slice. Every other step of PREPARE runs once for the window.
    per_slice: bool = False
    package_file: str = field(default=__file__, kw_only=True)


# What a push of one module sends: sync.prepare runs these in order (each for the modules it names), the per_slice
# ones for each slice of the records in turn, leaving `classified` (what each record needs) and `to_send` (those to
# push) for the whole window, and `pending` (every record's payload) for the last slice.
PREPARE: tuple[Step, ...] = (
    Step("push_tables.sql", creates=("classified", "to_send", "push_answered")),
    Step("backlog.sql", reads=("ops.zoho_sync_state", "ops.zoho_dead_letters"), creates=("backlog",)),
    Step("ids.sql", reads=("ops.zoho_sync_state",), creates=("dry_run_ids", "zoho_ids")),
    Step("contact_keys.sql", reads=("core.orders", "pii.order_contacts"), creates=("order_contact",), modules=("Contacts", "Sales_Orders")),
    Step("products_payload.sql", reads=("core.products", "core.order_lines", "backlog"), creates=("source",), modules=("Products",),
         per_slice=True),
    Step("contacts_payload.sql", reads=("order_contact", "pii.order_contacts", "backlog"), creates=("source",), modules=("Contacts",),
         per_slice=True),
    Step("sales_orders_payload.sql",
         reads=("core.orders", "core.order_lines", "core.marketplaces", "pii.order_contacts", "order_contact", "backlog", "zoho_ids"),
         given=("zoho_status_map",), creates=("source",), modules=("Sales_Orders",), per_slice=True),
    Step("pending.sql", reads=("source",), given=("payload_fields", "line_item_fields"), creates=("pending",), per_slice=True),
    Step("classify_pending.sql", reads=("pending", "ops.zoho_sync_state", "ops.zoho_dead_letters"), creates=("slice_classified",),
         writes=("classified", "to_send"), per_slice=True),
)

# Zoho's answers for one batch (rows.Result) into the id map and the dead letters.
RECORD_RESULTS = Step("record_results.sql", reads=("classified", "ops.zoho_dead_letters"), given=("results",),
                      writes=("ops.zoho_sync_state", "ops.zoho_dead_letters", "push_answered"))
# Records Zoho holds as the current mapping and payload SQL build them (sync.built_with), after a push.
MARK_BUILT = Step("mark_built.sql", reads=("classified", "ops.zoho_sync_state"), writes=("ops.zoho_sync_state",))
# Records the credit budget kept back: deferred to the next run.
MARK_DEFERRED = Step("mark_deferred.sql", given=("deferred",), writes=("ops.zoho_sync_state",))
# Record ids from a Bulk Write job an earlier run did not see finish.
REPAIR_IDS = Step("repair_ids.sql", given=("repaired",), writes=("ops.zoho_sync_state",))
BULK_JOB_STARTED = Step("bulk_job_started.sql", writes=("ops.zoho_bulk_jobs",))
BULK_JOB_APPLIED = Step("bulk_job_applied.sql", writes=("ops.zoho_bulk_jobs",))
# The CSV lines of one Bulk Write job from a range of `to_send` (bulk_files.py), text fitted to `fitted_fields`.
BULK_FILES = Step("bulk_files.sql", reads=("to_send",), given=("fitted_fields", "line_columns"), macros=("csv_cell", "json_cell"),
                  creates=("job_columns", "job_record_lines", "job_item_lines"))
# The credits of the calls just made (a data frame) into the ledger; answers the rolling 24 hours' use (budget.py).
CREDIT_LEDGER = Step("credit_ledger.sql", reads=("ops.zoho_credit_ledger",), given=("ledger_entries",), writes=("ops.zoho_credit_ledger",))
# The sales orders whose duplicate line items were deleted, no longer flagged (lines.py).
LINES_PRUNED = Step("lines_pruned.sql", given=("pruned",), writes=("ops.zoho_sync_state",))
# One row per run and module (report.py).
SYNC_RUN = Step("sync_run.sql", writes=("ops.sync_runs",))
# A dry run of one module, after PREPARE: what a push would do per record; the products and contacts it would
# insert get placeholder ids in `dry_run_ids` (made by ids.sql) for the modules after them (jobs.py).
PREVIEW = Step("preview.sql", reads=("classified", "ops.zoho_sync_state"), writes=("ops.zoho_sync_preview", "dry_run_ids"))
# The id map read back from Zoho (verify.py): the entries of a module (or of some keys) to read, then those Zoho
# contradicts cleared and recorded.
ID_MAP = Step("id_map.sql", reads=("ops.zoho_sync_state",))
CLEAR_WRONG_IDS = Step("clear_wrong_ids.sql", given=("id_problems",), writes=("ops.zoho_id_checks", "ops.zoho_sync_state"))

ALL: tuple[Step, ...] = (
    *PREPARE, RECORD_RESULTS, MARK_BUILT, MARK_DEFERRED, REPAIR_IDS, BULK_JOB_STARTED, BULK_JOB_APPLIED, BULK_FILES, CREDIT_LEDGER, LINES_PRUNED,
    SYNC_RUN, PREVIEW, ID_MAP, CLEAR_WRONG_IDS,
)


def prepare(module: str) -> tuple[Step, ...]:
    """The steps of PREPARE that run for `module`, in order."""
    return tuple(step for step in PREPARE if module in step.modules)


# The orders the steps run in, each checked: a step reads only what an earlier one of its sequence created (or
# what it is given). A push records each batch's results after PREPARE, then which build made what Zoho accepted;
# a dry run previews after PREPARE.
SEQUENCES: dict[str, tuple[Step, ...]] = {
    **{f"push {module}": (*prepare(module), BULK_FILES, RECORD_RESULTS, MARK_BUILT) for module in MODULE_ORDER},
    **{f"dry run {module}": (*prepare(module), PREVIEW) for module in MODULE_ORDER},
}

"""The push of one module: build each record's payload from the mapping, keep only those whose payload
changed since Zoho last accepted it, send them by the cheaper path (upsert 100 per call, or Bulk Write
jobs), record every answer, and stop cleanly when the credit budget says so.

Zoho matches on our unique keys (SKU, buyer key, Amazon order id), so records sent twice, after a crash
between Zoho's answer and our write, update instead of duplicating, and the id map is repaired from that
answer. Line items are the exception, since Zoho appends the rows it is sent: a sales order updated
with line items is flagged and its older rows are deleted afterwards (lines.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from ..http.errors import ApiError
from ..warehouse import execute_script, run_sql, sql
from . import bulk
from .budget import CreditBudget
from .client import MAX_UPSERT_BATCH, CreditsExhausted, ZohoCrmClient, write_cost
from .lines import prune_line_items
from .mapping import Mapping, ModuleMapping
from .setup import ensure_fields

RESULT_COLUMNS = ["record_key", "ok", "zoho_id", "action", "error_code", "error_message", "error_field", "error_details",
                  "sent_payload", "lines_appended"]


class BudgetSpent(Exception):
    """Our own budget (ZOHO_DAILY_CREDITS - ZOHO_CREDIT_RESERVE) has no room for the next call."""


@dataclass
class SyncOutcome:
    module: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    deferred: int = 0
    credits: int = 0
    calls: int = 0
    pruned: int = 0
    adopted: int = 0
    path: str = "none"
    errors: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)  # keys whose answer this run recorded

    def as_metadata(self) -> dict:
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "deferred": self.deferred,
            "zoho_credits_used": self.credits,
            "zoho_calls": self.calls,
            "path": self.path,
            "line_item_repairs": self.pruned,
            "adopted_existing": self.adopted,
            "errors_by_code": json.dumps(self.errors, sort_keys=True),
        }

    def count_error(self, code: str, n: int = 1) -> None:
        self.failed += n
        self.errors[code] = self.errors.get(code, 0) + n


@dataclass
class Push:
    """What a push needs besides the module: where, with what, and under which limits."""

    conn: duckdb.DuckDBPyConnection
    client: ZohoCrmClient | None  # None: dry run, no call at all
    mapping: Mapping
    budget: CreditBudget = field(default_factory=CreditBudget)
    run_id: str | None = None
    path: str = "auto"  # auto | upsert | bulk
    auto_setup: bool = True
    poll_seconds: float = 2.0
    log: Callable[[str], None] = print


def prepare(conn: duckdb.DuckDBPyConnection, mapping: Mapping, module: str, start: date, end: date) -> None:
    """Builds temp tables `pending` (record_key, payload, mapping_error), `classified` and `to_send`
    for the window [start, end) plus every record of the module still owed to Zoho."""
    mm = mapping[module]
    params = {
        "module": module,
        "start": start,
        "end": end,
        "policy": mapping.buyers_without_email,
        "salt": os.environ.get("AMAZON_ZOHO_PII_SALT") or "amazon_zoho",
        "currencies": list(mapping.currencies),
        "lines_field": mm.line_items_field,
        "lines_path": f"$.{mm.line_items_field or 'no_line_items'}",  # a valid JSON path even without line items
    }
    run_sql(conn, __file__, "backlog.sql", params)
    run_sql(conn, __file__, "ids.sql", params)
    if module in ("Contacts", "Sales_Orders"):
        run_sql(conn, __file__, "contact_keys.sql", params)
    status_map = pd.DataFrame(mapping.status_rows(), columns=["amazon_status", "zoho_status", "skip"]).astype({"zoho_status": object, "skip": bool})
    conn.register("zoho_status_map", status_map)
    try:
        run_sql(conn, __file__, f"{module.lower()}_payload.sql", params)
    finally:
        conn.unregister("zoho_status_map")
    execute_script(conn, sql(__file__, "pending.sql").replace("{payload}", mm.payload_sql()))
    run_sql(conn, __file__, "classify_pending.sql", params)


def sync_module(push: Push, module: str, start: date, end: date) -> SyncOutcome:
    conn, client, mm = push.conn, push.client, push.mapping[module]
    outcome = SyncOutcome(module)
    prepare(conn, push.mapping, module, start, end)
    counts = dict(conn.execute("SELECT decision, count(*) FROM classified GROUP BY ALL").fetchall())
    outcome.unchanged = counts.get("unchanged", 0)

    unmappable = conn.execute("SELECT record_key, payload, mapping_error FROM classified WHERE decision = 'unmappable'").fetchall()
    if unmappable and client is not None:
        _record(conn, module, [_failure(mm, key, payload, "MAPPING_ERROR", reason, None, {}) for key, payload, reason in unmappable])
    if unmappable:
        outcome.count_error("MAPPING_ERROR", len(unmappable))

    rows = conn.execute("SELECT record_key, payload, payload_hash, zoho_id, lines_sent, send_payload FROM to_send").fetchall()
    if client is None:
        outcome.inserted = sum(1 for r in rows if not r[3])
        outcome.updated = len(rows) - outcome.inserted
        return outcome

    credits_before, calls_before = client.credits_used, sum(client.calls.values())
    push.budget.book(conn, client, push.run_id)  # what the last 24 hours already used
    try:
        _finish_unfinished_jobs(push, mm)
        needs_prune = conn.execute("SELECT count(*) FROM ops.zoho_sync_state WHERE module = ? AND lines_to_prune", [module]).fetchall()[0][0]
        if rows or needs_prune:
            _preflight(push, module)
        remaining = _send(push, mm, rows, outcome)
        if remaining:
            _defer(push, module, remaining, outcome, push.budget.describe() if not push.budget.exhausted else "Zoho answered LIMIT_REACHED")
        if mm.line_items_field:
            outcome.pruned = prune_line_items(conn, client, mm, push.budget, push.run_id)
    except BudgetSpent as exc:
        _defer(push, module, [r for r in rows if r[0] not in outcome.answered], outcome, str(exc))
    except CreditsExhausted as exc:
        push.budget.exhausted = True
        outcome.notes.append(f"Zoho refused a call for lack of credits: {exc.body[:200]}")
        _defer(push, module, [r for r in rows if r[0] not in outcome.answered], outcome, "Zoho answered LIMIT_REACHED")
    finally:
        push.budget.book(conn, client, push.run_id)
        outcome.credits = client.credits_used - credits_before
        outcome.calls = sum(client.calls.values()) - calls_before
    return outcome


def _preflight(push: Push, module: str) -> None:
    # Reading the fields costs 1 credit; creating missing ones and reading them again 2 more.
    if not push.budget.allows(3):
        raise BudgetSpent(push.budget.describe())
    created = ensure_fields(push.client, push.mapping, module, create=push.auto_setup)
    push.budget.book(push.conn, push.client, push.run_id)
    if created:
        push.log(f"created Zoho custom fields on {module}: {created}")


def _send(push: Push, mm: ModuleMapping, rows: list[tuple], outcome: SyncOutcome) -> list[tuple]:
    """Sends `rows` in the cheaper way; returns the rows the budget did not allow."""
    if not rows:
        return []
    outcome.path = bulk.cheaper_path(len(rows), push.path)
    todo = list(rows)
    held: list[tuple[tuple, dict]] = []  # DUPLICATE_DATA answers that adoption may resolve
    if outcome.path == "bulk":
        while todo:
            chunk = todo[: bulk.MAX_JOB_RECORDS]
            if not push.budget.allows(bulk.bulk_cost(len(chunk))):
                push.log(f"{mm.module}: Bulk Write needs {bulk.bulk_cost(len(chunk))} credits, {push.budget.available} left above the reserve; using upsert")
                break
            jobs: list[str] = []
            answers = bulk.write_job(push.client, mm, [(r[0], json.loads(r[5])) for r in chunk], push.poll_seconds,
                                     on_created=lambda job_id: _job_started(push, mm.module, job_id, len(chunk), jobs))  # noqa: B023 - runs in this iteration
            _apply(push, mm, chunk, answers, outcome, held)
            run_sql(push.conn, __file__, "bulk_job_applied.sql", {"job_id": jobs[0]})
            todo = todo[len(chunk):]
            push.budget.book(push.conn, push.client, push.run_id)
        # Bulk Write's result file names the clashing field but not the record holding it; an upsert of
        # the same records answers with its id.
        todo += [row for row, _ in held]
        held = []
        if todo:
            outcome.path = "bulk+upsert"

    def upsert(batch: list[tuple]) -> list[dict]:
        return push.client.upsert(mm.module, [json.loads(r[5]) for r in batch], duplicate_check_fields=[mm.key])

    remaining = _in_batches(push, mm, todo, upsert, outcome, held)
    return remaining + _adopt(push, mm, held, outcome)


def _in_batches(push: Push, mm: ModuleMapping, rows: list[tuple], write: Callable[[list[tuple]], list[dict]],
                outcome: SyncOutcome, held: list | None = None) -> list[tuple]:
    """Writes `rows` 100 per call while the credit budget allows, recording each batch's answers;
    returns the rows the budget did not allow."""
    for start in range(0, len(rows), MAX_UPSERT_BATCH):
        batch = rows[start : start + MAX_UPSERT_BATCH]
        if not push.budget.allows(write_cost(len(batch))):
            return rows[start:]
        _apply(push, mm, batch, write(batch), outcome, held)
        push.budget.book(push.conn, push.client, push.run_id)
    return []


def _apply(push: Push, mm: ModuleMapping, batch: list[tuple], answers: list[dict], outcome: SyncOutcome,
           held: list[tuple[tuple, dict]] | None = None) -> None:
    """Records Zoho's answers for one batch: written at once, so a crash loses at most the batch in flight.
    With `held`, DUPLICATE_DATA answers the mapping would adopt are put there instead of dead-lettered."""
    rows = []
    for row, answer in zip(batch, answers):
        key, payload, digest, zoho_id, lines_sent, send_payload = row
        if held is not None and mm.existing_records == "adopt" and answer.get("code") == "DUPLICATE_DATA":
            held.append((row, answer))
            continue
        outcome.answered.add(key)
        if answer.get("status") == "success":
            action = answer.get("action") or ("update" if zoho_id else "insert")
            outcome.inserted += action == "insert"
            outcome.updated += action != "insert"
            outcome.adopted += action == "adopt"
            appended = bool(lines_sent) and action != "insert"
            rows.append(dict(zip(RESULT_COLUMNS, [key, True, answer["details"]["id"], action, None, None, None, None, None, appended])))
        else:
            details = answer.get("details") or {}
            outcome.count_error(answer.get("code", "UNKNOWN"))
            rows.append(_failure(mm, key, send_payload, answer.get("code", "UNKNOWN"), answer.get("message"), details.get("api_name"), details))
    if rows:
        _record(push.conn, mm.module, rows)


def _adopt(push: Push, mm: ModuleMapping, held: list[tuple[tuple, dict]], outcome: SyncOutcome) -> list[tuple]:
    """Links records Zoho refused because a record we did not create holds one of their unique values
    to that record, and updates it with our payload (our key included, so later upserts match it).
    A clash with a record the id map gives to another of our keys is a real conflict: dead-lettered.
    Returns the rows the budget did not allow."""
    if not held:
        return []
    ids = [_clashing_id(mm, answer) for _, answer in held]
    named = [i for i in ids if i]
    owners = dict(push.conn.execute(
        "SELECT zoho_id, record_key FROM ops.zoho_sync_state WHERE module = ? AND list_contains(?::VARCHAR[], zoho_id)",
        [mm.module, named],
    ).fetchall()) if named else {}
    adopt, refuse, claimed = [], [], set()
    for (row, answer), clash_id in zip(held, ids):
        if clash_id and clash_id not in claimed and owners.get(clash_id, row[0]) == row[0]:
            claimed.add(clash_id)
            adopt.append((*row[:3], clash_id, *row[4:]))  # zoho_id: the record we adopt
        else:
            refuse.append((row, answer))
    if refuse:
        _apply(push, mm, [r for r, _ in refuse], [a for _, a in refuse], outcome)

    def update(batch: list[tuple]) -> list[dict]:
        answers = push.client.update(mm.module, [{**json.loads(r[5]), "id": r[3]} for r in batch])
        # action "adopt" in ops.zoho_sync_state says the record was Zoho's before it was ours.
        return [{**a, "action": "adopt"} if a.get("status") == "success" else a for a in answers]

    remaining = _in_batches(push, mm, adopt, update, outcome)
    if outcome.adopted:
        outcome.notes.append(f"{outcome.adopted} {mm.module} records adopted: Zoho already held them (DUPLICATE_DATA on a unique field)")
        push.log(outcome.notes[-1])
    return remaining


def _clashing_id(mm: ModuleMapping, answer: dict) -> str | None:
    """The id of the record of this module that holds the unique value Zoho refused, if Zoho named one."""
    details = answer.get("details") or {}
    clash = details.get("duplicate_record") or {}
    module = clash.get("module") or mm.module
    module = module.get("api_name") or mm.module if isinstance(module, dict) else module
    return str(clash["id"]) if clash.get("id") and module == mm.module else None


def _failure(mm: ModuleMapping, key, payload, code, message, field_name, details) -> dict:
    return dict(zip(RESULT_COLUMNS, [key, False, None, None, code, message, field_name, json.dumps(details), mm.redact(payload), False]))


def _record(conn: duckdb.DuckDBPyConnection, module: str, rows: list[dict]) -> None:
    results = pd.DataFrame(rows, columns=RESULT_COLUMNS).astype({"ok": bool, "lines_appended": bool})
    conn.register("results", results)
    try:
        conn.begin()
        run_sql(conn, __file__, "record_results.sql", {"module": module})
        conn.commit()
    finally:
        conn.unregister("results")


def _defer(push: Push, module: str, rows: list[tuple], outcome: SyncOutcome, reason: str) -> None:
    if not rows:
        return
    push.conn.register("deferred", pd.DataFrame({"record_key": [r[0] for r in rows]}))
    try:
        run_sql(push.conn, __file__, "mark_deferred.sql", {"module": module, "reason": reason})
    finally:
        push.conn.unregister("deferred")
    outcome.deferred += len(rows)
    outcome.notes.append(f"{len(rows)} {module} records deferred to the next run ({reason})")
    push.log(outcome.notes[-1])


# -- Bulk Write jobs that outlive a crash ---------------------------------------------------------


def _job_started(push: Push, module: str, job_id: str, records: int, jobs: list[str]) -> None:
    jobs.append(job_id)
    run_sql(push.conn, __file__, "bulk_job_started.sql", {"job_id": job_id, "module": module, "run_id": push.run_id, "records": records})


def _finish_unfinished_jobs(push: Push, mm: ModuleMapping) -> None:
    """A job a crash left running is awaited and its record ids go into the id map before anything of
    the module is sent again, so the two writes cannot race."""
    jobs = push.conn.execute("SELECT job_id FROM ops.zoho_bulk_jobs WHERE module = ? AND status = 'RUNNING'", [mm.module]).fetchall()
    for (job_id,) in jobs:
        push.log(f"{mm.module}: waiting for Bulk Write job {job_id}, left running by an earlier run")
        try:
            answers = bulk.results(push.client, bulk.wait(push.client, job_id, push.poll_seconds))
        except ApiError as exc:
            push.log(f"{mm.module}: Bulk Write job {job_id} left by an earlier run did not complete: {exc}")
            answers = []
        repaired = pd.DataFrame(
            [(a["key"], a["details"]["id"], a.get("action") == "update") for a in answers if a["status"] == "success"],
            columns=["record_key", "zoho_id", "updated"],
        ).astype({"record_key": str, "zoho_id": str, "updated": bool})
        push.conn.register("repaired", repaired)
        try:
            run_sql(push.conn, __file__, "repair_ids.sql", {"module": mm.module, "has_lines": bool(mm.line_items_field)})
        finally:
            push.conn.unregister("repaired")
        run_sql(push.conn, __file__, "bulk_job_applied.sql", {"job_id": job_id})

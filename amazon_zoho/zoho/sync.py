"""The push of one module: build each record's payload from the mapping, keep only those whose payload
changed since Zoho last accepted it, send them by the cheaper path (upsert 100 per call, or Bulk Write
jobs), record every answer, and stop cleanly when the credit budget says so.

Zoho matches on our unique keys (SKU, buyer key, Amazon order id), so records sent twice, after a crash
between Zoho's answer and our write, update instead of duplicating, and the id map is repaired from that
answer. Line items are the exception, since Zoho appends the rows it is sent: a sales order updated
with line items is flagged and its older rows are deleted afterwards (lines.py).

Memory does not grow with the window (issue #17): payloads are built a slice of the records at a time (prepare); the
records to send stay in DuckDB (the temp table `to_send`, which spills to DuckDB's temp directory) and are read a page
at a time: PAGE_ROWS upserts at once, or the keys of one Bulk Write job (≤ 25,000 records), whose CSVs DuckDB writes
from the payloads itself (bulk_files.py); which records Zoho answered is kept in DuckDB too (`push_answered`), so what
the budget leaves over is deferred by a query.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from ..http.errors import AccessDenied, ApiError
from ..settings import DEFAULT_PII_SALT
from ..warehouse import sql
from . import bulk, bulk_files, field_cache, steps
from .budget import CreditBudget
from .client import BODY_START, MAX_UPSERT_BATCH, AnswerMismatch, CreditsExhausted, ZohoCrmClient, write_cost
from .fit import fit_payload, text_lengths
from .lines import prune_line_items
from .mapping import Mapping, ModuleMapping
from .rows import Held, Result, ToSend, Unmappable, fetch
from .setup import ensure_fields
from .verify import verify_ids

MAX_REFUSALS_SHOWN = 5
# Records whose payloads one query builds (sync.prepare): the Sales Orders of 14 days at 10,000 orders a day built at
# once (143,422) ran out of DuckDB's memory at a 384MB limit, in sales_orders_payload.sql's aggregates (issue #17).
SLICE_RECORDS = 25_000
# Records read from DuckDB at once on the upsert path (10 calls of 100): a page, never the window.
PAGE_ROWS = 1_000
_PAGE = "SELECT record_key, payload_hash, zoho_id, lines_sent, send_payload FROM to_send WHERE seq > ? AND seq <= ? ORDER BY seq"
# A Bulk Write job's records without their payloads, which DuckDB writes into the job's CSVs itself (bulk_files.py).
_JOB = "SELECT record_key, payload_hash, zoho_id, lines_sent, NULL::VARCHAR AS send_payload FROM to_send WHERE seq > ? AND seq <= ? ORDER BY seq"


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
    held: int = 0  # dead letters not sent again: Zoho refused the very same payload several times (classify_pending.sql)
    credits: int = 0
    calls: int = 0
    pruned: int = 0
    adopted: int = 0
    truncated: dict[str, int] = field(default_factory=dict)  # field -> records whose value was cut to fit it (fit.py)
    path: str = "none"
    errors: dict[str, int] = field(default_factory=dict)
    refusals: list[str] = field(default_factory=list)  # what Zoho said, for the first few records it refused
    notes: list[str] = field(default_factory=list)
    largest_page: int = 0  # the most records held in Python at once (a page or a Bulk Write job), whatever the window
    verified_ids: int = 0  # id map entries read back from Zoho after a batch's answer did not fit it (verify.py)
    cleared_ids: int = 0  # of those, entries Zoho contradicted: cleared, re-sent by key

    def as_metadata(self) -> dict:
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "deferred": self.deferred,
            "held_unchanged_rejects": self.held,
            "zoho_credits_used": self.credits,
            "zoho_calls": self.calls,
            "path": self.path,
            "line_item_repairs": self.pruned,
            "adopted_existing": self.adopted,
            "errors_by_code": json.dumps(self.errors, sort_keys=True),
            "truncated_to_field_length": json.dumps(self.truncated, sort_keys=True),
            "ids_verified": self.verified_ids,
            "ids_cleared": self.cleared_ids,
            "largest_page_records": self.largest_page,
        }

    def count_error(self, code: str, n: int = 1, said: str | None = None) -> None:
        self.failed += n
        self.errors[code] = self.errors.get(code, 0) + n
        if said and len(self.refusals) < MAX_REFUSALS_SHOWN:
            self.refusals.append(said)


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
    salt: str = DEFAULT_PII_SALT  # the warehouse's buyer-key salt (WarehouseResource.pii_salt)
    # How long a preflight's field metadata is reused by later runs (field_cache.py, ZOHO_FIELDS_MAX_AGE_MINUTES); 0: read every run.
    fields_max_age_minutes: float = 0.0


def prepare(conn: duckdb.DuckDBPyConnection, mapping: Mapping, module: str, start: date, end: date, salt: str = DEFAULT_PII_SALT) -> str:
    """Builds temp tables `classified` and `to_send` for the window [start, end) plus every record of the module still
    owed to Zoho, or accepted by Zoho from a payload another mapping or other payload SQL built (see built_with), a
    slice of at most about SLICE_RECORDS records at a time (`pending` holds the last slice's payloads). Returns built_with."""
    mm = mapping[module]
    params = {
        "module": module,
        "start": start,
        "end": end,
        "policy": mapping.buyers_without_email,
        "salt": salt,
        "currencies": list(mapping.currencies),
        "lines_field": mm.line_items_field,
        "lines_path": f"$.{mm.line_items_field or 'no_line_items'}",  # a valid JSON path even without line items
    }
    frames = _mapping_frames(mapping, mm)
    params["built_with"] = built_with(module, params, frames)
    window, per_slice = [s for s in steps.prepare(module) if not s.per_slice], [s for s in steps.prepare(module) if s.per_slice]
    for step in window:
        step.run(conn, params, **{name: frames[name] for name in step.given})
    slices = _slices(conn, start, end)
    for n in range(slices):
        for step in per_slice:
            step.run(conn, {**params, "slice": n, "slices": slices}, **{name: frames[name] for name in step.given})
    return params["built_with"]


def _slices(conn: duckdb.DuckDBPyConnection, start: date, end: date) -> int:
    """How many slices the records of a push are built in: about SLICE_RECORDS each, counting the window's orders
    (as many as its sales orders, more than its contacts) and the backlog."""
    [(records,)] = conn.execute("SELECT (SELECT count(*) FROM core.orders WHERE purchase_date >= ? AND purchase_date < ?) "
                                "+ (SELECT count(*) FROM backlog)", [start, end]).fetchall()
    return max(1, -(-records // SLICE_RECORDS))


def built_with(module: str, params: dict, frames: dict[str, pd.DataFrame]) -> str:
    """What builds a module's payloads, as one hash: the SQL of its PREPARE steps, the mapping as they are given it
    and the other parameters but the window. A record Zoho accepted from a payload built otherwise (an older
    mapping.yaml, or older payload SQL, such as the one that added VAT twice) is rebuilt by the next run whatever
    its day, and sent again if its payload changed (backlog.sql). The salt is left out: the hash is copied to the
    analyst copy, where a hash over it would let a reader test guesses at it (a new salt gives new keys anyway)."""
    digest = hashlib.md5(module.encode())
    for step in steps.prepare(module):
        digest.update(sql(steps.__file__, step.sql_file).encode())
        for name in step.given:
            digest.update(frames[name].to_json(orient="split").encode())
    digest.update(json.dumps({k: v for k, v in params.items() if k not in ("start", "end", "built_with", "salt")}, sort_keys=True).encode())
    return digest.hexdigest()


def _mapping_frames(mapping: Mapping, mm: ModuleMapping) -> dict[str, pd.DataFrame]:
    """mapping.yaml as the data frames the PREPARE steps are given."""
    fields = {"zoho_field": str, "source": str, "lookup": bool}
    return {
        "zoho_status_map": pd.DataFrame(mapping.status_rows(), columns=["amazon_status", "zoho_status", "skip"]).astype({"zoho_status": object, "skip": bool}),
        "payload_fields": pd.DataFrame(mm.payload_fields(), columns=list(fields)).astype(fields),
        "line_item_fields": pd.DataFrame(mm.line_item_fields(), columns=list(fields)).astype(fields),
    }


def sync_module(push: Push, module: str, start: date, end: date) -> SyncOutcome:
    conn, client, mm = push.conn, push.client, push.mapping[module]
    outcome = SyncOutcome(module)
    build = prepare(conn, push.mapping, module, start, end, push.salt)
    counts = dict(conn.execute("SELECT decision, count(*) FROM classified GROUP BY ALL").fetchall())
    outcome.unchanged = counts.get("unchanged", 0)
    outcome.held = counts.get("held", 0)
    if outcome.held:
        codes = dict(conn.execute(
            "SELECT d.error_code, count(*) FROM classified c JOIN ops.zoho_dead_letters d ON d.module = ? AND d.record_key = c.record_key "
            "WHERE c.decision = 'held' GROUP BY ALL", [module]).fetchall())
        outcome.notes.append(f"{outcome.held} {module} records not sent again: Zoho refused the same payload 3 times ({codes}); "
                             "they stay in ops.zoho_dead_letters until their data or the mapping changes")
        push.log(outcome.notes[-1])

    for unmappable in _unmappable(conn):
        if client is not None:
            _record(conn, module, [_failure(mm, u.record_key, u.payload, "MAPPING_ERROR", u.mapping_error, None, {}) for u in unmappable])
        outcome.count_error("MAPPING_ERROR", len(unmappable), said=f"{unmappable[0].record_key}: MAPPING_ERROR {unmappable[0].mapping_error}")

    [(total, inserts)] = conn.execute("SELECT count(*), count(*) FILTER (WHERE zoho_id IS NULL) FROM to_send").fetchall()
    if client is None:
        outcome.inserted = inserts
        outcome.updated = total - inserts
        return outcome

    credits_before, calls_before = client.credits_used, sum(client.calls.values())
    push.budget.book(conn, client, push.run_id)  # what the last 24 hours already used
    try:
        _finish_unfinished_jobs(push, mm)
        [(needs_prune,)] = conn.execute("SELECT count(*) FROM ops.zoho_sync_state WHERE module = ? AND lines_to_prune", [module]).fetchall()
        if total or needs_prune:
            _preflight(push, module, build)
        try:
            sent = _send(push, mm, total, outcome)
        except ApiError:
            field_cache.forget(conn, module)  # a call Zoho refused whole may mean its fields changed: read them next run
            raise
        finally:
            _noted(push, mm, outcome)
            if outcome.failed:
                field_cache.forget(conn, module)
        if not sent:
            _defer(push, module, outcome, push.budget.describe() if not push.budget.exhausted else "Zoho answered LIMIT_REACHED")
        if mm.line_items_field:
            outcome.pruned = prune_line_items(conn, client, mm, push.budget, push.run_id)
    except BudgetSpent as exc:
        _defer(push, module, outcome, str(exc))
    except CreditsExhausted as exc:
        push.budget.exhausted = True
        outcome.notes.append(f"Zoho refused a call for lack of credits: {exc.body[:200]}")
        _defer(push, module, outcome, "Zoho answered LIMIT_REACHED")
    finally:
        push.budget.book(conn, client, push.run_id)
        outcome.credits = client.credits_used - credits_before
        outcome.calls = sum(client.calls.values()) - calls_before
    steps.MARK_BUILT.run(conn, {"module": module, "built_with": build})
    return outcome


def _preflight(push: Push, module: str, built_with: str) -> None:
    push.client.require_scopes()  # a missing scope stops here, before any write (issue #20 item 3)
    cached = field_cache.fresh(push.conn, module, built_with, push.fields_max_age_minutes)
    if cached is not None:
        push.client.remember_fields(module, cached)
        return
    # Reading the fields costs 1 credit; creating missing ones and reading them again 2 more.
    if not push.budget.allows(3):
        raise BudgetSpent(push.budget.describe())
    created = ensure_fields(push.client, push.mapping, module, create=push.auto_setup)
    push.budget.book(push.conn, push.client, push.run_id)
    if created:
        push.log(f"created Zoho custom fields on {module}: {created}")
        if owed := field_cache.resend_pushed_since_read(push.conn, module):
            push.log(f"{owed} {module} records pushed since the fields were last read may lack {created}: sent again next run")
    field_cache.remember(push.conn, module, built_with, push.client.field_meta[module])


def _unmappable(conn: duckdb.DuckDBPyConnection) -> Iterator[list[Unmappable]]:
    """The records our mapping could not build, PAGE_ROWS at a time in key order."""
    after = ""
    while page := fetch(conn, Unmappable, "SELECT record_key, payload, mapping_error FROM classified WHERE decision = 'unmappable' "
                        "AND record_key > ? ORDER BY record_key LIMIT ?", [after, PAGE_ROWS]):
        yield page
        after = page[-1].record_key


def _page(push: Push, mm: ModuleMapping, done: int, size: int, lengths: dict[str, int], outcome: SyncOutcome) -> list[ToSend]:
    """The `size` records of `to_send` after the first `done`, fitted to the org's field lengths (_fitted)."""
    rows = fetch(push.conn, ToSend, _PAGE, [done, done + size])
    outcome.largest_page = max(outcome.largest_page, len(rows))
    return _fitted(mm, rows, lengths, outcome)


def _send(push: Push, mm: ModuleMapping, total: int, outcome: SyncOutcome) -> bool:
    """Sends the `total` records of `to_send` in the cheaper way, a job or a page at a time; False when the budget
    stopped it (what Zoho did not answer is then deferred from `push_answered`, see _defer)."""
    if not total:
        return True
    lengths = text_lengths(push.client.field_meta.get(mm.module) or [])
    outcome.path = bulk.cheaper_path(total, push.path)
    repairs = [0]  # orders sent so far whose old line items lines.py deletes after the sends: credits kept for it
    done = 0  # records of to_send (by seq) sent so far

    def upsert(batch: list[ToSend]) -> list[dict]:
        return push.client.upsert(mm.module, [json.loads(r.send_payload) for r in batch], duplicate_check_fields=[mm.key])

    def upserted(rows: list[ToSend]) -> bool:
        """Upserts `rows`, then adopts those Zoho answered DUPLICATE_DATA for; False when the budget stopped it."""
        held: list[Held] = []
        return not _in_batches(push, mm, rows, upsert, outcome, held, repairs) and not _adopt(push, mm, held, outcome, repairs)

    if outcome.path == "bulk":
        while done < total:
            size = min(bulk.MAX_JOB_RECORDS, total - done)
            [(appending,)] = push.conn.execute("SELECT count(*) FILTER (WHERE lines_sent AND zoho_id IS NOT NULL) FROM to_send "
                                               "WHERE seq > ? AND seq <= ?", [done, done + size]).fetchall()
            if not push.budget.allows(bulk.bulk_cost(size) + repair_cost(repairs[0] + appending)):
                push.log(f"{mm.module}: Bulk Write needs {bulk.bulk_cost(size)} credits, {push.budget.available} left above the reserve; using upsert")
                break
            chunk = fetch(push.conn, ToSend, _JOB, [done, done + size])
            outcome.largest_page = max(outcome.largest_page, len(chunk))
            files = bulk_files.build(push.conn, mm, done, done + size, lengths)
            for name, n in files.truncated.items():
                outcome.truncated[name] = outcome.truncated.get(name, 0) + n
            jobs: list[str] = []
            held: list[Held] = []  # DUPLICATE_DATA answers that adoption may resolve
            answers = bulk.write_job(push.client, files.archive, files.resources, [r.record_key for r in chunk], push.poll_seconds,
                                     on_created=lambda job_id: _job_started(push, mm.module, job_id, len(chunk), jobs))  # noqa: B023 - runs in this iteration
            del files
            chunk = _with_payloads(push, mm, chunk, answers, done, done + size, lengths)
            _apply(push, mm, chunk, answers, outcome, held)
            repairs[0] += appending  # counted above for this very seq range
            steps.BULK_JOB_APPLIED.run(push.conn, {"job_id": jobs[0]})
            done += len(chunk)
            del chunk, answers
            push.budget.book(push.conn, push.client, push.run_id)
            # Bulk Write's result file names the clashing field but not the record holding it; an upsert of
            # the same records answers with its id.
            if held:
                outcome.path = "bulk+upsert"
                if not upserted([h.row for h in held]):
                    return False
        if done < total:
            outcome.path = "bulk+upsert"
    while done < total:
        page = _page(push, mm, done, PAGE_ROWS, lengths, outcome)
        if not upserted(page):
            return False
        done += len(page)
    return True


def _fitted(mm: ModuleMapping, rows: list[ToSend], lengths: dict[str, int], outcome: SyncOutcome) -> list[ToSend]:
    """`rows` with their text cut to the org's field `lengths` (fit.py), from the field metadata the preflight read.
    Cuts are counted by field in outcome.truncated (_noted logs them); the warehouse and the payload hash keep the full text."""
    out = []
    for row in rows:
        payload, cut = _fit_text(mm, row.send_payload, lengths)
        for name in cut:
            outcome.truncated[name] = outcome.truncated.get(name, 0) + 1
        out.append(row._replace(send_payload=payload))
    return out


def _fit_text(mm: ModuleMapping, payload: str, lengths: dict[str, int]) -> tuple[str, list[str]]:
    """A payload's JSON text fitted to the field `lengths` (the match key never cut), and the fields that were cut."""
    if not lengths:
        return payload, []
    fitted, cut = fit_payload(json.loads(payload), lengths, keep={mm.key})
    return (json.dumps(fitted) if cut else payload), cut


def _with_payloads(push: Push, mm: ModuleMapping, rows: list[ToSend], answers: list[dict], first: int, last: int,
                   lengths: dict[str, int]) -> list[ToSend]:
    """A job's `rows`, read without payloads, with the payload sent for each record Zoho did not accept (fitted as the
    job's CSV was, bulk_files.py): its dead letter keeps it, and an upsert sends it again after a DUPLICATE_DATA."""
    refused = [r.record_key for r, answer in zip(rows, answers) if answer.get("status") != "success"]
    if not refused:
        return rows
    sent = dict(push.conn.execute("SELECT record_key, send_payload FROM to_send WHERE seq > ? AND seq <= ? "
                                  "AND record_key IN (SELECT unnest(?::VARCHAR[]))", [first, last, refused]).fetchall())
    return [r._replace(send_payload=_fit_text(mm, sent[r.record_key], lengths)[0]) if r.record_key in sent else r for r in rows]


def _noted(push: Push, mm: ModuleMapping, outcome: SyncOutcome) -> None:
    """What the pages of a push cut or adopted, said once for the module."""
    if outcome.truncated:
        lengths = text_lengths(push.client.field_meta.get(mm.module) or [])
        cuts = ", ".join(f"{name} ({lengths.get(name)} characters): {n} records" for name, n in sorted(outcome.truncated.items()))
        outcome.notes.append(f"{mm.module}: text cut to Zoho's field lengths, {cuts}; the warehouse keeps the full text")
        push.log(outcome.notes[-1])
    if outcome.adopted:
        outcome.notes.append(f"{outcome.adopted} {mm.module} records adopted: Zoho already held them (DUPLICATE_DATA on a unique field)")
        push.log(outcome.notes[-1])


def _in_batches(push: Push, mm: ModuleMapping, rows: list[ToSend], write: Callable[[list[ToSend]], list[dict]],
                outcome: SyncOutcome, held: list[Held] | None = None, repairs: list[int] | None = None) -> list[ToSend]:
    """Writes `rows` 100 per call while the credit budget allows, recording each batch's answers;
    returns the rows the budget did not allow. The budget keeps room for repairing the line items of the orders
    sent so far (`repairs`, counted here too; lines.py), so that no sales order waits for the next run holding its
    old line items beside the new ones (a Grand_Total counting them twice)."""
    repairs = repairs if repairs is not None else [0]
    for start in range(0, len(rows), MAX_UPSERT_BATCH):
        batch = rows[start : start + MAX_UPSERT_BATCH]
        if not push.budget.allows(write_cost(len(batch)) + repair_cost(repairs[0] + _appending(batch))):
            return rows[start:]
        try:
            answers = write(batch)
        except AnswerMismatch as exc:
            # Zoho may have written some of these records, but which answer is whose is unknown: nothing is
            # mapped, the batch is dead-lettered and sent again by the next run (or re-drive), where the upserts
            # find the records by their key. A sales order written now and again then has its line items
            # twice, which the answer "update" flags for lines.py to prune.
            _mismatched(push, mm, batch, outcome, str(exc))
            push.budget.book(push.conn, push.client, push.run_id)
            continue
        _apply(push, mm, batch, answers, outcome, held)
        repairs[0] += _appending(batch)
        push.budget.book(push.conn, push.client, push.run_id)
    return []


def _appending(rows: list[ToSend]) -> int:
    """How many of `rows` send line items to an order Zoho already holds, which appends them to its old rows."""
    return sum(1 for r in rows if r.lines_sent and r.zoho_id)


def repair_cost(orders: int) -> int:
    """Credits to delete the old line items of `orders` (lines.py): one read each, then updates 100 at a time."""
    full, rest = divmod(orders, MAX_UPSERT_BATCH)
    return orders + full * write_cost(MAX_UPSERT_BATCH) + (write_cost(rest) if rest else 0)


def _apply(push: Push, mm: ModuleMapping, batch: list[ToSend], answers: list[dict], outcome: SyncOutcome,
           held: list[Held] | None = None) -> None:
    """Records Zoho's answers for one batch: written at once, so a crash loses at most the batch in flight.
    With `held`, DUPLICATE_DATA answers the mapping would adopt are put there instead of dead-lettered."""
    results = []
    for row, answer in zip(batch, answers):
        if held is not None and mm.existing_records == "adopt" and answer.get("code") == "DUPLICATE_DATA":
            held.append(Held(row, answer))
            continue
        results.append(_accepted(row, answer, outcome) if answer.get("status") == "success" else _refused(mm, row, answer, outcome))
    if results:
        _record(push.conn, mm.module, results)


def _accepted(row: ToSend, answer: dict, outcome: SyncOutcome) -> Result:
    action = answer.get("action") or ("update" if row.zoho_id else "insert")
    outcome.inserted += action == "insert"
    outcome.updated += action != "insert"
    outcome.adopted += action == "adopt"
    return Result(row.record_key, True, zoho_id=answer["details"]["id"], action=action,
                  lines_appended=bool(row.lines_sent) and action != "insert")


def _refused(mm: ModuleMapping, row: ToSend, answer: dict, outcome: SyncOutcome) -> Result:
    code = answer.get("code") or "UNKNOWN"
    details = answer.get("details") if isinstance(answer.get("details"), dict) else {}
    message = answer.get("message")
    if not answer.get("code") or not message:
        # An answer without Zoho's usual code or message is kept as it came, so the dead letter says what Zoho said.
        message = f"{message or 'Zoho answered without a message'}; answer: {json.dumps(answer, sort_keys=True)[:BODY_START]}"
    outcome.count_error(code, said=f"{row.record_key}: {code} {details.get('api_name') or ''} {message}".replace("  ", " "))
    return _failure(mm, row.record_key, row.send_payload, code, message, details.get("api_name"), details)


def _mismatched(push: Push, mm: ModuleMapping, batch: list[ToSend], outcome: SyncOutcome, reason: str) -> None:
    """A batch whose answer did not fit it (client.AnswerMismatch), dead-lettered as ANSWER_MISMATCH."""
    outcome.count_error("ANSWER_MISMATCH", len(batch), said=f"{len(batch)} records: ANSWER_MISMATCH {reason}")
    _record(push.conn, mm.module, [_failure(mm, r.record_key, r.send_payload, "ANSWER_MISMATCH", reason, None, {}) for r in batch])
    outcome.notes.append(f"{len(batch)} {mm.module} records not mapped: {reason}")
    push.log(outcome.notes[-1])
    # Zoho answered something other than this batch: whether the ids the map already holds for these records are
    # theirs is in doubt too. Reading them back costs 1 credit per 100; an id found on another record is cleared
    # before the sales orders of this run look it up (verify.py).
    known = [r.record_key for r in batch if r.zoho_id]
    if known:
        checked = verify_ids(push.conn, push.client, mm, push.budget, push.run_id, keys=known, log=push.log)
        outcome.verified_ids += checked.checked
        outcome.cleared_ids += checked.cleared
        outcome.notes += checked.notes


def _adopt(push: Push, mm: ModuleMapping, held: list[Held], outcome: SyncOutcome, repairs: list[int]) -> list[ToSend]:
    """Links records Zoho refused because a record we did not create holds one of their unique values
    to that record, and updates it with our payload (our key included, so later upserts match it).
    A clash with a record the id map gives to another of our keys is a real conflict: dead-lettered.
    Returns the rows the budget did not allow."""
    if not held:
        return []
    ids = [_clashing_id(mm, h.answer) for h in held]
    named = [i for i in ids if i]
    owners = dict(push.conn.execute(
        "SELECT zoho_id, record_key FROM ops.zoho_sync_state WHERE module = ? AND list_contains(?::VARCHAR[], zoho_id)",
        [mm.module, named],
    ).fetchall()) if named else {}
    adopt, refuse, claimed = [], [], set()
    for h, clash_id in zip(held, ids):
        if clash_id and clash_id not in claimed and owners.get(clash_id, h.row.record_key) == h.row.record_key:
            claimed.add(clash_id)
            adopt.append(h.row._replace(zoho_id=clash_id))  # zoho_id: the record we adopt
        else:
            refuse.append(h)
    if refuse:
        _apply(push, mm, [h.row for h in refuse], [h.answer for h in refuse], outcome)

    def update(batch: list[ToSend]) -> list[dict]:
        answers = push.client.update(mm.module, [{**json.loads(r.send_payload), "id": r.zoho_id} for r in batch])
        # action "adopt" in ops.zoho_sync_state says the record was Zoho's before it was ours.
        return [{**a, "action": "adopt"} if a.get("status") == "success" else a for a in answers]

    return _in_batches(push, mm, adopt, update, outcome, repairs=repairs)


def _clashing_id(mm: ModuleMapping, answer: dict) -> str | None:
    """The id of the record of this module that holds the unique value Zoho refused, if Zoho named one."""
    details = answer.get("details") or {}
    clash = details.get("duplicate_record") or {}
    module = clash.get("module") or mm.module
    module = module.get("api_name") or mm.module if isinstance(module, dict) else module
    return str(clash["id"]) if clash.get("id") and module == mm.module else None


def _failure(mm: ModuleMapping, key: str, payload: str, code: str, message: str | None, field_name: str | None, details: dict) -> Result:
    return Result(key, False, error_code=code, error_message=message, error_field=field_name, error_details=json.dumps(details),
                  sent_payload=mm.redact(payload))


def _record(conn: duckdb.DuckDBPyConnection, module: str, rows: list[Result]) -> None:
    """Zoho's answers (or our refusals) for one batch into the id map and dead letters, and their keys into
    `push_answered` (record_results.sql), in one transaction: a record is answered exactly when its answer is recorded."""
    results = pd.DataFrame(rows, columns=Result._fields).astype({"ok": bool, "lines_appended": bool})
    conn.begin()
    steps.RECORD_RESULTS.run(conn, {"module": module}, results=results)
    conn.commit()


def _defer(push: Push, module: str, outcome: SyncOutcome, reason: str) -> None:
    """Every record of `to_send` this run has no answer for is deferred to the next run, for `reason`."""
    deferred = push.conn.execute("SELECT record_key FROM to_send ANTI JOIN push_answered USING (record_key)").df()
    if deferred.empty:
        return
    steps.MARK_DEFERRED.run(push.conn, {"module": module, "reason": reason}, deferred=deferred)
    outcome.deferred += len(deferred)
    outcome.notes.append(f"{len(deferred)} {module} records deferred to the next run ({reason})")
    push.log(outcome.notes[-1])


# -- Bulk Write jobs that outlive a crash ---------------------------------------------------------


def _job_started(push: Push, module: str, job_id: str, records: int, jobs: list[str]) -> None:
    jobs.append(job_id)
    steps.BULK_JOB_STARTED.run(push.conn, {"job_id": job_id, "module": module, "run_id": push.run_id, "records": records})


def _finish_unfinished_jobs(push: Push, mm: ModuleMapping) -> None:
    """A job a crash left running is awaited and its record ids go into the id map before anything of
    the module is sent again, so the two writes cannot race."""
    jobs = push.conn.execute("SELECT job_id FROM ops.zoho_bulk_jobs WHERE module = ? AND status = 'RUNNING'", [mm.module]).fetchall()
    for (job_id,) in jobs:
        push.log(f"{mm.module}: waiting for Bulk Write job {job_id}, left running by an earlier run")
        try:
            answers = bulk.results(push.client, bulk.wait(push.client, job_id, push.poll_seconds))
        except AccessDenied:
            raise  # a missing scope is not this job's failure: every later call would meet it too
        except ApiError as exc:
            push.log(f"{mm.module}: Bulk Write job {job_id} left by an earlier run did not complete: {exc}")
            answers = []
        repaired = pd.DataFrame(
            [(a["key"], a["details"]["id"], a.get("action") == "update") for a in answers if a["status"] == "success"],
            columns=["record_key", "zoho_id", "updated"],
        ).astype({"record_key": str, "zoho_id": str, "updated": bool})
        steps.REPAIR_IDS.run(push.conn, {"module": mm.module, "has_lines": bool(mm.line_items_field)}, repaired=repaired)
        steps.BULK_JOB_APPLIED.run(push.conn, {"job_id": job_id})

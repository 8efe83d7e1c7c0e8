"""The id map checked against Zoho (issue #14 item 2): each record the map (ops.zoho_sync_state) points at is read
back by id, 100 per call, and must hold the key it is mapped from (Amazon_SKU, Amazon_Buyer_Key, Amazon_Order_ID).

An answer matched by position before the fix could map a key to another record's id; the payload hash then says
"unchanged", so no later push looks at it again, and sales orders keep line items pointing at the wrong products.
An entry Zoho contradicts (another key at that id, or no record) is cleared and owed again (clear_wrong_ids.sql):
the next push upserts it by its key, which finds the right record and answers its id. The answer of the read is
matched by the id each record names, never by position.

Runs for the whole map in the job zoho_verify_ids (jobs.py), and for the records of a batch whose write answer did
not fit it (sync.py), where which record got which id is in doubt. Each read costs 1 credit (API-FACTS §9) and is
booked like every other call; what the budget does not allow is left unread and said so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from ..http.errors import ApiError
from .budget import CreditBudget
from .client import MAX_IDS_PER_READ, CreditsExhausted, ZohoCrmClient
from .mapping import KEY_SOURCE, ModuleMapping
from .steps import CLEAR_WRONG_IDS, ID_MAP


@dataclass
class Verified:
    module: str
    checked: int = 0  # map entries read back
    mismatched: int = 0  # the record at that id holds another key
    missing: int = 0  # Zoho holds no record with that id
    unread: int = 0  # left for another run: the budget did not allow the read
    calls: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def cleared(self) -> int:
        return self.mismatched + self.missing

    def as_metadata(self) -> dict:
        return {"ids_checked": self.checked, "ids_mismatched": self.mismatched, "ids_missing": self.missing,
                "ids_cleared": self.cleared, "ids_unread": self.unread, "zoho_read_calls": self.calls}


def key_field(mm: ModuleMapping) -> str | None:
    """The Zoho field holding our record key: the match key, or for contacts matched by Email (whose record key is
    the buyer key) the field mapped to buyer_key; None when no field carries it."""
    if mm.key != "Email":
        return mm.key
    return next((name for name, source in mm.fields.items() if source == KEY_SOURCE[mm.module]), None)


def verify_ids(conn: duckdb.DuckDBPyConnection, client: ZohoCrmClient, mm: ModuleMapping, budget: CreditBudget,
               run_id: str | None = None, keys: list[str] | None = None, log: Callable[[str], None] = print) -> Verified:
    """Reads back the records the id map of `mm.module` points at (only `keys` when given), clears the entries Zoho
    contradicts and records them in ops.zoho_id_checks."""
    outcome = Verified(mm.module)
    name = key_field(mm)
    if name is None:
        outcome.notes.append(f"{mm.module}: no Zoho field carries the record key ({KEY_SOURCE[mm.module]}); id map not verified")
        log(outcome.notes[-1])
        return outcome
    entries = ID_MAP.rows(conn, {"module": mm.module, "keys": keys})
    by_id: dict[str, list[str]] = {}
    for record_key, zoho_id in entries:
        by_id.setdefault(str(zoho_id), []).append(record_key)
    ids = list(by_id)
    calls_before = sum(client.calls.values())
    budget.book(conn, client, run_id)
    for start in range(0, len(ids), MAX_IDS_PER_READ):
        batch = ids[start : start + MAX_IDS_PER_READ]
        if not budget.allows(1):
            outcome.unread = sum(len(by_id[i]) for i in ids[start:])
            outcome.notes.append(f"{mm.module}: {outcome.unread} id map entries not read back, the credit budget is spent ({budget.describe()})")
            log(outcome.notes[-1])
            break
        try:
            held = _read(client, mm.module, batch, name)
        except CreditsExhausted:
            budget.exhausted = True
            outcome.unread = sum(len(by_id[i]) for i in ids[start:])
            outcome.notes.append(f"{mm.module}: {outcome.unread} id map entries not read back, Zoho answered LIMIT_REACHED")
            log(outcome.notes[-1])
            break
        problems = []
        for zoho_id in batch:
            for record_key in by_id[zoho_id]:
                outcome.checked += 1
                if zoho_id not in held:
                    problems.append((record_key, zoho_id, "missing", None))
                elif (held[zoho_id] or "").casefold() != record_key.casefold():  # the key is unique case-insensitively (mapping.CustomField)
                    problems.append((record_key, zoho_id, "mismatch", held[zoho_id]))
        budget.book(conn, client, run_id)
        if problems:
            _clear(conn, mm.module, run_id, problems)
            outcome.mismatched += sum(1 for p in problems if p[2] == "mismatch")
            outcome.missing += sum(1 for p in problems if p[2] == "missing")
    outcome.calls = sum(client.calls.values()) - calls_before
    if outcome.cleared:
        outcome.notes.append(f"{mm.module}: {outcome.cleared} of {outcome.checked} id map entries pointed at another record "
                             f"({outcome.mismatched}) or at none ({outcome.missing}); cleared, the next push re-sends them by key "
                             "(ops.zoho_id_checks)")
        log(f"WARNING {outcome.notes[-1]}")
    return outcome


def _read(client: ZohoCrmClient, module: str, ids: list[str], name: str) -> dict[str, str | None]:
    """id -> the key its record holds, for the records of `ids` Zoho has, matched by the id each answer names.
    Whether Zoho refuses a whole read for an id it does not hold is not documented (reference/zoho/record.json
    declares `ids` only): a 400 is read again in halves, down to the one id it is about, which is then missing
    (a few credits more, booked like the others)."""
    try:
        found = client.records_by_id(module, ids, [name])
    except ApiError as exc:
        if exc.status != 400:
            raise
        if len(ids) == 1:
            return {}
        half = len(ids) // 2
        return {**_read(client, module, ids[:half], name), **_read(client, module, ids[half:], name)}
    asked = set(ids)
    return {str(r["id"]): (None if r.get(name) is None else str(r.get(name))) for r in found if str(r.get("id")) in asked}


def _clear(conn: duckdb.DuckDBPyConnection, module: str, run_id: str | None, problems: list[tuple]) -> None:
    frame = pd.DataFrame(problems, columns=["record_key", "zoho_id", "outcome", "found_key"]).astype(
        {"record_key": str, "zoho_id": str, "outcome": str, "found_key": object})
    conn.begin()
    CLEAR_WRONG_IDS.run(conn, {"module": module, "run_id": run_id}, id_problems=frame)
    conn.commit()

"""The push: classify pending records, upsert the changed ones 100 at a time, and record every answer.

Zoho's upsert matches on our unique keys (SKU, buyer key, Amazon order id), so a batch that is sent
twice, after a crash between Zoho's answer and our write, updates instead of duplicating; the id map
is repaired from the answer of that second push.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from ..warehouse import execute_script, run_sql
from .client import MAX_UPSERT_BATCH, ZohoCrmClient

RESULT_COLUMNS = ["record_key", "ok", "zoho_id", "payload_hash", "action", "error_code", "error_message", "error_field", "error_details", "payload"]


@dataclass
class SyncOutcome:
    module: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    credits: int = 0
    calls: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def as_metadata(self) -> dict:
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "zoho_credits_used": self.credits,
            "zoho_calls": self.calls,
            "errors_by_code": json.dumps(self.errors, sort_keys=True),
        }


def sync_module(conn: duckdb.DuckDBPyConnection, client: ZohoCrmClient | None, module: str, payload_sql: str, params: dict, unique_field: str) -> SyncOutcome:
    """Pushes what `payload_sql` builds into a temp table `pending(record_key, payload, mapping_error)`.

    `client=None` is a dry run: the outcome says what would be inserted, updated or left unchanged.
    """
    outcome = SyncOutcome(module)
    execute_script(conn, payload_sql, params)
    run_sql(conn, __file__, "classify_pending.sql", {"module": module})
    counts = dict(conn.execute("SELECT decision, count(*) FROM classified GROUP BY ALL").fetchall())
    outcome.unchanged = counts.get("unchanged", 0)

    unmappable = conn.execute("SELECT record_key, payload, payload_hash, mapping_error FROM classified WHERE decision = 'unmappable'").fetchall()
    if unmappable:
        _record(conn, module, [
            _row(key, False, None, digest, None, "MAPPING_ERROR", reason, None, None, payload) for key, payload, digest, reason in unmappable
        ])
        outcome.failed += len(unmappable)
        outcome.errors["MAPPING_ERROR"] = len(unmappable)

    to_push = conn.execute("SELECT record_key, payload, payload_hash, zoho_id FROM classified WHERE decision = 'push' ORDER BY record_key").fetchall()
    if client is None:
        for _, _, _, zoho_id in to_push:
            if zoho_id:
                outcome.updated += 1
            else:
                outcome.inserted += 1
        return outcome

    for start in range(0, len(to_push), MAX_UPSERT_BATCH):
        batch = to_push[start : start + MAX_UPSERT_BATCH]
        credits_before, calls_before = client.credits_used, sum(client.calls.values())
        results = client.upsert(module, [json.loads(p) for _, p, _, _ in batch], duplicate_check_fields=[unique_field])
        outcome.credits += client.credits_used - credits_before
        outcome.calls += sum(client.calls.values()) - calls_before
        rows = []
        for (key, payload, digest, _), result in zip(batch, results):
            if result.get("status") == "success":
                action = result.get("action")
                outcome.inserted += action == "insert"
                outcome.updated += action != "insert"
                rows.append(_row(key, True, result["details"]["id"], digest, action, None, None, None, None, payload))
            else:
                code = result.get("code", "UNKNOWN")
                details = result.get("details") or {}
                outcome.failed += 1
                outcome.errors[code] = outcome.errors.get(code, 0) + 1
                rows.append(_row(key, False, None, digest, None, code, result.get("message"), details.get("api_name"), json.dumps(details), payload))
        # Written after every batch, so a crash loses at most the answers of the batch in flight.
        _record(conn, module, rows)
    return outcome


def _row(key, ok, zoho_id, digest, action, code, message, field_name, details, payload) -> dict:
    return dict(zip(RESULT_COLUMNS, [key, ok, zoho_id, digest, action, code, message, field_name, details, payload]))


def _record(conn: duckdb.DuckDBPyConnection, module: str, rows: list[dict]) -> None:
    results = pd.DataFrame(rows, columns=RESULT_COLUMNS).astype({"ok": bool})
    conn.register("results", results)
    conn.begin()
    run_sql(conn, __file__, "record_results.sql", {"module": module})
    conn.commit()
    conn.unregister("results")

"""Line items Zoho appended twice, repaired. Zoho keeps a sales order's line-item rows and appends the
rows an update sends (update-subforms docs, v8); an order we re-send with its line items, because they
changed or because a crash lost the answer that told us the order existed, would hold both copies.

The sync flags such orders (ops.zoho_sync_state.lines_to_prune); here each flagged order is read back
(GET, 1 credit) and every row but the last N (N = the rows we sent, which Zoho appended last) is deleted
with `{"id": row, "_delete": null}`, 100 orders per update call. Reading and deleting again after a
crash is harmless: an order that already has N rows is left alone.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from ..warehouse import sql
from .budget import CreditBudget
from .client import MAX_UPSERT_BATCH, ZohoCrmClient, write_cost
from .mapping import ModuleMapping
from .steps import LINES_PRUNED


def prune_line_items(conn: duckdb.DuckDBPyConnection, client: ZohoCrmClient, mm: ModuleMapping, budget: CreditBudget, run_id: str | None) -> int:
    """Returns how many orders had duplicate rows deleted; orders the budget leaves stay flagged."""
    candidates = conn.execute(sql(__file__, "prune_candidates.sql"), {"module": mm.module}).fetchall()
    done: list[str] = []
    fixes: list[tuple[str, dict]] = []
    reads = 0
    for key, zoho_id, expected in candidates:
        if not expected:
            continue  # no accepted payload yet: the push that records one decides
        if not budget.allows(reads + 1 + _updates_cost(len(fixes) + 1)):
            break
        reads += 1
        record = client.get_record(mm.module, zoho_id) or {}
        rows = record.get(mm.line_items_field) or []
        extra = rows[: max(0, len(rows) - expected)]
        if extra:
            fixes.append((key, {"id": zoho_id, mm.line_items_field: [{"id": row["id"], "_delete": None} for row in extra]}))
        else:
            done.append(key)
    for start in range(0, len(fixes), MAX_UPSERT_BATCH):
        batch = fixes[start : start + MAX_UPSERT_BATCH]
        answers = client.update(mm.module, [payload for _, payload in batch])
        done += [key for (key, _), answer in zip(batch, answers) if answer.get("status") == "success"]
    budget.book(conn, client, run_id)
    if done:
        LINES_PRUNED.run(conn, {"module": mm.module}, pruned=pd.DataFrame({"record_key": done}))
    return sum(1 for key, _ in fixes if key in set(done))


def _updates_cost(orders: int) -> int:
    full, rest = divmod(orders, MAX_UPSERT_BATCH)
    return full * write_cost(MAX_UPSERT_BATCH) + (write_cost(rest) if rest else 0)

"""Sync history and notifications: one ops.sync_runs row per run, range and module, the module's recent
runs as a markdown table for the UI, and a notification when a run leaves records failed or deferred,
or when a day brings no orders."""

from __future__ import annotations

from datetime import date

import duckdb

from ..ops.notify import NotifyResource
from ..partitions import day_range
from ..warehouse import sql
from .steps import SYNC_RUN
from .sync import SyncOutcome


def record_sync_run(conn: duckdb.DuckDBPyConnection, run_id: str, partition_range: str, outcome: SyncOutcome) -> int:
    """Writes the run's row; returns the module's dead letters outstanding."""
    SYNC_RUN.run(conn, {
        "run_id": run_id, "partition_range": partition_range, "module": outcome.module, "inserted": outcome.inserted,
        "updated": outcome.updated, "unchanged": outcome.unchanged, "failed": outcome.failed, "credits": outcome.credits,
        "deferred": outcome.deferred, "calls": outcome.calls, "path": outcome.path,
    })
    return conn.execute(sql(__file__, "dead_letter_count.sql"), {"module": outcome.module}).fetchall()[0][0]


def history_markdown(conn: duckdb.DuckDBPyConnection, module: str) -> str:
    cursor = conn.execute(sql(__file__, "sync_history.sql"), {"module": module})
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def finish_run(conn: duckdb.DuckDBPyConnection, notifier: NotifyResource, run_id: str, start: date, end: date, log) -> list[str]:
    """Sends the run's notifications (after the last module); returns their subjects."""
    sent = []
    problems = conn.execute(sql(__file__, "run_problems.sql"), {"run_id": run_id}).fetchall()
    if problems:
        text = "\n".join(f"{module}: {failed} failed (ops.zoho_dead_letters), {deferred} deferred to the next run" for module, failed, deferred in problems)
        said = conn.execute(sql(__file__, "dead_letter_reasons.sql")).fetchall()
        if said:
            text += "\nWhat Zoho said:\n" + "\n".join(f"  {module}: {n} x {code} {field or ''} {message or ''}".rstrip()
                                                     for module, code, field, message, n in said)
        subject = f"Zoho sync {day_range(start, end)} incomplete"
        notifier.send(subject, text + "\nRetried by the next run, or now with the zoho_redrive job.", {"run_id": run_id}, logger=log)
        sent.append(subject)
    empty = [day for (day,) in conn.execute(sql(__file__, "days_without_orders.sql"), {"start": start, "end": end}).fetchall()]
    if empty:
        subject = "No Amazon orders on " + ", ".join(str(d) for d in empty)
        text = "The day(s) brought no orders at all: check listings, the SP-API connection and the marketplace."
        notifier.send(subject, text, {"run_id": run_id}, logger=log)
        sent.append(subject)
    return sent

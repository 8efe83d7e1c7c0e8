"""Order flat files made after createReport has answered, as Amazon processes a requested report.

createReport used to answer only once it had rendered the file: at 10,000 orders a day a 14-day file took 40 to
90 s, longer than an SP-API client's read timeout (ours: 60 s, amazon/resource.py), so the client retried and every
retry rendered the file again. Amazon answers createReport with 202 and a reportId at once, and the report is
IN_QUEUE, then IN_PROGRESS while it is processed (/work/shared/reference/API-FACTS.md §3: createReport, the report
object's processingStatus). Here the report's row holds RENDERING until a thread has made its file; then DONE, or
CANCELLED when no order matches ("automatic cancellation if there is no data to return"). The thread renders with
the clock at the report's creation, so the file is what it was when createReport rendered it: the orders as they
stood then. A sandbox restarted while a file was being made makes it again at the next read of the report.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import traceback

RENDERING = "RENDERING"
# How long a read of a report whose modelled processing time is over waits for its file before answering
# IN_PROGRESS: small files (tests, the daily path) are ready well within it, so their lifecycle stays the one
# report_model describes; a big one is polled again by the client, as on Amazon.
WAIT_SECONDS = 5.0
INTERNAL_ERROR = "Report processing failed because of an internal error. Request the report again."

_lock = threading.Lock()
_running: dict[tuple[int, str], threading.Thread] = {}  # (id of the app, report id) -> its rendering thread


def start(app, row: dict) -> threading.Thread:
    """The thread making this report's file, started unless one already runs (reads may race)."""
    key = (id(app), row["report_id"])
    with _lock:
        thread = _running.get(key)
        if thread is None:
            thread = threading.Thread(target=_render, args=(app, dict(row), key), name=f"report-{row['report_id']}", daemon=True)
            _running[key] = thread
            thread.start()
        return thread


def settled(app, rows: list[dict], now: float) -> list[dict]:
    """The stored report rows as they stand: a file still to make is started, and waited for a while once the
    report's modelled processing time is over."""
    out = []
    for row in rows:
        if row["outcome"] == RENDERING and row["cancelled_at"] is None:
            thread = start(app, row)
            if now >= row["created"] + row["duration"]:
                thread.join(WAIT_SECONDS)
                row = app.store.query("SELECT * FROM amazon_reports WHERE report_id = ?", (row["report_id"],))[0]
        out.append(row)
    return out


def _render(app, row: dict, key: tuple[int, str]) -> None:
    from .documents import render_order_report  # written by another module; imported when used
    from .report_model import gzipped, report_document_id, to_datetime

    try:
        try:
            rendered = render_order_report(app, row["report_type"], json.loads(row["marketplace_ids"]), to_datetime(row["data_start"]),
                                           to_datetime(row["data_end"]), now=to_datetime(row["created"]))
        except Exception:  # noqa: BLE001 - a sandbox bug ends the report FATAL, as Amazon's internal errors do
            traceback.print_exc()
            outcome, document = "FATAL", (gzipped(INTERNAL_ERROR.encode("utf-8")), "text/plain;charset=UTF-8")
        else:
            if rendered is None:
                outcome, document = "CANCELLED", None
            else:
                data, charset = rendered
                outcome, document = "DONE", (gzipped(data), f"text/plain;charset={charset}" if charset else "text/plain")
        doc_id = report_document_id(row["report_id"]) if document else None
        with app.store.transaction():
            current = app.store.query("SELECT cancelled_at FROM amazon_reports WHERE report_id = ?", (row["report_id"],))
            app.store.execute("UPDATE amazon_reports SET outcome = ?, document_id = ? WHERE report_id = ? AND outcome = ?",
                              (outcome, doc_id, row["report_id"], RENDERING))
            # A report cancelled meanwhile (cancelReport) keeps no document.
            if document and current and current[0]["cancelled_at"] is None:
                app.store.execute("INSERT OR REPLACE INTO amazon_report_documents(document_id, report_id, body, content_type)"
                                  " VALUES (?, ?, ?, ?)", (doc_id, row["report_id"], document[0], document[1]))
    except sqlite3.ProgrammingError:
        pass  # the sandbox stopped (its store closed) meanwhile: the next one makes the file again
    finally:
        with _lock:
            _running.pop(key, None)

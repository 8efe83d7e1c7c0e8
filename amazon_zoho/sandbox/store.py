"""Sandbox state in SQLite, so a second process (or a restarted server) sees what the first created.

One file under the state directory holds Zoho records, report jobs, issued tokens and the call log.
`reset()` wipes it. Generated Amazon data is not stored: it is a pure function of the seed and the clock.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_BASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS call_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    service TEXT NOT NULL,
    operation TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    duration_ms REAL NOT NULL,
    principal TEXT,
    note TEXT
);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Store:
    def __init__(self, path: str | Path | None):
        self.path = str(path) if path else ":memory:"
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # One connection guarded by a lock: the sandbox's load is small and this keeps writes atomic.
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL syncs at checkpoints, not at every commit: a killed sandbox loses nothing (the WAL is
        # written before COMMIT returns), only a power cut may lose the last commits (https://sqlite.org/pragma.html#pragma_synchronous).
        # The sandbox's cost is modelled by its knobs (zoho_bulk_seconds_per_1000_records), not by fsyncs.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.RLock()
        self._schemas: list[str] = [_BASE_SCHEMA]
        self._conn.executescript(_BASE_SCHEMA)

    def ensure(self, schema_sql: str) -> None:
        """Services declare their tables once at registration."""
        with self._lock:
            self._schemas.append(schema_sql)
            self._conn.executescript(schema_sql)

    def execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._conn.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        with self._lock:
            self._conn.executemany(sql, [tuple(r) for r in rows])

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._conn.execute(sql, tuple(params)).fetchall()]

    def transaction(self):
        """`with store.transaction():` groups statements atomically (re-entrant per thread)."""
        return _Transaction(self)

    def get(self, key: str, default: Any = None) -> Any:
        rows = self.query("SELECT value FROM kv WHERE key = ?", (key,))
        return json.loads(rows[0]["value"]) if rows else default

    def put(self, key: str, value: Any) -> None:
        self.execute(
            "INSERT INTO kv(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def reset(self) -> None:
        with self._lock:
            tables = [r["name"] for r in self.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
            for t in tables:
                self._conn.execute(f'DROP TABLE IF EXISTS "{t}"')
            for schema in self._schemas:
                self._conn.executescript(schema)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class _Transaction:
    def __init__(self, store: Store):
        self.store = store

    def __enter__(self):
        self.store._lock.acquire()
        self._outer = self.store._conn.in_transaction
        if not self._outer:
            self.store._conn.execute("BEGIN IMMEDIATE")
        return self.store

    def __exit__(self, exc_type, exc, tb):
        try:
            if not self._outer:
                self.store._conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.store._lock.release()
        return False

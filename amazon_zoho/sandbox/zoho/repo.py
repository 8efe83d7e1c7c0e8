"""Zoho records in SQLite: one JSON document per record, plus an index of the duplicate-check and unique
field values, so upserts and `equals` searches over 25,000 records stay index lookups."""

from __future__ import annotations

import json

from .catalog import MODULES, Catalog

SCHEMA = """
CREATE TABLE IF NOT EXISTS zoho_records (id TEXT PRIMARY KEY, module TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS zoho_records_module ON zoho_records(module, id);
CREATE TABLE IF NOT EXISTS zoho_keys (module TEXT NOT NULL, api_name TEXT NOT NULL, value TEXT NOT NULL, id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS zoho_keys_lookup ON zoho_keys(module, api_name, value);
CREATE INDEX IF NOT EXISTS zoho_keys_id ON zoho_keys(id);
"""


def key_value(value) -> str | None:
    """Duplicate checks compare case-insensitively (our unique fields are created casesensitive=false)."""
    if value is None or value == "":
        return None
    return str(value).strip().lower()


class Repo:
    def __init__(self, store, catalog: Catalog):
        self.store = store
        self.catalog = catalog
        store.ensure(SCHEMA)

    def get(self, module: str, record_id: str) -> dict | None:
        rows = self.store.query("SELECT data FROM zoho_records WHERE id = ? AND module = ?", (record_id, module))
        return json.loads(rows[0]["data"]) if rows else None

    def display_name(self, module: str, record_id: str) -> str | None:
        """The record's display field ("" when it has none), None when there is no such record: the `name` Zoho puts
        beside a lookup's `id` ({"name": "Ben", "id": "23033…"} in Zoho's getRecordById response format,
        https://www.zoho.com/creator/help/script/crm-get-recordbyid.html). Read by SQLite from the stored JSON rather
        than by decoding the whole record: a Bulk Write job of 25,000 sales orders resolves ~60,000 lookups."""
        rows = self.store.query("SELECT json_extract(data, ?) AS value FROM zoho_records WHERE id = ? AND module = ?",
                                (f"$.{MODULES[module][3]}", record_id, module))
        return (rows[0]["value"] or "") if rows else None

    def exists(self, module: str, record_id: str) -> bool:
        return bool(self.store.query("SELECT 1 FROM zoho_records WHERE id = ? AND module = ?", (record_id, module)))

    def put(self, module: str, record: dict, new: bool = False) -> None:
        """Stores the record and its index rows; `new`: its id was just allocated, so it has no index rows to replace."""
        with self.store.transaction():
            self.store.execute(
                "INSERT INTO zoho_records(id, module, data) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data",
                (record["id"], module, json.dumps(record)),
            )
            self._index(module, record, new)

    def _index(self, module: str, record: dict, new: bool = False) -> None:
        if not new:
            self.store.execute("DELETE FROM zoho_keys WHERE id = ?", (record["id"],))
        rows = [(module, api_name, value, record["id"]) for api_name in self.catalog.indexed_fields(module)
                if (value := key_value(record.get(api_name))) is not None]
        if rows:
            self.store.executemany("INSERT INTO zoho_keys(module, api_name, value, id) VALUES (?, ?, ?, ?)", rows)

    def reindex(self, module: str) -> None:
        with self.store.transaction():
            for record in self.all(module):
                self._index(module, record)

    def delete(self, module: str, record_id: str) -> bool:
        with self.store.transaction():
            found = self.exists(module, record_id)
            self.store.execute("DELETE FROM zoho_records WHERE id = ?", (record_id,))
            self.store.execute("DELETE FROM zoho_keys WHERE id = ?", (record_id,))
        return found

    def find(self, module: str, api_name: str, value) -> list[str]:
        """Ids of records whose indexed field equals `value`, oldest first."""
        key = key_value(value)
        if key is None:
            return []
        rows = self.store.query(
            "SELECT id FROM zoho_keys WHERE module = ? AND api_name = ? AND value = ? ORDER BY id", (module, api_name, key)
        )
        return [r["id"] for r in rows]

    def all(self, module: str) -> list[dict]:
        rows = self.store.query("SELECT data FROM zoho_records WHERE module = ? ORDER BY id", (module,))
        return [json.loads(r["data"]) for r in rows]

    def page(self, module: str, offset: int, limit: int) -> list[dict]:
        rows = self.store.query(
            "SELECT data FROM zoho_records WHERE module = ? ORDER BY id LIMIT ? OFFSET ?", (module, limit, offset)
        )
        return [json.loads(r["data"]) for r in rows]

    def count(self, module: str) -> int:
        return self.store.query("SELECT COUNT(*) AS n FROM zoho_records WHERE module = ?", (module,))[0]["n"]

"""The org's field metadata between runs: the preflight (zoho/sync.py) reads a module's fields (GET
/crm/v8/settings/fields, 1 credit) and checks them against the mapping before the first write. A run minutes after the
last one (the intraday sensor asks for one every few minutes, issue #15) reuses what the last preflight read and accepted,
for at most ZOHO_FIELDS_MAX_AGE_MINUTES.

Zoho's own SDK does the same: it keeps each module's field details in a file under its resource path and reads them
again once they are older than 3,600,000 ms, one hour (zoho/zohocrm-python-sdk, zcrmsdk/src/com/zoho/crm/api/util/
utility.py, Utility.get_fields_info). The default age is that hour. What the cache cannot see (an admin deleting or
shortening a field meanwhile) shows as a refused record: any refusal drops the module's entry, so the next run reads
the fields again, and the records refused are retried then as every refused record is (ops.zoho_dead_letters).
"""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb

from .. import clock


def fresh(conn: duckdb.DuckDBPyConnection, module: str, built_with: str, max_age_minutes: float) -> list[dict] | None:
    """The fields the last accepted preflight read, if younger than `max_age_minutes` and checked against the same
    mapping; else None (read them from Zoho)."""
    if max_age_minutes <= 0:
        return None
    row = conn.execute(
        "SELECT fields FROM ops.zoho_field_meta WHERE module = ? AND built_with = ? AND read_at > ?",
        [module, built_with, clock.now() - timedelta(minutes=max_age_minutes)],
    ).fetchone()
    return json.loads(row[0]) if row else None


def remember(conn: duckdb.DuckDBPyConnection, module: str, built_with: str, fields: list[dict]) -> None:
    """Keeps what a preflight read and accepted (the fields Zoho answered after any it created)."""
    conn.execute(
        "INSERT OR REPLACE INTO ops.zoho_field_meta (module, built_with, fields, read_at) VALUES (?, ?, ?, ?)",
        [module, built_with, json.dumps(fields), clock.now()],
    )


def resend_pushed_since_read(conn: duckdb.DuckDBPyConnection, module: str) -> int:
    """After a preflight had to create fields again (an admin deleted one while the cache still listed it), the records
    pushed since the cached read may have gone to Zoho without that field's value: they are owed again, as a record whose
    id Zoho contradicts is (clear_wrong_ids.sql): a status other than synced keeps them in backlog.sql whatever their day,
    and with no accepted payload classify_pending.sql sends them. Returns how many."""
    [(owed,)] = conn.execute(
        "UPDATE ops.zoho_sync_state SET payload_hash = NULL, status = 'fields_recreated', error_code = 'FIELDS_RECREATED', "
        "error_message = 'pushed while Zoho lacked a field the mapping writes (created again since); sent again' "
        "WHERE module = ? AND status = 'synced' AND synced_at >= (SELECT read_at FROM ops.zoho_field_meta WHERE module = ?)",
        [module, module],
    ).fetchall()
    return owed


def forget(conn: duckdb.DuckDBPyConnection, module: str) -> None:
    """The next preflight of `module` reads its fields from Zoho again."""
    conn.execute("DELETE FROM ops.zoho_field_meta WHERE module = ?", [module])

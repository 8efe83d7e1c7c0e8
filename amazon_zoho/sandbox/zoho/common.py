"""What every simulated Zoho endpoint shares: the org and its one user, record ids, timestamps and
the error envelope Zoho uses everywhere ({code, details, message, status: "error"})."""

from __future__ import annotations

import datetime as dt

from ..http import Response

ORG_ID = "20099999999"  # the zgid Zoho puts in X-CRM-ORG
USER = {"name": "Sandbox Admin", "id": "5725767000000411001", "email": "admin@sandbox.example"}
# Record ids are 19-digit strings in Zoho; ours count up from this base so they look and sort alike.
ID_BASE = 5725767000001000000


def next_ids(store, n: int = 1) -> list[str]:
    """Allocates `n` record ids atomically; the counter lives in the store so ids survive restarts.

    One statement (an upsert that returns the new count; SQLite 3.35+): a Bulk Write job of 25,000 sales orders asks
    for ~60,000 ids (the orders and their line items), and a read and a write per id were a sixth of its CPU."""
    [row] = store.query(
        "INSERT INTO kv(key, value) VALUES ('zoho_id_counter', ?) "
        "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + excluded.value RETURNING CAST(value AS INTEGER) AS last",
        (n,))
    first = row["last"] - n
    return [str(ID_BASE + first + i + 1) for i in range(n)]


def iso(ts: float) -> str:
    """Zoho timestamps carry the org's offset, e.g. 2019-12-23T16:39:18+05:30; our org runs on UTC."""
    return dt.datetime.fromtimestamp(int(ts), dt.timezone.utc).isoformat()


def error(code: str, message: str, details: dict | None = None) -> dict:
    return {"code": code, "details": details or {}, "message": message, "status": "error"}


def error_response(status: int, code: str, message: str, details: dict | None = None) -> Response:
    return Response.json(status, error(code, message, details))


def invalid_module() -> Response:
    return error_response(400, "INVALID_MODULE", "The module name given seems to be invalid")


def param_missing(param: str) -> Response:
    return error_response(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", {"param": param})

"""The rows a push passes between DuckDB and Python, with names instead of positions.

Rows read from DuckDB go through `fetch`, which matches the query's columns to the tuple's fields by name:
a column the SQL renames, drops or adds fails there, not as a wrong value further on.
"""

from __future__ import annotations

from typing import NamedTuple, TypeVar

import duckdb

Row = TypeVar("Row", bound=tuple)


def fetch(conn: duckdb.DuckDBPyConnection, row_type: type[Row], query: str, params: list | dict | None = None) -> list[Row]:
    """The query's rows as `row_type` named tuples, each column given to the field of the same name."""
    cursor = conn.execute(query, params)
    columns = [d[0] for d in cursor.description]
    if sorted(columns) != sorted(row_type._fields):
        raise ValueError(f"{row_type.__name__} has fields {', '.join(row_type._fields)}; the query answered {', '.join(columns)}")
    order = [columns.index(name) for name in row_type._fields]
    return [row_type._make(values[i] for i in order) for values in cursor.fetchall()]


class ToSend(NamedTuple):
    """A record the push sends: a row of the temp table `to_send` (classify_pending.sql), read a page at a time."""

    record_key: str
    payload_hash: str  # of the JSON mapping.yaml builds (in `classified`), which the id map keeps once Zoho accepts it
    zoho_id: str | None  # None until Zoho answered with the record's id
    lines_sent: bool  # send_payload carries the order's line items
    send_payload: str  # what is sent: payload, less line items Zoho already holds


class Unmappable(NamedTuple):
    """A record our mapping could not build (`classified` with decision 'unmappable'): dead-lettered unsent."""

    record_key: str
    payload: str
    mapping_error: str


class Held(NamedTuple):
    """A record Zoho refused as DUPLICATE_DATA, held back until adoption decides what to do with it."""

    row: ToSend
    answer: dict


class Result(NamedTuple):
    """Zoho's answer for one record, as record_results.sql reads it (the temp table `results`)."""

    record_key: str
    ok: bool
    zoho_id: str | None = None
    action: str | None = None  # insert, update or adopt
    error_code: str | None = None
    error_message: str | None = None
    error_field: str | None = None
    error_details: str | None = None  # JSON
    sent_payload: str | None = None  # the payload we tried, buyer details redacted
    lines_appended: bool = False  # Zoho appended line items to rows it already had: prune them (lines.py)

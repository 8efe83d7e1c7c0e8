"""A small markdown table of a query's first rows, for the asset's page in the Dagster UI."""

from __future__ import annotations

import duckdb


def markdown_preview(conn: duckdb.DuckDBPyConnection, query: str, params: dict | None = None) -> str:
    cursor = conn.execute(query, params or {})
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)

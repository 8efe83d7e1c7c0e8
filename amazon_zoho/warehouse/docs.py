"""Dagster's column docs, generated from DuckDB's own: the DDL's COMMENT ON statements are the one source.

The warehouse DDL (warehouse/sql/*.sql and each mart's marts/sql/<name>.sql, in the order of warehouse/resource.py
schema_ddl) is applied to an in-memory DuckDB once per process and read back
through duckdb_tables(), duckdb_views() and duckdb_columns(), so an asset's description and its
`dagster/column_schema` say exactly what `COMMENT ON` says in the analyst's DuckDB session.
"""

from functools import cache

import dagster as dg
import duckdb

from . import resource
from .resource import execute_script


@cache
def _dictionary() -> tuple[dict, dict]:
    conn = duckdb.connect(":memory:")
    try:
        for _, ddl in resource.schema_ddl():
            execute_script(conn, ddl)
        tables = conn.execute(
            "SELECT schema_name, table_name, comment FROM duckdb_tables() "
            "UNION ALL SELECT schema_name, view_name, comment FROM duckdb_views() WHERE NOT internal"
        ).fetchall()
        columns = conn.execute(
            "SELECT schema_name, table_name, column_name, data_type, comment, is_nullable "
            "FROM duckdb_columns() WHERE NOT internal ORDER BY schema_name, table_name, column_index"
        ).fetchall()
    finally:
        conn.close()
    by_table: dict[tuple[str, str], list] = {}
    for schema, table, *column in columns:
        by_table.setdefault((schema, table), []).append(column)
    return {(s, t): c for s, t, c in tables}, by_table


def table_comment(schema: str, table: str) -> str:
    comment = _dictionary()[0].get((schema, table))
    if not comment:
        raise KeyError(f"{schema}.{table} has no COMMENT ON TABLE in warehouse/sql or marts/sql; every table and view needs one")
    return comment


def column_schema(schema: str, table: str) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=name,
                type=data_type,
                description=comment,
                constraints=dg.TableColumnConstraints(nullable=nullable),
            )
            for name, data_type, comment, nullable in _dictionary()[1][(schema, table)]
        ]
    )


def spec_docs(schema: str, table: str) -> dict:
    """description and metadata for an AssetSpec/asset of `schema.table`."""
    return {
        "description": table_comment(schema, table),
        "metadata": {"dagster/column_schema": column_schema(schema, table), "dagster/table_name": f"{schema}.{table}"},
    }

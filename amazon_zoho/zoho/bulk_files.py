"""The zip of one Bulk Write job, written straight from DuckDB (issue #17).

DuckDB builds every CSV line of the job from the payloads in `to_send` (sql/bulk_files.sql): the cells, their
quoting, and text fitted to the org's field lengths by fit.fit, which DuckDB calls as the function zoho_fit for
the few values longer than their field. Python only copies the lines into the zip, a batch at a time, so a job of
25,000 sales orders never has its payloads parsed or held in Python.
"""

from __future__ import annotations

import io
import zipfile
from typing import NamedTuple

import duckdb
import pandas as pd

from . import steps
from .bulk import MAX_CSV_BYTES, line_items_resource, records_resource
from .fit import fit
from .mapping import ModuleMapping

FIT_FUNCTION = "zoho_fit"
LINES_PER_FETCH = 2_048


class JobFiles(NamedTuple):
    """What a job uploads: the zip, the job's `resource` list, and per field how many records had their text cut."""

    archive: bytes
    resources: list[dict]
    truncated: dict[str, int]


def build(conn: duckdb.DuckDBPyConnection, mapping: ModuleMapping, first: int, last: int, lengths: dict[str, int]) -> JobFiles:
    """The files of the job holding the records of `to_send` with first < seq <= last."""
    register_fit(conn)
    lines_field = mapping.line_items_field or ""
    params = {"first": first, "last": last, "key": mapping.key, "lines_field": lines_field,
              "lines_path": f"$.{lines_field or 'no_line_items'}"}
    line_columns = list(mapping.line_fields) if lines_field else []
    try:
        steps.BULK_FILES.run(
            conn, params,
            fitted_fields=pd.DataFrame({"name": list(lengths), "length": list(lengths.values())}).astype({"name": str, "length": "int64"}),
            line_columns=pd.DataFrame({"name": line_columns, "i": range(1, len(line_columns) + 1)}).astype({"name": str, "i": "int64"}),
        )
        columns = [name for (name,) in conn.execute("SELECT name FROM job_columns ORDER BY i").fetchall()]
        truncated = dict(conn.execute("SELECT name, count(*) FROM (SELECT unnest(cut) AS name FROM job_record_lines) GROUP BY name").fetchall())
        [(items,)] = conn.execute("SELECT count(*) - 1 FROM job_item_lines").fetchall()
        buffer = io.BytesIO()
        resources = [records_resource(mapping, columns)]
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            _write(conn, archive, resources[0]["file_names"][0], "SELECT line FROM job_record_lines ORDER BY seq")
            if items:
                resources.append(line_items_resource(mapping, line_columns))
                _write(conn, archive, resources[1]["file_names"][0], "SELECT line FROM job_item_lines ORDER BY seq, place")
    finally:
        # The lines of a whole job: not left for the rest of the push when a job stops here.
        conn.execute("DROP TABLE IF EXISTS job_columns; DROP TABLE IF EXISTS job_record_lines; DROP TABLE IF EXISTS job_item_lines")
    return JobFiles(buffer.getvalue(), resources, truncated)


def _write(conn: duckdb.DuckDBPyConnection, archive: zipfile.ZipFile, name: str, query: str) -> None:
    """The lines `query` answers, one per CSV row (LF-terminated, UTF-8), into `name` in the zip, a batch at a time.
    Zoho takes at most 25 MB per CSV (bulk.MAX_CSV_BYTES): a larger file stops the job before anything is uploaded."""
    written = 0
    cursor = conn.execute(query)
    with archive.open(name, "w") as out:
        while batch := cursor.fetchmany(LINES_PER_FETCH):
            data = "".join(line + "\n" for (line,) in batch).encode("utf-8")
            written += len(data)
            if written > MAX_CSV_BYTES:
                raise ValueError(f"{name} exceeds Zoho's 25 MB per CSV; push fewer records per job")
            out.write(data)


def register_fit(conn: duckdb.DuckDBPyConnection) -> None:
    """fit.fit as the DuckDB function zoho_fit(text, limit), once per database: DuckDB keeps a Python function in the
    database's catalog, which every connection of the process shares (warehouse/resource.attach_file).

    DuckDB holds the function without a reference of its own, so it must live as long as the process: a module-level
    function such as fit.fit, never a lambda, closure or partial made here (freed, the next call crashes Python)."""
    [(known,)] = conn.execute("SELECT count(*) FROM duckdb_functions() WHERE function_name = ?", [FIT_FUNCTION]).fetchall()
    if known:
        return
    try:
        conn.create_function(FIT_FUNCTION, fit, [duckdb.sqltypes.VARCHAR, duckdb.sqltypes.BIGINT], duckdb.sqltypes.VARCHAR,
                             side_effects=False)
    except duckdb.CatalogException as exc:  # another connection of the process registered it meanwhile
        if "already exists" not in str(exc):
            raise

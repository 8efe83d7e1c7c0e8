"""The files of one Bulk Write job, written by DuckDB (issue #17): the records of `to_send` in a range of seq become
a CSV of the module and, for sales orders, a CSV of their line items (sql/bulk_files.sql makes the rows; COPY
writes them), zipped from disk. No payload is parsed in Python: a job holds only each record's key, id and whether
it sends line items, which the answers are applied with (sync.py).

Zoho's rules for the files (API-FACTS.md §9, Bulk Write; /work/shared/reference/zoho/bulk_write.json, Resource and
field_mappings): one zip, ≤ 25 MB and ≤ 25,000 records per CSV, subforms and line items in a separate CSV of the
same zip linked to their parent's row by `parent_column_index`, comma-delimited, a lookup given by record id
(`find_by: id`). Cells are quoted as RFC 4180 says (DuckDB's CSV writer: a cell holding a comma, a quote, CR or LF
is quoted, quotes doubled), UTF-8 without a byte-order mark.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import duckdb
import pandas as pd

from ..warehouse.engine import ident, literal
from . import steps
from .fit import fit
from .mapping import ModuleMapping

MAX_CSV_BYTES = 25 * 1024 * 1024
PARENT_LINK = "Parent_Id"
FIT_FUNCTION = "zoho_fit"  # fit.fit as a DuckDB function, for sql/bulk_files.sql
_COPY_OPTIONS = "(FORMAT csv, HEADER, DELIMITER ',', QUOTE '\"', ESCAPE '\"')"


class JobFiles(NamedTuple):
    """A job's zip on disk, the job's `resource` list that tells Zoho what each CSV's columns are, and the fields
    whose text was cut (field -> records). Its records, in file order, are the rows of `bulk_records` by seq."""

    archive: Path
    resources: list[dict]
    truncated: dict[str, int]


@contextmanager
def job_files(conn: duckdb.DuckDBPyConnection, mapping: ModuleMapping, first: int, last: int,
              lengths: dict[str, int]) -> Iterator[JobFiles]:
    """The files for the records of `to_send` with first < seq <= last, fitted to the org's field `lengths`
    (fit.text_lengths); they are removed, with the temp tables, when the block ends. Meanwhile the temp table
    `bulk_records` holds the job's records by seq (record_key, zoho_id, lines_sent: what sync.py applies answers
    with; the keys in that order are the order Zoho answers in, bulk.results)."""
    _register_fit(conn)
    params = {
        "first": first,
        "last": last,
        "key": mapping.key,
        "key_path": f"$.{mapping.key}",
        "lines_field": mapping.line_items_field or "",
        "lines_path": f"$.{mapping.line_items_field or 'no_line_items'}",  # a valid JSON path even without line items
        "line_fields": list(mapping.line_fields) if mapping.line_items_field else [],
    }
    field_lengths = pd.DataFrame(list(lengths.items()), columns=["api_name", "length"]).astype({"api_name": str, "length": "int64"})
    with tempfile.TemporaryDirectory(prefix="bulk-write-", dir=_work_dir(conn)) as folder:
        try:
            steps.BULK_FILES.run(conn, params, field_lengths=field_lengths)
            yield _write(conn, mapping, Path(folder))
        finally:
            conn.execute("DROP TABLE IF EXISTS bulk_records; DROP TABLE IF EXISTS bulk_line_items; DROP TABLE IF EXISTS bulk_columns")


def _write(conn: duckdb.DuckDBPyConnection, mapping: ModuleMapping, folder: Path) -> JobFiles:
    columns = [name for (name,) in conn.execute("SELECT name FROM bulk_columns ORDER BY place").fetchall()]
    records = folder / f"{mapping.module}.csv"
    _copy(conn, "bulk_records", columns, records)
    files = [(records, _records_resource(mapping, records.name, columns))]
    [(items,)] = conn.execute("SELECT count(*) FROM bulk_line_items").fetchall()
    if items:
        line_columns = list(mapping.line_fields)
        path = folder / f"{mapping.line_items_field}.csv"
        _copy(conn, "bulk_line_items", line_columns, path, parent=True)
        files.append((path, _line_items_resource(mapping, path.name, line_columns)))
    too_big = [path.name for path, _ in files if path.stat().st_size > MAX_CSV_BYTES]
    if too_big:
        raise ValueError(f"{too_big} exceed Zoho's 25 MB per CSV; push fewer records per job")
    archive = folder / "records.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for path, _ in files:
            z.write(path, arcname=path.name)  # read from disk a block at a time
            path.unlink()
    truncated = dict(conn.execute("SELECT name, count(*) FROM (SELECT unnest(cut) AS name FROM bulk_records) GROUP BY name").fetchall())
    return JobFiles(archive, [resource for _, resource in files], truncated)


def _copy(conn: duckdb.DuckDBPyConnection, table: str, columns: list[str], path: Path, parent: bool = False) -> None:
    """COPYs `table`'s cells (a list per row) to the CSV at `path`, one named column each, in the table's order
    (the order the records' answers come back in); line items get the parent link column first."""
    cells = [f"cells[{i}] AS {ident(name)}" for i, name in enumerate(columns, 1)]
    select = ", ".join([f"parent AS {ident(PARENT_LINK)}"] * parent + cells)
    order = "seq, place" if parent else "seq"
    conn.execute(f"COPY (SELECT {select} FROM {table} ORDER BY {order}) TO {literal(str(path))} {_COPY_OPTIONS}")


def _records_resource(mapping: ModuleMapping, name: str, columns: list[str]) -> dict:
    """The module's records, one row each, the match key first; Zoho finds each record by that key."""
    return {
        "type": "data",
        "module": {"api_name": mapping.module},
        "file_names": [name],
        "find_by": mapping.key,
        "field_mappings": _field_mappings(columns, set(mapping.lookups)),
    }


def _line_items_resource(mapping: ModuleMapping, name: str, columns: list[str]) -> dict:
    """The line items, each linked to its order's row by the order's key in PARENT_LINK (Zoho's parent-child write)."""
    lookups = {field for field, source in mapping.line_fields.items() if source == "product"}
    return {
        "type": "data",
        "module": {"api_name": mapping.line_items_field},
        "file_names": [name],
        "field_mappings": [{"api_name": PARENT_LINK, "index": 0, "parent_column_index": 0}] + _field_mappings(columns, lookups, first=1),
    }


def _field_mappings(columns: list[str], lookups: set[str], first: int = 0) -> list[dict]:
    """Which CSV column (by index) holds which field; lookups are given as record ids."""
    return [{"api_name": c, "index": i, **({"find_by": "id"} if c in lookups else {})} for i, c in enumerate(columns, first)]


def _register_fit(conn: duckdb.DuckDBPyConnection) -> None:
    """fit.fit as the DuckDB function zoho_fit, once per connection: fit.py is the one home of how text is cut."""
    [(known,)] = conn.execute("SELECT count(*) FROM duckdb_functions() WHERE function_name = ?", [FIT_FUNCTION]).fetchall()
    if not known:
        conn.create_function(FIT_FUNCTION, fit, ["VARCHAR", "BIGINT"], "VARCHAR", side_effects=False)


def _work_dir(conn: duckdb.DuckDBPyConnection) -> str | None:
    """DuckDB's temp_directory (settings: AMAZON_ZOHO_DUCKDB_TEMP_DIR, beside the warehouse): the job's files go
    on the disk DuckDB spills to, not into /tmp, which may be a small RAM disk. None: the system's temp folder."""
    [(folder,)] = conn.execute("SELECT current_setting('temp_directory')").fetchall()
    if not folder:
        return None
    os.makedirs(folder, exist_ok=True)
    return folder

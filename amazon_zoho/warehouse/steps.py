"""SQL files as declared steps: what each reads, creates and writes, in one place per layer.

Steps hand data to each other through temp tables (and temp macros) of the connection, and Python hands data
in two ways: data frames registered for the length of one step (`given`), and temp tables the caller made
before the step (`prepared`: DuckDB's CSV reader loads a flat file into one). Names with a schema
(ops.quarantine) are the warehouse's tables; the others are temp tables, views and macros.

Each layer declares its steps in its own steps.py (amazon, core, ops, zoho), bound to the sql/ folder beside it
with `beside(__file__)`; amazon_zoho_tests/test_sql_steps.py checks every declaration against its file with the
functions at the end of this module, and that each declared sequence reads only what an earlier step created.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import duckdb
import pandas as pd

from .resource import run_sql

SCHEMAS = ("raw", "core", "marts", "ops", "pii")


@dataclass(frozen=True)
class Step:
    sql_file: str  # in the sql/ folder beside package_file
    # Temp tables, views and macros an earlier step created, and warehouse tables.
    reads: tuple[str, ...] = ()
    given: tuple[str, ...] = ()  # data frames Python registers under these names while the step runs
    prepared: tuple[str, ...] = ()  # temp tables the caller creates before running the step
    creates: tuple[str, ...] = ()  # temp tables and views
    macros: tuple[str, ...] = ()  # temp macros
    # Warehouse tables it inserts into, updates or deletes from (and temp tables an earlier step created).
    writes: tuple[str, ...] = ()
    package_file: str = field(kw_only=True)  # a module of the layer: its sql/ folder holds sql_file

    @property
    def path(self) -> Path:
        return Path(self.package_file).parent / "sql" / self.sql_file

    @property
    def name(self) -> str:
        """layer/file, as in messages and test ids: core/orders.sql."""
        return f"{self.path.parents[1].name}/{self.sql_file}"

    def run(self, conn: duckdb.DuckDBPyConnection, params: dict | None = None, **frames: pd.DataFrame) -> None:
        """Runs every statement of the file (each gets the params it names), with `frames` registered meanwhile.

        DuckDB registers no frame while the connection holds a result not fetched to its end (fetchone() leaves
        one): fetch what comes before a step that is given frames with fetchall()."""
        with self._given(conn, frames):
            run_sql(conn, self.package_file, self.sql_file, params)

    def rows(self, conn: duckdb.DuckDBPyConnection, params: dict | None = None, **frames: pd.DataFrame) -> list[tuple]:
        """Runs the file like run() and returns the rows its last statement (a query) answers."""
        with self._given(conn, frames):
            run_sql(conn, self.package_file, self.sql_file, params)
            return conn.fetchall()

    @contextmanager
    def _given(self, conn: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame]) -> Iterator[None]:
        if set(frames) != set(self.given):
            raise ValueError(f"{self.sql_file} is given {', '.join(self.given) or 'nothing'}, not {', '.join(frames) or 'nothing'}")
        for name, frame in frames.items():
            conn.register(name, frame)
        try:
            yield
        finally:
            for name in frames:
                conn.unregister(name)


def beside(package_file: str) -> Callable[..., Step]:
    """Step, for the .sql files in the sql/ folder beside `package_file` (a layer's steps.py passes its __file__)."""
    return partial(Step, package_file=package_file)


# What a file does, read from its text; the tests compare a declaration with these. Comments and string
# literals are dropped first (code()): they name tables in prose.


def code(text: str) -> str:
    """The SQL without comments and string literals."""
    return re.sub(r"'[^']*'", "''", re.sub(r"--[^\n]*", "", text))


def temp_tables_created(sql: str) -> set[str]:
    return set(re.findall(r"CREATE\s+(?:OR\s+REPLACE\s+)?TEMP(?:ORARY)?\s+(?:TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", sql, re.IGNORECASE))


def temp_macros_created(sql: str) -> set[str]:
    return set(re.findall(r"CREATE\s+(?:OR\s+REPLACE\s+)?TEMP(?:ORARY)?\s+(?:MACRO|FUNCTION)\s+(\w+)", sql, re.IGNORECASE))


def tables_written(sql: str) -> set[str]:
    """Tables the SQL inserts into, updates or deletes from, with their schema if it names one
    (not the `DO UPDATE SET` of an upsert)."""
    return set(re.findall(r"\b(?:INSERT\s+(?:OR\s+REPLACE\s+)?INTO|(?<!DO\s)UPDATE|DELETE\s+FROM)\s+((?:\w+\.)?\w+)", sql, re.IGNORECASE))


def warehouse_tables(sql: str) -> set[str]:
    """Every schema.table the SQL names."""
    return set(re.findall(rf"\b((?:{'|'.join(SCHEMAS)})\.\w+)", sql))


def temp_tables_read(sql: str) -> set[str]:
    """Tables without a schema the SQL reads (after FROM or JOIN): temp tables, views and registered data frames,
    not its CTEs nor table functions."""
    read = set(re.findall(r"\b(?:FROM|JOIN)\s+([A-Za-z_]\w*)\b(?!\s*[.(])", sql, re.IGNORECASE))
    return read - set(re.findall(r"(?:\bWITH|,)\s*(\w+)\s+AS\s*\(", sql, re.IGNORECASE))


def macros_called(sql: str, macros: set[str]) -> set[str]:
    """The ones of `macros` the SQL calls."""
    return {name for name in macros if re.search(rf"(?<![\w.$]){name}\s*\(", sql)}

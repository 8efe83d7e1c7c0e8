"""WarehouseResource: short-lived DuckDB connections with the schema in place and UTC as the session zone."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import dagster as dg
import duckdb
from duckdb.sqltypes import TIMESTAMP_TZ
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_delay,
    wait_random_exponential,
)

from .. import clock


@cache
def sql(package_file: str, name: str) -> str:
    """Reads `name` from the `sql/` folder beside `package_file` (SQL lives next to the asset running it)."""
    return (Path(package_file).parent / "sql" / name).read_text()


# One file per schema, run in name order (schemas first): sql/00_schemas.sql, 10_raw.sql, 20_core.sql, ...
SCHEMA_FILES = tuple(sorted(p.name for p in (Path(__file__).parent / "sql").glob("[0-9][0-9]_*.sql")))


def schema_digest() -> str:
    return hashlib.sha256("".join(sql(__file__, name) for name in SCHEMA_FILES).encode()).hexdigest()


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Applies the DDL files when the warehouse was built from other ones (or never).

    The DDL is idempotent, but its ~300 COMMENT ON statements cost a few hundred milliseconds and a
    catalog write on every connection; the digest of the files in ops.schema_version skips that.
    """
    digest = schema_digest()
    try:
        if conn.execute("SELECT digest FROM ops.schema_version").fetchone() == (digest,):
            return
    except duckdb.CatalogException:
        pass
    for name in SCHEMA_FILES:
        conn.execute(sql(__file__, name))
    conn.execute("CREATE TABLE IF NOT EXISTS ops.schema_version (digest VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)")
    conn.execute("DELETE FROM ops.schema_version")
    conn.execute("INSERT INTO ops.schema_version VALUES (?, clock_now())", [digest])


def use_clock(conn: duckdb.DuckDBPyConnection) -> None:
    """`clock_now()` in our SQL reads the project's one clock (DuckDB's own now() would read the machine's), so a
    pinned test or demo stamps, windows and retains rows at the instant it pinned.

    Without side effects DuckDB calls it once per statement, not once per row (measured: 1 call for a
    200,000-row SELECT, against 200,000 with side effects): one instant for every row a statement writes, close to
    DuckDB's own now(), which its documentation gives as the start of the current transaction.
    """
    conn.create_function("clock_now", clock.now, [], TIMESTAMP_TZ, side_effects=False)


def run_sql(conn: duckdb.DuckDBPyConnection, package_file: str, name: str, params: dict | None = None) -> None:
    """Runs every statement of a .sql file, giving each only the named parameters it uses (DuckDB
    binds parameters to one statement at a time and rejects extras)."""
    execute_script(conn, sql(package_file, name), params)


def execute_script(conn: duckdb.DuckDBPyConnection, text: str, params: dict | None = None) -> None:
    params = params or {}
    for statement in conn.extract_statements(text):
        names = statement.named_parameters
        conn.execute(statement.query, {k: v for k, v in params.items() if k in names} if names else None)


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file that raw, core, marts, ops and pii live in."""

    path: str = "data/amazon_zoho.duckdb"
    # Raw report files are archived here forever: Amazon deletes them after 90 days.
    archive_dir: str = "data/archive"

    # DuckDB lets one process hold the file; another run's writer holds it for seconds at a time, so a
    # connection waits for the lock (two backfills launched together both finish) instead of failing.
    lock_timeout_seconds: float = 900.0

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = self._open(read_only)
        try:
            conn.execute("SET TimeZone = 'UTC'")
            use_clock(conn)
            if not read_only:
                ensure_schema(conn)
            yield conn
        finally:
            conn.close()

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        for attempt in Retrying(
            retry=retry_if_exception(_is_lock_conflict),
            wait=wait_random_exponential(multiplier=0.2, max=5),
            stop=stop_after_delay(self.lock_timeout_seconds),
            reraise=True,
        ):
            with attempt:
                return duckdb.connect(self.path, read_only=read_only)
        raise AssertionError("unreachable")


def _is_lock_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "Could not set lock" in str(exc)

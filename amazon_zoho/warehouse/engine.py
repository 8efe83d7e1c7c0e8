"""The warehouse on DuckLake: what differs from the DuckDB file, handled here and nowhere else.

AMAZON_ZOHO_WAREHOUSE_ENGINE=ducklake attaches a DuckLake (catalog in PostgreSQL, Parquet data in S3 or a shared
directory) as the warehouse instead of opening the DuckDB file. The SQL files stay the same; a DuckLake cannot run
all of them as written (https://ducklake.select/docs/stable/duckdb/unsupported_features and
https://ducklake.select/docs/stable/duckdb/advanced_features/constraints; each claim below as ducklake 1.5.5 answers):

- PRIMARY KEY and UNIQUE are not supported, only NOT NULL ("PRIMARY KEY/UNIQUE constraints are not supported in
  DuckLake"): the lake's tables are created without them, and the keys are kept here (`Catalog`) so that
- INSERT OR REPLACE and INSERT ... ON CONFLICT (which need a key to find the conflict) become MERGE INTO on the
  same key (https://ducklake.select/docs/stable/duckdb/usage/upserting: MERGE INTO is how DuckLake upserts);
- sequences are not supported ("DuckLake does not support sequences"), so a column defaulting to a sequence's
  nextval has no default on the lake: an INSERT that leaves it out gets one more than the column's largest value,
  numbered per row; the other non-literal defaults are filled in the same way (CREATE TABLE on 1.5.5 would take
  an expression default, but ADD COLUMN refuses one: "We cannot add a column with a non-literal default value",
  and one rule for both keeps a table the same whichever DDL made it);
- ALTER TABLE ... ADD COLUMN with a non-literal default fails, so a column a newer DDL file adds is added without it;
- a view's columns take no comment (the view itself does).

The lake's DDL is not rewritten text: the DDL files run in an in-memory DuckDB first (`shadow_catalog`), and the
lake's tables, views and comments are created from what that catalog holds, so every DDL file keeps working
unchanged on both engines.

Concurrent writers: DuckLake commits optimistically, and a commit that clashes with one committed meanwhile fails
with a "Transaction conflict" (https://ducklake.select/docs/stable/duckdb/advanced_features/conflict_resolution).
`LakeConnection` retries such a statement, or the whole explicit transaction it belongs to (replayed from BEGIN),
with jittered backoff. A transaction is replayed as SQL: a Python decision taken on rows read inside it is not
re-taken, which is why the project's transactions only write.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import duckdb
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_random_exponential

log = logging.getLogger(__name__)
# The name the lake is attached under (and USEd): current_database() in our SQL answers it.
LAKE = "warehouse"


# --- Extensions ------------------------------------------------------------------------------------------------

# DuckDB's signed extension binaries, shipped as PyPI wheels (duckdb-extension-<name>, one per DuckDB release), each
# under extensions/v<DuckDB version>/ in its package. LOAD by path needs no network and no unsigned-extension switch.
# DuckDB derives an extension's entry point from its file name, and the postgres wheel's file is postgres.duckdb_extension
# while its entry point is postgres_scanner's (loading it as shipped fails: "did not contain the expected entrypoint
# function 'postgres_duckdb_cpp_init'"), so it is loaded through a link named postgres_scanner.duckdb_extension.
EXTENSIONS = (("duckdb_extension_ducklake", "ducklake", "ducklake"),
              ("duckdb_extension_postgres", "postgres", "postgres_scanner"),
              ("duckdb_extension_httpfs", "httpfs", "httpfs"))


@cache
def extension_files() -> tuple[Path, ...]:
    import importlib

    version = "v" + duckdb.__version__
    links = Path(tempfile.gettempdir()) / f"amazon_zoho_duckdb_extensions_{os.getuid()}" / version
    files = []
    for package, shipped, name in EXTENSIONS:
        try:
            module = importlib.import_module(package)
        except ImportError:
            raise RuntimeError(f"the DuckLake engine needs the {package.replace('_', '-')} wheel for DuckDB {duckdb.__version__} "
                               f"(pyproject.toml lists it); pip install -c constraints.txt -e .") from None
        path = Path(module.__file__).parent / "extensions" / version / f"{shipped}.duckdb_extension"
        if not path.exists():
            raise RuntimeError(f"{path} missing: {package} is not the build for DuckDB {duckdb.__version__}")
        if shipped != name:
            links.mkdir(parents=True, exist_ok=True)
            link = links / f"{name}.duckdb_extension"
            if not link.exists() or link.resolve() != path.resolve():
                tmp = links / f".{name}.{os.getpid()}"
                tmp.unlink(missing_ok=True)
                tmp.symlink_to(path)
                os.replace(tmp, link)  # atomic: concurrent runs never see a half-made link
            path = link
        files.append(path)
    return tuple(files)


def literal(text: str) -> str:
    """A SQL string literal, quotes doubled: for the places DuckDB binds no parameter (ATTACH, LOAD, SECRET, COMMENT)."""
    return "'" + str(text).replace("'", "''") + "'"


@dataclass(frozen=True)
class LakeConfig:
    """Where the lake is: the catalog's libpq DSN (without password) and the data path, plus S3 access."""

    catalog: str
    data_path: str
    catalog_password: str = field(default="", repr=False)
    s3_endpoint: str = ""
    s3_region: str = "us-east-1"
    s3_key_id: str = field(default="", repr=False)
    s3_secret: str = field(default="", repr=False)
    s3_use_ssl: bool = True
    s3_url_style: str = "path"

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.catalog_password, self.s3_key_id, self.s3_secret) if s)


_ROOTS: dict[tuple, duckdb.DuckDBPyConnection] = {}
_ROOTS_LOCK = threading.Lock()


def connect_lake(lake: LakeConfig, read_only: bool = False, config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to the lake: a cursor of one in-memory DuckDB per process (and lake, mode and settings) that has
    the extensions loaded and the lake attached. Loading and attaching take ~0.5 s, which every asset's connection
    paid; a cursor is a connection of its own (its own transactions and temp tables) to the same database, and each
    transaction reads the lake's latest snapshot."""
    key = (lake, read_only, tuple(sorted((config or {}).items())))
    with _ROOTS_LOCK:
        root = _ROOTS.get(key)
        if root is None:
            # Writers that attach a lake nobody has used yet all create its catalog tables; one wins, the others fail
            # ("Failed to initialize DuckLake") and, attaching again, find the catalog made.
            for attempt in Retrying(retry=retry_if_exception(_initializing), wait=wait_random_exponential(multiplier=0.2, max=2),
                                    stop=stop_after_delay(30), reraise=True):
                with attempt:
                    root = open_lake(lake, read_only, config)
            _ROOTS[key] = root
    conn = root.cursor()
    conn.execute(f"USE {LAKE}")
    return conn


def _initializing(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.Error) and "Failed to initialize DuckLake" in str(exc)


def open_lake(lake: LakeConfig, read_only: bool = False, config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake attached as `warehouse` and in use (temp tables stay in memory)."""
    conn = duckdb.connect(":memory:", config=dict(config or {}))
    try:
        for path in extension_files():
            conn.execute(f"LOAD {literal(path)}")
        # Credentials go into DuckDB secrets, never into a path or the DSN DuckDB may quote in an error
        # (https://duckdb.org/docs/stable/core_extensions/postgres#configuring-via-secrets,
        # https://duckdb.org/docs/stable/core_extensions/httpfs/s3api#credentials-and-configuration).
        if lake.catalog_password:
            conn.execute(f"CREATE OR REPLACE SECRET __default_postgres (TYPE postgres, PASSWORD {literal(lake.catalog_password)})")
        if lake.data_path.startswith("s3://"):
            endpoint = re.sub(r"^https?://", "", lake.s3_endpoint)
            options = [f"REGION {literal(lake.s3_region)}", f"URL_STYLE {literal(lake.s3_url_style)}",
                       f"USE_SSL {'true' if lake.s3_use_ssl else 'false'}"]
            if endpoint:
                options.append(f"ENDPOINT {literal(endpoint)}")
            if lake.s3_key_id:
                options += [f"KEY_ID {literal(lake.s3_key_id)}", f"SECRET {literal(lake.s3_secret)}"]
            conn.execute(f"CREATE OR REPLACE SECRET lake_data (TYPE s3, {', '.join(options)})")
        # https://ducklake.select/docs/stable/duckdb/usage/connecting: ducklake:postgres:<libpq DSN>, DATA_PATH.
        options = [f"DATA_PATH {literal(lake.data_path)}"] + (["READ_ONLY"] if read_only else [])
        conn.execute(f"ATTACH {literal('ducklake:postgres:' + lake.catalog)} AS {LAKE} ({', '.join(options)})")
        conn.execute(f"USE {LAKE}")
    except duckdb.Error as exc:
        conn.close()
        message = str(exc)
        for secret in lake.secrets():
            message = message.replace(secret, "***")
        raise type(exc)(f"could not attach the DuckLake warehouse (catalog {redact_dsn(lake.catalog)}, data {lake.data_path}): {message}") from None
    return conn


def redact_dsn(dsn: str) -> str:
    return re.sub(r"(password\s*=\s*)\S+", r"\1***", dsn, flags=re.IGNORECASE)


# --- Conflicts -------------------------------------------------------------------------------------------------


def is_conflict(exc: BaseException) -> bool:
    """DuckLake's optimistic concurrency refuses a commit that clashes with one committed meanwhile."""
    return isinstance(exc, duckdb.Error) and "conflict" in str(exc).lower() and "ON CONFLICT" not in str(exc)


_TX = re.compile(r"^\s*(BEGIN(\s+TRANSACTION)?|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT)\s*;?\s*$", re.IGNORECASE)


class LakeConnection:
    """A DuckDB connection with the lake attached: everything passes through, except that INSERTs a lake cannot run
    are rewritten (`rewrite`) and a statement or transaction that loses a commit race is retried."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, retry_seconds: float = 300.0):
        self._conn = conn
        self._retry_seconds = retry_seconds
        self._tx: list[tuple[str, object]] | None = None  # the open explicit transaction's statements, for a replay
        self._guarded: set[str] = set()  # keyed tables whose ops.lake_writes row this transaction updated

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._conn.close()

    @property
    def raw(self) -> duckdb.DuckDBPyConnection:
        return self._conn

    def execute(self, query: str, parameters=None):
        query = rewrite(query) if isinstance(query, str) else query
        kind = _TX.match(query).group(1).split()[0].upper() if isinstance(query, str) and _TX.match(query) else ""
        if kind in ("BEGIN", "START"):
            self._conn.execute(query)
            self._tx, self._guarded = [], set()
            return self
        if kind in ("COMMIT", "END"):
            self._commit()
            return self
        if kind in ("ROLLBACK", "ABORT"):
            self._tx = None
            self._conn.execute(query)
            return self
        keyed = keyed_target(query) if isinstance(query, str) else None
        if keyed and self._tx is None:
            return self._in_transaction([(query, parameters)])
        if self._tx is not None:
            if keyed:
                self._guard(keyed)
            self._tx.append((query, parameters))
            try:
                self._conn.execute(query, parameters)
            except duckdb.Error as exc:
                if not is_conflict(exc):
                    raise
                self._replay()
            return self
        self._retrying(lambda: self._conn.execute(query, parameters))
        return self

    def executemany(self, query: str, parameters=None):
        query = rewrite(query)
        keyed = keyed_target(query)
        if keyed and self._tx is None:
            return self._in_transaction([(query, ("many", parameters))])
        if self._tx is not None:
            if keyed:
                self._guard(keyed)
            self._tx.append((query, ("many", parameters)))
            self._conn.executemany(query, parameters)
            return self
        self._retrying(lambda: self._conn.executemany(query, parameters))
        return self

    def script(self, statements: list[tuple[str, dict | None]]) -> None:
        """Runs a file's statements; when one writes a keyed table and no transaction is open, all but a trailing
        query run as one transaction, and the query (what Step.rows fetches) after its commit."""
        if self._tx is not None or not any(keyed_target(rewrite(q)) for q, _ in statements):
            for query, params in statements:
                self.execute(query, params)
            return
        last_is_query = bool(statements) and re.match(r"\s*(SELECT|WITH|FROM)\b", _mask(statements[-1][0]), re.IGNORECASE)
        body = statements[:-1] if last_is_query else statements
        self._in_transaction(body)
        if last_is_query:
            self.execute(*statements[-1])

    def _in_transaction(self, statements: list[tuple[str, object]]):
        self.execute("BEGIN TRANSACTION")
        try:
            for query, params in statements:
                if isinstance(params, tuple) and len(params) == 2 and params[0] == "many":
                    self.executemany(query, params[1])
                else:
                    self.execute(query, params)
        except BaseException:
            self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")
        return self

    def _guard(self, table: str) -> None:
        """DuckLake enforces no key, and two transactions that each delete-then-insert (or MERGE) the same key both
        commit: inserts never conflict, and a DELETE that found nothing leaves nothing to conflict on (measured with
        ducklake 1.5.5: both rows stay). Every transaction that writes a keyed table therefore also updates that
        table's row of ops.lake_writes; concurrent updates of one table do conflict, so the later transaction is
        replayed after the earlier one committed, and sees its rows."""
        if table in self._guarded:
            return
        self._guarded.add(table)
        statement = f"UPDATE ops.lake_writes SET writes = writes + 1 WHERE table_name = {literal(table)}"
        self._tx.append((statement, None))
        self._conn.execute(statement)

    def register(self, name: str, frame):
        # A data frame given to the statements of a transaction must be there again when the transaction is replayed.
        if self._tx is not None:
            self._tx.append((name, ("register", frame)))
        self._conn.register(name, frame)
        return self

    def unregister(self, name: str):
        if self._tx is not None:
            self._tx.append((name, ("unregister", None)))
        self._conn.unregister(name)
        return self

    def begin(self):
        return self.execute("BEGIN TRANSACTION")

    def commit(self):
        return self.execute("COMMIT")

    def rollback(self):
        return self.execute("ROLLBACK")

    def _commit(self) -> None:
        try:
            self._conn.execute("COMMIT")
        except duckdb.Error as exc:
            if not is_conflict(exc):
                self._tx = None
                raise
            self._replay(commit=True)
        self._tx = None

    def _replay(self, commit: bool = False) -> None:
        """Rolls the transaction back and runs its statements again (and COMMIT, when that is what failed)."""
        statements = list(self._tx or [])
        # Recorded, not silent: a replay means another writer committed first (statement text only, never parameters).
        log.warning("DuckLake transaction conflict: replaying a transaction of %d statement(s) after another writer's commit",
                    len(statements))

        def again():
            try:
                self._conn.execute("ROLLBACK")
            except duckdb.Error:
                pass  # the failed commit already ended it
            self._conn.execute("BEGIN TRANSACTION")
            registered = []
            for query, params in statements:
                kind = params[0] if isinstance(params, tuple) and len(params) == 2 and isinstance(params[0], str) else ""
                if kind == "many":
                    self._conn.executemany(query, params[1])
                elif kind == "register":
                    self._conn.register(query, params[1])
                    registered.append(query)
                elif kind == "unregister":
                    self._conn.unregister(query)
                    registered.remove(query)
                else:
                    self._conn.execute(query, params)
            if commit:
                for name in registered:  # frames the first attempt had unregistered by now
                    self._conn.unregister(name)
                self._conn.execute("COMMIT")

        self._retrying(again, first_failed=True)
        if commit:
            self._tx = None

    def _retrying(self, action, first_failed: bool = False):
        if first_failed:
            time.sleep(0.05)
        for attempt in Retrying(retry=retry_if_exception(is_conflict), wait=wait_random_exponential(multiplier=0.05, max=2),
                                stop=stop_after_delay(self._retry_seconds), reraise=True):
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    log.warning("DuckLake transaction conflict: retry %d after another writer's commit",
                                attempt.retry_state.attempt_number - 1)
                return action()
        raise AssertionError("unreachable")


# --- The lake's catalog, from the DDL files ----------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    name: str  # schema.table
    columns: tuple[str, ...]
    types: tuple[str, ...]
    not_null: frozenset[str]
    keys: tuple[str, ...]
    defaults: tuple[tuple[str, str], ...]  # (column, DuckDB's text of its default) for non-literal defaults
    literal_defaults: tuple[tuple[str, str], ...] = ()  # (column, its literal default): kept on the lake too


@dataclass(frozen=True)
class Catalog:
    schemas: tuple[str, ...]
    tables: dict[str, Table]
    views: tuple[str, ...]  # CREATE OR REPLACE VIEW statements, in creation order
    comments: tuple[str, ...]  # COMMENT ON statements


# The DDL files in the order they apply, (file, text) pairs: resource.schema_ddl, which registers itself here
# (resource imports this module, so this module cannot import resource).
DDL_SOURCE: list = []


@cache
def shadow_catalog() -> Catalog:
    """Every DDL file run in an in-memory DuckDB: the tables, keys, defaults, views and comments the files define."""
    conn = duckdb.connect(":memory:")
    try:
        conn.create_function("clock_now", lambda: None, [], duckdb.sqltypes.TIMESTAMP_TZ, side_effects=False)
        for _, ddl in DDL_SOURCE[0]():
            conn.execute(ddl)
        return _read_catalog(conn)
    finally:
        conn.close()


def _read_catalog(conn: duckdb.DuckDBPyConnection) -> Catalog:
    schemas = tuple(s for (s,) in conn.execute(
        "SELECT schema_name FROM duckdb_schemas() WHERE database_name = 'memory' AND NOT internal ORDER BY oid").fetchall())
    keys: dict[str, tuple[str, ...]] = {}
    for schema, table, columns in conn.execute(
            "SELECT schema_name, table_name, constraint_column_names FROM duckdb_constraints() "
            "WHERE database_name = 'memory' AND constraint_type = 'PRIMARY KEY'").fetchall():
        keys[f"{schema}.{table}"] = tuple(columns)
    tables: dict[str, Table] = {}
    comments: list[str] = []
    for schema, table, comment in conn.execute(
            "SELECT schema_name, table_name, comment FROM duckdb_tables() WHERE database_name = 'memory' AND NOT temporary "
            "ORDER BY table_oid").fetchall():
        name = f"{schema}.{table}"
        cols = conn.execute(
            "SELECT column_name, data_type, is_nullable, column_default, comment FROM duckdb_columns() "
            "WHERE database_name = 'memory' AND schema_name = ? AND table_name = ? ORDER BY column_index", [schema, table]).fetchall()
        defaults = tuple((c, d) for c, _, _, d, _ in cols if d is not None and not _is_literal(d))
        tables[name] = Table(name, tuple(c for c, *_ in cols), tuple(t for _, t, *_ in cols),
                             frozenset(c for c, _, nullable, *_ in cols if not nullable), keys.get(name, ()), defaults,
                             tuple((c, d) for c, _, _, d, _ in cols if d is not None and _is_literal(d)))
        if comment:
            comments.append(f"COMMENT ON TABLE {_qualified(schema, table)} IS {literal(comment)}")
        comments += [f"COMMENT ON COLUMN {_qualified(schema, table)}.{ident(c)} IS {literal(text)}" for c, *_, text in cols if text]
    views = []
    for schema, view, sql, comment in conn.execute(
            "SELECT schema_name, view_name, sql, comment FROM duckdb_views() WHERE database_name = 'memory' AND NOT internal "
            "AND NOT temporary ORDER BY view_oid").fetchall():
        views.append(re.sub(r"^\s*CREATE\s+(OR\s+REPLACE\s+)?VIEW\b", "CREATE OR REPLACE VIEW", sql, count=1, flags=re.IGNORECASE))
        if comment:
            comments.append(f"COMMENT ON VIEW {_qualified(schema, view)} IS {literal(comment)}")
        # A view's column comments stay out: the lake refuses them ("Cannot comment on columns for entry ... - it is
        # not a table"); the data dictionary (warehouse/docs.py) reads them from the DDL files, not the warehouse.
    return Catalog(schemas, tables, tuple(views), tuple(comments))


def _literal_default(table: Table, column: str) -> str:
    default = dict(table.literal_defaults).get(column)
    return f" DEFAULT {default}" if default is not None else ""


def _is_literal(default: str) -> bool:
    return re.fullmatch(r"\s*(-?\d+(\.\d+)?|'[^']*'|true|false|NULL)(::\w+)?\s*", default, re.IGNORECASE) is not None


def ident(name: str) -> str:
    """A quoted DuckDB identifier (a database named after its file may hold any character)."""
    return '"' + name.replace('"', '""') + '"'


def _qualified(schema: str, table: str) -> str:
    return f"{ident(schema)}.{ident(table)}"


def lake_ddl(conn: duckdb.DuckDBPyConnection, catalog: Catalog | None = None) -> list[str]:
    """What makes the lake hold the DDL files' schemas, tables (without keys), columns, views and comments: only
    tables and columns it lacks are created, with their literal defaults (the others are filled in, module docstring)."""
    catalog = catalog or shadow_catalog()
    have = {(s, t, c) for s, t, c in conn.execute(
        "SELECT schema_name, table_name, column_name FROM duckdb_columns() WHERE database_name = ?", [LAKE]).fetchall()}
    tables = {(s, t) for s, t, _ in have}
    out = [f"CREATE SCHEMA IF NOT EXISTS {ident(s)}" for s in catalog.schemas]
    for table in catalog.tables.values():
        schema, name = table.name.split(".", 1)
        if (schema, name) not in tables:
            columns = ", ".join(f"{ident(c)} {t}{_literal_default(table, c)}{' NOT NULL' if c in table.not_null else ''}"
                                for c, t in zip(table.columns, table.types))
            out.append(f"CREATE TABLE IF NOT EXISTS {_qualified(schema, name)} ({columns})")
            continue
        out += [f"ALTER TABLE {_qualified(schema, name)} ADD COLUMN IF NOT EXISTS {ident(c)} {t}{_literal_default(table, c)}"
                for c, t in zip(table.columns, table.types) if (schema, name, c) not in have]
    keyed = [t.name for t in catalog.tables.values() if t.keys]
    out += [
        "CREATE TABLE IF NOT EXISTS ops.lake_writes (table_name VARCHAR NOT NULL, writes BIGINT NOT NULL)",
        "COMMENT ON TABLE ops.lake_writes IS 'DuckLake only: one row per table with a key, updated by every transaction that "
        "writes that table, so two writers of the same keys conflict and one is retried (warehouse/engine.py).'",
        f"INSERT INTO ops.lake_writes SELECT t, 0 FROM (VALUES {', '.join(f'({literal(n)})' for n in keyed)}) v(t) "
        "WHERE t NOT IN (SELECT table_name FROM ops.lake_writes)",
    ]
    return out + list(catalog.views) + list(catalog.comments)


_WRITE = re.compile(r"(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|MERGE\s+INTO|DELETE\s+FROM|UPDATE)\s+((?:\"[^\"]+\"|\w+)(?:\.(?:\"[^\"]+\"|\w+))*)",
                    re.IGNORECASE)


@lru_cache(maxsize=4096)
def keyed_target(query: str) -> str | None:
    """The warehouse table with a key (in the DDL files) that `query` writes, if it writes one."""
    masked = _mask(query)
    m = _WRITE.match(masked, len(masked) - len(masked.lstrip()))
    if not m:
        return None
    parts = [_unquote(p) for p in re.findall(r"\"[^\"]+\"|\w+", query[m.start(1):m.end(1)])]
    table = shadow_catalog().tables.get(".".join(parts)) if len(parts) == 2 else None
    return table.name if table is not None and table.keys else None


# --- INSERTs a lake cannot run, rewritten ------------------------------------------------------------------------

_INSERT = re.compile(
    r"INSERT\s+(?P<or>OR\s+(?P<verb>REPLACE|IGNORE)\s+)?INTO\s+(?P<table>(?:\"[^\"]+\"|\w+)(?:\.(?:\"[^\"]+\"|\w+))*)\s*",
    re.IGNORECASE)


def _mask(text: str) -> str:
    """`text` with comments and string literals blanked (same length), so searches see only code."""
    return re.sub(r"--[^\n]*|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", lambda m: " " * len(m.group()), text)


def _top_level(masked: str, pattern: str, start: int = 0) -> re.Match | None:
    depth = 0
    for i in range(start, len(masked)):
        ch = masked[i]
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and ch in "oO":
            m = re.compile(pattern, re.IGNORECASE).match(masked, i)
            if m and (i == 0 or not (masked[i - 1].isalnum() or masked[i - 1] == "_")):
                return m
    return None


def _unquote(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()


@lru_cache(maxsize=4096)
def rewrite(query: str) -> str:
    """`query` as a lake can run it: each INSERT into a warehouse table that needs its key or a non-literal default
    rewritten (MERGE INTO for upserts); everything else as written."""
    if not re.search(r"\bINSERT\b", _mask(query), re.IGNORECASE):
        return query
    statements = duckdb.extract_statements(query)
    if len(statements) == 1:
        return _rewrite_one(query)
    return "".join(_rewrite_one(s.query).rstrip().rstrip(";") + ";\n" for s in statements)


def _rewrite_one(query: str, catalog: Catalog | None = None) -> str:
    catalog = catalog or shadow_catalog()
    masked = _mask(query)
    m = _INSERT.search(masked)
    if not m or masked[:m.start()].strip():
        return query
    parts = [_unquote(p) for p in re.findall(r"\"[^\"]+\"|\w+", query[m.start("table"):m.end("table")])]
    table = catalog.tables.get(".".join(parts)) if len(parts) == 2 else None
    if table is None:
        return query  # a temp table, or another database's (the analyst copy): DuckDB runs it as written
    rest = m.end()
    columns: list[str] | None = None
    paren = re.match(r"\(([^()]*)\)\s*", masked[rest:])
    if paren and not re.match(r"\s*(SELECT|WITH|FROM|VALUES)\b", paren.group(1), re.IGNORECASE):
        columns = [_unquote(c.strip()) for c in re.findall(r"\"[^\"]+\"|\w+", query[rest + 1:rest + paren.end(1)])]
        rest += paren.end()
    if re.match(r"BY\s+(NAME|POSITION)\b", masked[rest:], re.IGNORECASE):
        by_name = re.match(r"BY\s+NAME\b", masked[rest:], re.IGNORECASE)
        if table.defaults or m.group("or"):
            raise NotImplementedError(f"INSERT ... BY {'NAME' if by_name else 'POSITION'} into {table.name} needs a column list on DuckLake")
        return query
    conflict = _top_level(masked, r"ON\s+CONFLICT\b", rest)
    body_end = conflict.start() if conflict else len(query)
    body = query[rest:body_end].strip().rstrip(";").strip()
    verb = (m.group("verb") or "").upper()
    columns = columns or list(table.columns)
    missing = [(c, d) for c, d in table.defaults if c not in columns]
    if not conflict and not verb and not missing:
        return query
    source = f"SELECT * FROM ({body}) AS given_rows({', '.join(ident(c) for c in columns)})"
    if missing:
        extra = ", ".join(f"{_default(table, c, d)} AS {ident(c)}" for c, d in missing)
        source = f"SELECT *, {extra} FROM ({source})"
        columns = columns + [c for c, _ in missing]
    col_list = ", ".join(ident(c) for c in columns)
    if not conflict and not verb:
        return f"INSERT INTO {table.name} ({col_list}) {source}"
    keys, action = list(table.keys), "UPDATE"
    update = ""
    if conflict:
        tail = query[conflict.end():].strip().rstrip(";")
        km = re.match(r"\(([^()]*)\)\s*", tail)
        if km:
            keys = [_unquote(k.strip()) for k in re.findall(r"\"[^\"]+\"|\w+", km.group(1))]
            tail = tail[km.end():]
        if re.match(r"DO\s+NOTHING\b", tail, re.IGNORECASE):
            action = "NOTHING"
        else:
            sm = re.match(r"DO\s+UPDATE\s+SET\s+", tail, re.IGNORECASE)
            if not sm or re.search(r"\bWHERE\b", _mask(tail), re.IGNORECASE):
                raise NotImplementedError(f"ON CONFLICT clause not handled on DuckLake: {tail[:80]}")
            update = _qualify(tail[sm.end():], table)
    elif verb == "IGNORE":
        action = "NOTHING"
    if not keys:
        raise NotImplementedError(f"{table.name} has no key to upsert on")
    if action == "UPDATE" and not update:
        update = ", ".join(f"{ident(c)} = excluded.{ident(c)}" for c in columns if c not in keys)
    bare = ident(table.name.split(".", 1)[1])
    on = " AND ".join(f"{bare}.{ident(k)} = excluded.{ident(k)}" for k in keys)
    matched = f" WHEN MATCHED THEN UPDATE SET {update}" if action == "UPDATE" and update else ""
    values = ", ".join(f"excluded.{ident(c)}" for c in columns)
    return (f"MERGE INTO {table.name} USING ({source}) AS excluded ON ({on}){matched}"
            f" WHEN NOT MATCHED THEN INSERT ({col_list}) VALUES ({values})")


def _default(table: Table, column: str, default: str) -> str:
    if re.match(r"\s*nextval\s*\(", default, re.IGNORECASE):
        # No sequences on a lake: one more than the largest id, numbered per row. Two writers at once could pick the
        # same id; the one sequence (ops.order_update_scans) is written by the order-updates sensor, one at a time.
        return f"(SELECT coalesce(max({ident(column)}), 0) FROM {table.name}) + row_number() OVER ()"
    return default


def _qualify(assignments: str, table: Table) -> str:
    """An ON CONFLICT ... SET list for MERGE: an unqualified column on the right of `=` means the existing row's,
    which MERGE only understands qualified (the source, `excluded`, has columns of the same names)."""
    bare = ident(table.name.split(".", 1)[1])
    columns = set(table.columns)
    tokens = duckdb.tokenize(assignments)
    ends = [start for start, _ in tokens[1:]] + [len(assignments)]
    out, depth, lhs, prev = [], 0, True, ""
    cursor = 0
    for (start, kind), end in zip(tokens, ends):
        word = assignments[start:end].rstrip()
        out.append(assignments[cursor:start])
        cursor = start + len(word)
        nxt = assignments[cursor:].lstrip()[:1]
        if word == "(":
            depth += 1
        elif word == ")":
            depth -= 1
        name = _unquote(word) if kind in (duckdb.token_type.identifier, duckdb.token_type.keyword) else None
        if depth == 0 and word == ",":
            lhs = True
        elif name in columns and prev != "." and nxt not in (".", "(") and not lhs:
            word = f"{bare}.{word}"
        elif lhs and name in columns:
            lhs = False
        out.append(word)
        prev = word
    out.append(assignments[cursor:])
    return "".join(out)

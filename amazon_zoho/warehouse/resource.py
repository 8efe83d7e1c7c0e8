"""WarehouseResource: short-lived DuckDB connections with the schema in place and UTC as the session zone."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb
from dagster_duckdb import DuckDBResource
from duckdb.sqltypes import TIMESTAMP_TZ
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_delay,
    wait_random_exponential,
)

from .. import clock
from ..amazon import marketplaces
from ..settings import DEFAULT_PII_RETENTION_DAYS, DEFAULT_PII_SALT
from . import engine


@cache
def sql(package_file: str, name: str) -> str:
    """Reads `name` from the `sql/` folder beside `package_file` (SQL lives next to the asset running it)."""
    return (Path(package_file).parent / "sql" / name).read_text()


# The DDL, in two places: the warehouse's own, one file per schema (sql/00_schemas.sql, 10_raw.sql, 20_core.sql, ...), and
# one file per mart beside the mart assets (marts/sql/<name>.sql). The marts are found by path, not by import: the
# marts import the warehouse.
WAREHOUSE_SQL = Path(__file__).parent / "sql"
MARTS_SQL = Path(__file__).parents[1] / "marts" / "sql"


def schema_ddl() -> tuple[tuple[str, str], ...]:
    """(file, DDL) in the order it is applied: the warehouse's files in name order (schemas, raw, core, ops, pii), then
    each mart's, after the marts it reads (`marts.<name>` in its SQL) and otherwise in name order.

    A mart file holds its DDL (CREATE, COMMENT ON) and, for a table, its build for one partition window: the
    statements that use parameters ($start, $end) are the build, which the mart's asset runs; the others are the DDL.
    """
    return _schema_ddl(WAREHOUSE_SQL, MARTS_SQL)


engine.DDL_SOURCE[:] = [schema_ddl]


@cache
def _schema_ddl(warehouse_dir: Path, marts_dir: Path) -> tuple[tuple[str, str], ...]:
    own = [(f"warehouse/sql/{p.name}", p.read_text()) for p in sorted(warehouse_dir.glob("[0-9][0-9]_*.sql"))]
    marts = {p.stem: ddl_and_build(p.read_text())[0] for p in marts_dir.glob("*.sql")}
    # One commit per mart: its COMMENTs cost one WAL flush, not one each.
    return (*own, *((f"marts/sql/{name}.sql", f"BEGIN TRANSACTION;\n{marts[name]}\nCOMMIT;\n") for name in dependency_order(marts)))


def dependency_order(marts: dict[str, str]) -> list[str]:
    """Mart names, each after the marts its SQL reads, otherwise in name order (a view is bound when it is created)."""
    reads = {name: _marts_read(text) & set(marts) - {name} for name, text in marts.items()}
    order: list[str] = []
    while len(order) < len(marts):
        ready = sorted(n for n in marts if n not in order and reads[n] <= set(order))
        if not ready:
            raise ValueError(f"marts reading each other in a circle: {sorted(set(marts) - set(order))}")
        order.append(ready[0])
    return order


def _marts_read(text: str) -> set[str]:
    """The names x of `marts.x` in `text`, outside comments and string literals."""
    tokens = duckdb.tokenize(text)
    ends = [start for start, _ in tokens[1:]] + [len(text)]
    words = [(text[start:end].strip().strip('"').lower(), kind) for (start, kind), end in zip(tokens, ends)]
    identifier = duckdb.token_type.identifier
    return {
        c[0] for a, b, c in zip(words, words[1:], words[2:])
        if a == ("marts", identifier) and b[0] == "." and c[1] == identifier
    }


@cache
def ddl_and_build(text: str) -> tuple[str, str]:
    """A mart file split in two: its statements without parameters (the DDL) and those with (the window build)."""
    statements = duckdb.extract_statements(text)

    def script(queries) -> str:
        return "".join(q.strip() + ("" if q.rstrip().endswith(";") else "\n;") + "\n" for q in queries)

    return (
        script(s.query for s in statements if not s.named_parameters),
        script(s.query for s in statements if s.named_parameters),
    )


def schema_digest(marketplace_table: Path = marketplaces.TABLE) -> str:
    """The DDL and the marketplace table core.marketplaces is seeded from: a new row re-seeds every warehouse."""
    text = "".join(ddl for _, ddl in schema_ddl()) + _read(marketplace_table)
    return hashlib.sha256(text.encode()).hexdigest()


@cache
def _read(path: Path) -> str:
    return Path(path).read_text(encoding="utf-8")


def seed_marketplaces(conn: duckdb.DuckDBPyConnection, marketplace_table: Path = marketplaces.TABLE) -> None:
    """core.marketplaces gets a row per row of amazon/marketplaces.csv, the one place for marketplace facts.

    Rows are replaced, never deleted: an order of a marketplace dropped from the table keeps its reference row.
    """
    columns = [c for (c,) in conn.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'core' AND table_name = 'marketplaces' "
        "AND database_name = current_database() ORDER BY column_index").fetchall()]
    rows = [[getattr(m, c) for c in columns] for m in marketplaces.load(marketplace_table)]
    conn.executemany(
        f"INSERT OR REPLACE INTO core.marketplaces ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})", rows
    )


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Applies the DDL files when the warehouse was built from other ones (or never).

    The DDL is idempotent, but its ~300 COMMENT ON statements cost a few hundred milliseconds and a
    catalog write on every connection; the digest of the files (and of the marketplace table) in
    ops.schema_version skips that.
    """
    digest = schema_digest()
    try:
        if conn.execute("SELECT digest FROM ops.schema_version").fetchone() == (digest,):
            return
    except duckdb.CatalogException:
        pass
    # A lake gets the same tables, views and comments, made from what the DDL files define (warehouse/engine.py), in
    # one transaction that is replayed when another writer changed the lake's catalog meanwhile.
    lake = isinstance(conn, engine.LakeConnection)
    if lake:
        conn.begin()
    for ddl in engine.lake_ddl(conn.raw) if lake else (ddl for _, ddl in schema_ddl()):
        conn.execute(ddl)
    seed_marketplaces(conn)
    conn.execute("CREATE TABLE IF NOT EXISTS ops.schema_version (digest VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)")
    conn.execute("DELETE FROM ops.schema_version")
    conn.execute("INSERT INTO ops.schema_version VALUES (?, clock_now())", [digest])
    if lake:
        conn.commit()


def use_clock(conn: duckdb.DuckDBPyConnection) -> None:
    """`clock_now()` in our SQL reads the project's one clock (DuckDB's own now() would read the machine's), so a
    pinned test or demo stamps, windows and retains rows at the instant it pinned.

    Without side effects DuckDB calls it once per statement, not once per row (measured: 1 call for a
    200,000-row SELECT, against 200,000 with side effects): one instant for every row a statement writes, close to
    DuckDB's own now(), which its documentation gives as the start of the current transaction.
    """
    try:
        conn.create_function("clock_now", clock.now, [], TIMESTAMP_TZ, side_effects=False)
    except duckdb.CatalogException as exc:
        # A lake connection is a cursor of one database per process (engine.connect_lake), and a Python function is
        # the database's: the first cursor registered this same clock_now.
        if "already exists" not in str(exc):
            raise


def run_sql(conn: duckdb.DuckDBPyConnection, package_file: str, name: str, params: dict | None = None) -> None:
    """Runs every statement of a .sql file, giving each only the named parameters it uses (DuckDB
    binds parameters to one statement at a time and rejects extras)."""
    execute_script(conn, sql(package_file, name), params)


def execute_script(conn: duckdb.DuckDBPyConnection, text: str, params: dict | None = None) -> None:
    params = params or {}
    statements = conn.extract_statements(text)
    if isinstance(conn, engine.LakeConnection):
        # On a lake a file that writes a keyed table runs as one transaction (a DELETE and the INSERT after it must
        # not interleave with another writer's): engine.LakeConnection.script.
        conn.script([(s.query, {k: v for k, v in params.items() if k in s.named_parameters} or None) for s in statements])
        return
    for statement in statements:
        names = statement.named_parameters
        conn.execute(statement.query, {k: v for k, v in params.items() if k in names} if names else None)


class WarehouseResource(DuckDBResource):
    """The DuckDB warehouse file that raw, core, marts, ops and pii live in.

    Dagster's DuckDBResource (`database`, `connection_config` for DuckDB settings such as memory_limit or threads,
    and `get_connection()`), with what our runs need on top: read-only connections for sensors, a lock wait as
    long as another run may hold the file (DuckDBResource retries ten times, about 100 s, without jitter), the
    connection closed even when the body raises, UTC as the session zone, clock_now(), and the schema in place.
    """

    database: str = "data/amazon_zoho.duckdb"
    # Raw report files are archived here forever: Amazon deletes them after 90 days.
    archive_dir: str = "data/archive"

    # DuckDB lets one process hold the file; another run's writer holds it for seconds at a time, so a
    # connection waits for the lock (two backfills launched together both finish) instead of failing.
    lock_timeout_seconds: float = 900.0
    # Buyer keys in this warehouse are sha256(salt:email): every writer of a key (amazon/pii_split.py, the
    # Zoho contact keys) takes the salt from here, so keys made by different assets always match.
    pii_salt: str = DEFAULT_PII_SALT
    # Days after delivery that pii.order_contacts keeps a buyer's details (ops/pii_retention.py).
    pii_retention_days: int = DEFAULT_PII_RETENTION_DAYS
    # The analysts' read-only copy (ops/analyst_copy.py); empty means analyst.duckdb beside the warehouse.
    analyst_copy: str = ""
    # "duckdb": the file at `database`; "ducklake": a DuckLake whose catalog is the PostgreSQL database of the libpq
    # DSN `ducklake_catalog` (no password in it: `ducklake_catalog_password`, from the environment) and whose
    # Parquet files live under `ducklake_data_path` (s3://bucket/prefix/ or a directory). See warehouse/engine.py.
    engine: str = "duckdb"
    ducklake_catalog: str = ""
    ducklake_catalog_password: str = ""
    ducklake_data_path: str = ""
    s3_endpoint: str = ""
    s3_region: str = "us-east-1"
    s3_key_id: str = ""
    s3_secret: str = ""
    s3_use_ssl: bool = True
    # How long a lake statement (or transaction) that lost a commit race to another writer is retried.
    conflict_retry_seconds: float = 300.0

    @property
    def path(self) -> str:
        return self.database

    @property
    def is_lake(self) -> bool:
        return self.engine == "ducklake"

    def lake(self) -> engine.LakeConfig:
        return engine.LakeConfig(
            catalog=self.ducklake_catalog, data_path=self.ducklake_data_path, catalog_password=self.ducklake_catalog_password,
            s3_endpoint=self.s3_endpoint, s3_region=self.s3_region, s3_key_id=self.s3_key_id, s3_secret=self.s3_secret,
            s3_use_ssl=self.s3_use_ssl,
        )

    @property
    def analyst_copy_path(self) -> Path:
        return Path(self.analyst_copy or Path(self.database).with_name("analyst.duckdb"))

    def waiting_at_most(self, seconds: float) -> WarehouseResource:
        """The same warehouse, with connections that give up on the lock after `seconds` (sensors, not runs)."""
        return self.model_copy(update={"lock_timeout_seconds": seconds})

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """DuckDBResource's API, for assets written against it: the same as connect()."""
        with self.connect() as conn:
            yield conn

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
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
        if self.is_lake:
            # Many processes write a lake at once: no file lock to wait for; commit races are retried per statement.
            return engine.LakeConnection(engine.connect_lake(self.lake(), read_only, dict(self.connection_config)),
                                         retry_seconds=self.conflict_retry_seconds)  # type: ignore[return-value]
        for attempt in Retrying(
            retry=retry_if_exception(_is_lock_conflict),
            wait=wait_random_exponential(multiplier=0.2, max=5),
            stop=stop_after_delay(self.lock_timeout_seconds),
            reraise=True,
        ):
            with attempt:
                return attach_file(self.database, read_only, dict(self.connection_config))
        raise AssertionError("unreachable")


# Rows per row group of the tables in the warehouse file. DuckDB's default is 122,880, and a checkpoint compresses the
# row group a commit appended to in memory outside its memory_limit: at 122,880 JSON payloads of raw.order_versions
# (~1.5 KB each) that came to 150-270 MB over the process at the commits of a year's order reports, each time the
# table's last row group was nearly full (a 90-day warehouse hardly fills its first one), and it made the 365-day
# client peak (issue #17). A timeline of the 365-day run (RSS every 10 ms, each sample with the line of our code
# running): every part's commit of a report load stayed within 10 MB of the RSS before it at 16,384 rows, against
# jumps of +150 to +270 MB at 122,880. DuckDB sets the size per attached file, not per connection or table (ATTACH
# option ROW_GROUP_SIZE, a multiple of its 2,048-row vector: https://duckdb.org/docs/1.5/sql/statements/attach); each
# row group records its own row count, so files written either way read alike. In a warehouse written before, rows a
# commit appends go to new row groups of this size; the full-size ones stay as they are.
ROW_GROUP_SIZE = 16_384


def attach_file(path: str, read_only: bool, config: dict) -> duckdb.DuckDBPyConnection:
    """A connection whose current database is the DuckDB file at `path`, attached with ROW_GROUP_SIZE.

    Like duckdb.connect(path), connections of one process to one file share one database instance: a named in-memory
    database (DuckDB's client keeps one instance per name while a connection to it is open) with the file attached
    under the name duckdb.connect(path) would give it (_alias), so current_database() reads as it did. The file's lock
    works as before: ATTACH raises the same IOException ("Could not set lock") while another process writes it.
    Closing the last connection detaches the file, checkpointing it, as closing duckdb.connect(path) did."""
    resolved = str(Path(path).resolve())
    # Spills where duckdb.connect(path) put them when none is configured (an in-memory instance's default is ".tmp" in
    # the working directory).
    config = {"temp_directory": resolved + ".tmp", **config}
    instance = duckdb.connect(":memory:warehouse-" + hashlib.sha256(resolved.encode()).hexdigest()[:16], config=config)
    try:
        alias = _alias(path)
        mode = ", READ_ONLY" if read_only else ""
        attached_as = "SELECT path, readonly FROM duckdb_databases() WHERE database_name = ?"
        if not instance.execute(attached_as, [alias]).fetchall():
            # DuckDB 1.5 binds no parameter in ATTACH: the path and the name are literals, quotes doubled.
            instance.execute(f"ATTACH IF NOT EXISTS {engine.literal(resolved)} AS {engine.ident(alias)} (ROW_GROUP_SIZE {ROW_GROUP_SIZE}{mode})")
        # IF NOT EXISTS looks at the name only: the database under it must be this file, opened the way asked. A file
        # this process already holds the other way is refused, as duckdb.connect(path) refused a second configuration.
        [(attached, attached_read_only)] = instance.execute(attached_as, [alias]).fetchall()
        if attached is None or Path(attached).resolve() != Path(resolved):
            raise duckdb.ConnectionException(f"{path}: the name {alias!r} is taken by another database ({attached or 'in memory'})")
        if attached_read_only != read_only:
            held, wanted = ("read-only", "read-write") if attached_read_only else ("read-write", "read-only")
            raise duckdb.ConnectionException(f"{path} is open {held} in this process; a {wanted} connection cannot share it")
        instance.execute(f"USE {engine.ident(alias)}")
        return instance
    except BaseException:
        instance.close()
        raise


# Names DuckDB keeps for itself (the in-memory instance's own database among them); duckdb.connect adds "_db" to these.
_RESERVED = {"memory", "temp", "main", "system", "information_schema", "pg_catalog"}


def _alias(path: str) -> str:
    """The name duckdb.connect(path) gives the file's database: its name up to the first dot, "_db" after a reserved one
    (and after "memory", which duckdb.connect keeps but is this instance's own database here)."""
    name = Path(path).name.split(".")[0] or Path(path).stem
    return f"{name}_db" if name.lower() in _RESERVED else name


def _is_lock_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "Could not set lock" in str(exc)

"""A read-only copy of the warehouse for analysts, rebuilt after each run and swapped in atomically.

DuckDB lets one process open a file for writing, and while an analyst's session holds the warehouse
file the pipeline cannot open it (and the other way round). So analysts never open the warehouse: they
open the analyst copy (WarehouseResource.analyst_copy_path: data/analyst.duckdb beside the warehouse,
or AMAZON_ZOHO_ANALYST_COPY). This asset writes a new copy into a temporary file in the same directory and
os.replace()s it over the old one: a session already open keeps reading the old file (POSIX keeps an open
file alive after its name moves on) and sees the new data when it reconnects. Nothing waits for anybody.

The copy holds raw, core, marts and ops, with their comments and views, without their keys (_drop_keys); never the
pii schema, and none of the ops columns that can quote a buyer's details (Zoho payloads and error texts, raw text of
unparseable records).
"""

import fcntl
import glob
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from .. import clock
from ..partitions import daily_writer
from ..settings import size_bytes
from ..warehouse import WarehouseResource, resource
from ..warehouse.engine import ident, literal

SCHEMAS = ("raw", "core", "marts", "ops")
# The copy is written in DuckDB's storage format v1.0.0 (storage version 64), whatever DuckDB the pipeline runs:
# DuckDB reads older formats but not newer ones, and the tools analysts open it with lag behind (the duckdb-cli on
# PyPI, 1.5.x, reads 64-68 and refuses the 69 of DuckDB 2.0; BI tools ship 1.x drivers). 64 is the format of DuckDB
# 0.10 and 1.0 (https://duckdb.org/docs/stable/internals/storage); the format alone was not enough for DuckDB 1.0.0 to
# open the copy (_drop_keys), so a test opens it with that version itself.
STORAGE_VERSION = "v1.0.0"
# ops columns that can carry a buyer's name, email or address outside the pii schema, or an unsalted hash of one
# (zoho_sync_state.field_hashes: the md5 of each payload field, Email and names included, against which a reader could
# test guesses): emptied in the copy. field_hashes was also the copy's largest column: 300 MB of resident memory to
# copy at 14 days x 10,000 orders a day (issue #17).
REDACTED_COLUMNS = ("payload", "error_details", "error_message", "raw_text", "field_hashes")


# One row saying how fresh the copy is, for the analyst who wonders.
INFO = """
CREATE TABLE analyst_copy.ops.analyst_copy_info AS
SELECT clock_now() AS refreshed_at, $run_id AS run_id,
       (SELECT max(purchase_date) FROM analyst_copy.core.orders) AS orders_through,
       (SELECT max(period_end) FROM analyst_copy.core.settlements) AS settlements_through
"""
INFO_COMMENT = (
    "COMMENT ON TABLE analyst_copy.ops.analyst_copy_info IS 'When this analyst copy was made (refreshed_at, by Dagster run "
    "run_id), the latest purchase day and settlement period it holds. It is replaced after every run.'"
)


@contextmanager
def _refreshing(target: Path) -> Iterator[None]:
    """One refresh of `target` at a time. The DuckDB file's writer lock did that; a DuckLake has no such lock (runs
    write it at once), so the refresh locks the copy's folder (flock on the directory: no file left behind), which the
    OS releases if the process dies."""
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)  # closing releases the lock


COPY_ROWS = 50_000
# The copy streams one slice of COPY_ROWS at a time, so DuckDB's buffer pool past this only caches blocks the copy will
# not read again. Copying the warehouse of 14 days x 10,000 orders a day with the default 512MB peaked at 1,060 MB of
# resident memory outside Dagster, the highest step of the run; at 256MB, 718-856 MB in the same 21 s, and 873 MB
# inside the whole run against 1,055 before (BENCHMARKS.md, issue #17).
COPY_MEMORY_LIMIT = "256MB"
# What stayed above that limit was the copy's checkpoints: DuckDB compresses a row group's columns in memory outside its
# buffer pool, one row group per thread at once, and a row group of raw.order_versions is 122,880 JSON payloads (~190 MB
# of text at 1.5 KB each). Copying a year of it (378,916 versions) peaked at 860-990 MB. Smaller row groups are a setting
# of the attached file only (DuckDB's ATTACH option ROW_GROUP_SIZE, a multiple of its vector of 2,048); every reader
# reads them, each row group says how many rows it holds. Copying the 365-day warehouse outside Dagster, five runs each
# at DuckDB's threads (2 here): 30,720 rows peaked at 517-697 MB, 8,192 at 490-587 MB, in the same time, and the file
# was smaller (395 against 423 MB) with the same query times.
#
# The copy does not lower DuckDB's threads: `SET threads` is the database instance's, shared by every connection of the
# process, and DuckDB joins its worker threads to apply it. With another connection's query running (two backfills in
# one process on DuckLake), that join never returned and CI hung until its time ran out.
COPY_ROW_GROUP_SIZE = 8_192


def refresh(warehouse: WarehouseResource, target: Path, run_id: str = "", log=None) -> dict:
    """Rebuilds the analyst copy at `target` from the warehouse; returns rows per table."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with _refreshing(target), warehouse.connect() as conn:
        # The warehouse connection is the one writer's lock (DuckDB lets one process open the file for writing), so
        # no other refresh is running now: every temp copy left beside the target is a failed or killed refresh's.
        removed = remove_temp_copies(target)
        main = conn.execute("SELECT current_database()").fetchone()[0]
        # DuckDB 1.5 binds no parameter in ATTACH, so the path is a string literal with its quotes doubled (SQL's own
        # escape): a folder named "it's" must work like any other.
        conn.execute(f"ATTACH {literal(str(tmp))} AS analyst_copy (STORAGE_VERSION '{STORAGE_VERSION}', ROW_GROUP_SIZE {COPY_ROW_GROUP_SIZE})")
        lowered = _lower_memory_limit(conn, warehouse.connection_config.get("memory_limit"))
        try:
            # The same DDL as the warehouse (types, keys, comments, views, marts), minus the pii schema's file, in the new file.
            conn.execute("USE analyst_copy")
            for name, ddl in resource.schema_ddl():
                if not (name.startswith("warehouse/") and "pii" in name):
                    conn.execute(ddl)
            conn.execute("DROP SCHEMA IF EXISTS pii CASCADE")
            _drop_keys(conn)
            conn.execute(f"USE {ident(main)}")
            rows = _copy_tables(conn, main)
            conn.execute(INFO, {"run_id": run_id})
            conn.execute(INFO_COMMENT)
            conn.execute("CHECKPOINT analyst_copy")
        except BaseException:
            conn.execute(f"USE {ident(main)}")
            conn.execute("DETACH DATABASE IF EXISTS analyst_copy")
            _remove(tmp)  # a failed refresh leaves nothing of up to the warehouse's size behind
            raise
        finally:
            # The settings are the database instance's, which another connection of this process may share.
            for statement in lowered:
                conn.execute(statement)
        conn.execute(f"USE {ident(main)}")
        conn.execute("DETACH DATABASE IF EXISTS analyst_copy")
        # An analyst who opened the copy read-write may have left a WAL: it belongs to the old file.
        Path(f"{target}.wal").unlink(missing_ok=True)
        os.replace(tmp, target)
    if removed and log is not None:
        log.warning(f"removed {len(removed)} temp files of earlier refreshes that failed or were killed: {[p.name for p in removed]}")
    return rows


def _lower_memory_limit(conn, configured: str | None) -> list[str]:
    """Sets COPY_MEMORY_LIMIT when the warehouse's own limit is higher; returns the statements that put it back."""
    if configured is not None and size_bytes(configured) <= size_bytes(COPY_MEMORY_LIMIT):
        return []
    conn.execute(f"SET memory_limit = '{COPY_MEMORY_LIMIT}'")
    return [f"SET memory_limit = '{configured}'" if configured else "RESET memory_limit"]


def _drop_keys(conn) -> None:
    """Rebuilds every table of the copy that has a PRIMARY KEY or UNIQUE constraint without it, keeping its column types,
    NOT NULLs and comments. An analyst's read-only copy enforces no key, and a key costs twice. (1) DuckDB 1.0 cannot
    open a file whose tables have one, even one written in its storage format: "Serialization Error: Failed to
    deserialize: expected end of object, but found field id: 103" (DuckDB 1.5.5 writing STORAGE_VERSION 'v1.0.0', read by
    the duckdb 1.0.0 wheel from PyPI; a table without keys opens). (2) Each insert grows the key's index in memory:
    copying a year of raw.order_versions peaked ~190 MB higher with its key than without (issue #17). The warehouse keeps
    its keys; each table's comment in the copy names them."""
    keyed = conn.execute(
        "SELECT schema_name, table_name, list(constraint_type || ' (' || array_to_string(constraint_column_names, ', ') || ')' "
        "ORDER BY constraint_index) FROM duckdb_constraints() WHERE database_name = 'analyst_copy' "
        "AND constraint_type IN ('PRIMARY KEY', 'UNIQUE') GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    for schema, table, keys in keyed:
        name = f"analyst_copy.{ident(schema)}.{ident(table)}"
        [(comment,)] = conn.execute("SELECT comment FROM duckdb_tables() WHERE database_name = 'analyst_copy' AND schema_name = ? "
                                    "AND table_name = ?", [schema, table]).fetchall()
        columns = conn.execute("SELECT column_name, is_nullable, comment FROM duckdb_columns() WHERE database_name = 'analyst_copy' "
                               "AND schema_name = ? AND table_name = ? ORDER BY column_index", [schema, table]).fetchall()
        # CREATE TABLE AS keeps the types and none of the constraints; the rows the DDL seeds go (every row is copied).
        conn.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name} LIMIT 0")
        for column, nullable, column_comment in columns:
            if not nullable:
                conn.execute(f"ALTER TABLE {name} ALTER COLUMN {ident(column)} SET NOT NULL")
            if column_comment:
                conn.execute(f"COMMENT ON COLUMN {name}.{ident(column)} IS {literal(column_comment)}")
        # The keys stay documented: an analyst reads what is unique in the table's comment.
        said = f"{comment.rstrip()} " if comment else ""
        conn.execute(f"COMMENT ON TABLE {name} IS {literal(said + 'Keys in the warehouse: ' + '; '.join(keys) + '.')}")


def remove_temp_copies(target: Path) -> list[Path]:
    """Deletes the temp copies (and their WALs) of refreshes of `target`; call only while holding the warehouse."""
    found = sorted(target.parent.glob(f".{glob.escape(target.name)}.*.tmp*"))
    for path in found:
        path.unlink(missing_ok=True)
    return found


def _remove(tmp: Path) -> None:
    for path in (tmp, Path(f"{tmp}.wal")):
        path.unlink(missing_ok=True)


def _snapshot(conn, main: str) -> int | None:
    """On a DuckLake, its latest committed snapshot: other runs write while the copy is made (no writer's lock), so every
    table is read as of this one snapshot (DuckLake time travel, https://ducklake.select/docs/stable/duckdb/usage/
    time_travel), and the copy holds one state of the warehouse as it does from the DuckDB file. None for a DuckDB file."""
    [(kind,)] = conn.execute("SELECT type FROM duckdb_databases() WHERE database_name = ?", [main]).fetchall()
    if kind != "ducklake":
        return None
    return conn.execute("SELECT max(snapshot_id) FROM ducklake_snapshots(?)", [main]).fetchone()[0]


def _copy_tables(conn, main: str) -> dict[str, int]:
    tables = conn.execute(
        "SELECT t.schema_name, t.table_name, list(c.column_name ORDER BY c.column_index), c2.table_name IS NOT NULL "
        "FROM duckdb_tables() t JOIN duckdb_columns() c USING (database_name, schema_name, table_name) "
        "LEFT JOIN (SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'analyst_copy') c2 USING (schema_name, table_name) "
        "WHERE t.database_name = ? AND t.schema_name IN ? AND NOT t.temporary GROUP BY ALL ORDER BY ALL",
        [main, list(SCHEMAS)],
    ).fetchall()
    rows, snapshot = {}, _snapshot(conn, main)
    # Every table of the copy comes from one state of the warehouse: from the DuckDB file the refresh holds its writer's
    # lock (refresh), so nothing writes meanwhile; from a lake every table is read at one `snapshot` (_snapshot). The
    # copy is seen only once whole (os.replace). A table is copied COPY_ROWS rows per
    # transaction: DuckDB keeps an uncommitted insert into a table with a key in memory, and a year of
    # raw.order_versions (365,000 orders) did not fit its memory_limit of 512 MB in one (issue #17).
    for schema, table, columns, exists in tables:
        select = ", ".join(
            f'NULL AS "{c}"' if schema == "ops" and c in REDACTED_COLUMNS else f'"{c}"' for c in columns
        )
        source, dest = f'{ident(main)}."{schema}"."{table}"', f'analyst_copy."{schema}"."{table}"'
        if snapshot is not None:
            source += f" AT (VERSION => {int(snapshot)})"
        conn.begin()
        if exists:
            conn.execute(f"DELETE FROM {dest}")  # a no-op unless the DDL seeds rows (core.marketplaces is copied like the rest)
        else:
            conn.execute(f"CREATE TABLE {dest} AS SELECT {select} FROM {source} LIMIT 0")
        conn.commit()
        [(last,)] = conn.execute(f"SELECT coalesce(max(rowid), -1) FROM {source}").fetchall()
        for first in range(0, last + 1, COPY_ROWS):
            conn.begin()
            conn.execute(f"INSERT INTO {dest} BY NAME SELECT {select} FROM {source} WHERE rowid >= ? AND rowid < ?", [first, first + COPY_ROWS])
            conn.commit()
        rows[f"{schema}.{table}"] = conn.execute(f"SELECT count(*) FROM {dest}").fetchone()[0]
    return rows


def analyst_copy_asset(partitions: dg.PartitionsDefinition, copied: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    """After every asset whose tables it copies (`copied`: raw, core, marts, and the Zoho push, whose sync rows are in
    ops), so the copy holds the whole run's result, the current run's Zoho sync included."""
    return dg.asset(
        key=["ops", "analyst_copy"],
        group_name="ops",
        deps=list(copied),
        **daily_writer(partitions),
        kinds={"duckdb"},
        owners=["team:data"],
    )(analyst_copy)


def analyst_copy(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Read-only copy of raw, core, marts and ops for analysts (no PII), replaced atomically after each run."""
    target = warehouse.analyst_copy_path
    rows = refresh(warehouse, target, context.run_id, log=context.log)
    table = "| table | rows |\n|---|---|\n" + "\n".join(f"| {name} | {n} |" for name, n in rows.items() if name.split(".")[0] in ("core", "marts"))
    context.log.info(f"analyst copy refreshed at {target}: duckdb -readonly {target}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "connect": f"duckdb -readonly {target}",
            "refreshed_at": clock.now().isoformat(timespec="seconds"),
            "size_mb": round(target.stat().st_size / 1e6, 1),
            "dagster/row_count": sum(rows.values()),
            "tables": dg.MetadataValue.md(table),
        }
    )

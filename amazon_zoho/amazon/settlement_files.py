"""Settlement flat files: archive what Amazon sent, then load its rows by header name.

DuckDB's CSV reader does the parsing; rows with the wrong number of cells land in its rejects table
with their line number and go to quarantine. Columns are matched by name, so a reordered or extended
header still loads; a header missing the columns we key on rejects the whole file, with the reason.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import duckdb

from . import flat_files
from .reports import decode
from .steps import QUARANTINE_SETTLEMENT_REJECTS

COLUMNS = [
    "settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount", "currency",
    "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id", "marketplace-name",
    "amount-type", "amount-description", "amount", "fulfillment-id", "posted-date", "posted-date-time",
    "order-item-code", "merchant-order-item-id", "merchant-adjustment-item-id", "sku", "quantity-purchased",
    "promotion-id",
]
REQUIRED = ("settlement-id", "amount", "transaction-type", "amount-type")


def archive(archive_dir: str, marketplace_id: str, report_id: str, raw: bytes) -> tuple[Path, str]:
    """Writes the file exactly as downloaded (gzip stays gzip); returns (path, sha256)."""
    suffix = ".tsv.gz" if raw[:2] == b"\x1f\x8b" else ".tsv"
    path = Path(archive_dir) / "settlements" / marketplace_id / f"{report_id}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(raw)
    tmp.replace(path)  # atomic: a crash never leaves half an archive behind
    return path, hashlib.sha256(raw).hexdigest()


def read_archive(path: str | Path, charset: str | None) -> str:
    raw = Path(path).read_bytes()
    return decode(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw, charset)


def load_rows(conn: duckdb.DuckDBPyConnection, report_id: str, text: str, file_name: str, partition_date, run_id: str) -> tuple[int, int]:
    """Replaces raw.settlement_rows of `report_id` with the file's rows; returns (loaded, quarantined)."""
    conn.execute("DELETE FROM raw.settlement_rows WHERE report_id = ?", [report_id])
    conn.execute("DELETE FROM ops.quarantine WHERE source = 'settlement_file' AND file_name = ?", [file_name])
    lines = flat_files.split_lines(text)
    header = flat_files.header_of(lines)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        conn.execute(
            "INSERT INTO ops.quarantine (source, partition_date, record_key, file_name, line_number, reason, raw_text, run_id)"
            " VALUES ('settlement_file', ?, ?, ?, 1, ?, ?, ?)",
            [partition_date, report_id, file_name, f"header lacks required columns {missing}", lines[0] if lines else "", run_id],
        )
        return 0, 1
    flat_files.read_tsv(conn, lines, "settlement_file", "settlement_rejects")
    present = [c for c in COLUMNS if c in header]
    select = ", ".join(f'"{c}"' if c in present else f'NULL AS "{c}"' for c in COLUMNS)
    conn.execute(
        f"INSERT INTO raw.settlement_rows SELECT ?, CAST(__line AS INTEGER), {select} FROM settlement_file",
        [report_id],
    )
    QUARANTINE_SETTLEMENT_REJECTS.run(
        conn, {"partition_date": partition_date, "report_id": report_id, "file_name": file_name, "run_id": run_id, "columns": len(header)}
    )
    loaded = conn.execute("SELECT count(*) FROM raw.settlement_rows WHERE report_id = ?", [report_id]).fetchone()[0]
    # DuckDB writes one reject per missing or extra cell; a line is one rejected row.
    rejected = conn.execute("SELECT count(DISTINCT csv_line) FROM settlement_rejects").fetchone()[0]
    conn.execute("DROP TABLE IF EXISTS settlement_file")
    return loaded, rejected

"""Settlement flat files: archive what Amazon sent, then load its rows by header name.

DuckDB's CSV reader does the parsing; rows with the wrong number of cells land in its rejects table
with their line number and go to quarantine. Columns are matched by name, so a reordered or extended
header still loads; a header missing the columns we key on rejects the whole file, with the reason.
Amazon (and spreadsheet re-saves) cut the trailing empty cells of a row: the summary row, whose cells after
`currency` are all empty, is padded back to the header's width when it still holds every summary column; any
other short row, and any long one, is quarantined (a cut there may as well be a lost tab mid-row).
Cut summary rows in the wild: the sample file in OpenAccountants' amazon-seller-integration guide
(https://openaccountants.com/skills/amazon-seller-integration, "Section 10 - Sample Data").
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from . import flat_files
from .reports import Decoded, decode_report
from .steps import QUARANTINE_SETTLEMENT_REJECTS

COLUMNS = [
    "settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount", "currency",
    "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id", "marketplace-name",
    "amount-type", "amount-description", "amount", "fulfillment-id", "posted-date", "posted-date-time",
    "order-item-code", "merchant-order-item-id", "merchant-adjustment-item-id", "sku", "quantity-purchased",
    "promotion-id",
]
REQUIRED = ("settlement-id", "amount", "transaction-type", "amount-type")
# The one row that says what the deposit is (API-FACTS §4): these cells filled, every other one empty.
SUMMARY = ("settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount", "currency")


@dataclass
class LoadNotes:
    """What load_rows did beyond loading: `rejected` is why the whole file was refused (None when it loaded),
    `padded` the line numbers of summary rows given back their cut trailing cells."""

    rejected: str | None = None
    padded: list[int] | None = None


def archive(archive_dir: str, marketplace_id: str, report_id: str, raw: bytes) -> tuple[Path, str]:
    """Writes the file exactly as downloaded (gzip stays gzip); returns (path, sha256)."""
    suffix = ".tsv.gz" if raw[:2] == b"\x1f\x8b" else ".tsv"
    path = Path(archive_dir) / "settlements" / marketplace_id / f"{report_id}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(raw)
    tmp.replace(path)  # atomic: a crash never leaves half an archive behind
    return path, hashlib.sha256(raw).hexdigest()


def read_archive(path: str | Path, charset: str | None, *, marketplace_id: str | None = None) -> str:
    return decode_archive(path, charset, marketplace_id=marketplace_id).text


def decode_archive(path: str | Path, charset: str | None, *, marketplace_id: str | None = None) -> Decoded:
    """The archived file's text and how it was read (settlement downloads declare no charset, so an
    undeclared non-UTF-8 file is read in the marketplace's likely encoding, with a note)."""
    raw = Path(path).read_bytes()
    return decode_report(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw, charset, marketplace_id)


def pad_summary_rows(lines: list[str], header: list[str]) -> tuple[list[str], list[int]]:
    """Lines with cut summary rows padded to the header's width, and the (1-based) line numbers padded."""
    if not all(c in header for c in SUMMARY):
        return lines, []
    needed = max(header.index(c) for c in SUMMARY) + 1
    kind = header.index("transaction-type")
    out, padded = list(lines), []
    for n, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        if not needed <= len(cells) < len(header):
            continue
        values = dict(zip(header, cells))
        is_summary = all(values[c].strip() for c in SUMMARY) and not any(
            cell.strip() for i, cell in enumerate(cells) if header[i] not in SUMMARY
        )
        if is_summary and (kind >= len(cells) or not cells[kind].strip()):
            out[n - 1] = line + "\t" * (len(header) - len(cells))
            padded.append(n)
    return out, padded


def load_rows(
    conn: duckdb.DuckDBPyConnection, report_id: str, text: str, file_name: str, partition_date, run_id: str,
    *, notes: LoadNotes | None = None,
) -> tuple[int, int]:
    """Replaces raw.settlement_rows of `report_id` with the file's rows; returns (loaded, quarantined).
    `notes`, when given, is filled with a whole-file rejection's reason and the summary rows padded."""
    notes = notes if notes is not None else LoadNotes()
    notes.rejected, notes.padded = None, []
    conn.execute("DELETE FROM raw.settlement_rows WHERE report_id = ?", [report_id])
    conn.execute("DELETE FROM ops.quarantine WHERE source = 'settlement_file' AND file_name = ?", [file_name])
    lines = flat_files.trim_cells(flat_files.split_lines(text))
    header = flat_files.header_of(lines)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        notes.rejected = f"header lacks required columns {missing}" if lines else "the file is empty"
        conn.execute(
            "INSERT INTO ops.quarantine (source, partition_date, record_key, file_name, line_number, reason, raw_text, run_id)"
            " VALUES ('settlement_file', ?, ?, ?, 1, ?, ?, ?)",
            [partition_date, report_id, file_name, notes.rejected, lines[0][:2000] if lines else "", run_id],
        )
        return 0, 1
    lines, notes.padded = pad_summary_rows(lines, header)
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

"""Amazon's tab-separated flat files (settlement and order reports) into DuckDB, columns named by the header.

DuckDB's CSV reader does the parsing. Each line is first prefixed with its number in the file, so rows
keep their place for quarantine; rows with the wrong number of cells land in DuckDB's rejects table.
Every cell is trimmed of surrounding whitespace first ("Order " is the transaction type "Order"), and a
byte-order mark left before the header is dropped (it would hide the first column's name).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb


def split_lines(text: str) -> list[str]:
    # Only newlines end a row: str.splitlines() also breaks on U+0085 and friends, which an
    # iso-8859-1 fallback decode produces from ordinary cp1252 text (0x85 is "…").
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def iter_lines(text: str) -> Iterator[str]:
    """split_lines' lines one at a time, never held as a list: the 14-day order report at 10,000 orders a day is
    57 MB of text, and its lines as a list of str were another ~150 MB beside it (issue #17)."""
    start = 1 if text.startswith("\ufeff") else 0
    end = len(text)
    while start < end:
        stop = text.find("\n", start)
        if stop < 0:
            stop = end
        # "\r\n" ends a line as "\n" does; a "\r" before the end of the text without one stays, as in split_lines.
        yield text[start:stop - 1] if stop < end and stop > start and text[stop - 1] == "\r" else text[start:stop]
        start = stop + 1


def first_line(text: str) -> str:
    return next(iter_lines(text), "")


def trim_cells(lines: list[str]) -> list[str]:
    """Each cell without the whitespace around it. Not str.strip()'s own set: that also takes U+0085 and
    U+001C..U+001F, which are characters (or damage to report) rather than padding."""
    return [trim_line(line) for line in lines]


def trim_line(line: str) -> str:
    return "\t".join(cell.strip(PADDING) for cell in line.split("\t"))


# ASCII space and line ends, no-break space (Excel re-saves), ideographic space (Japanese files), BOM.
PADDING = " \r\n\x0b\x0c\u00a0\u3000\ufeff"


def record_decode(conn: duckdb.DuckDBPyConnection, source: str, report_id: str, marketplace_id: str | None,
                  decoded, run_id: str | None) -> None:
    """Keeps ops.decode_events true for one report: a row when its text was not a clean read (Decoded.note),
    none when it was (a re-run after the file or the code was fixed clears the old row)."""
    conn.execute("DELETE FROM ops.decode_events WHERE source = ? AND report_id = ?", [source, report_id])
    if decoded.note:
        conn.execute(
            "INSERT INTO ops.decode_events VALUES (?, ?, ?, ?, ?, ?, ?, clock_now())",
            [source, report_id, marketplace_id, decoded.declared, decoded.encoding, decoded.note, run_id],
        )


def header_of(lines: list[str]) -> list[str]:
    """Column names of the first line, made unique (an empty or repeated name would shift every cell).
    DuckDB's column names are case-insensitive, so "SKU" after "sku" is a repeat too."""
    names: list[str] = []
    for i, name in enumerate(lines[0].split("\t") if lines else []):
        name = name.strip() or f"unnamed_{i}"
        names.append(name if name.lower() not in {n.lower() for n in names} else f"{name}_{i}")
    return names


def read_tsv(conn: duckdb.DuckDBPyConnection, lines: list[str] | str, table: str, rejects: str) -> list[str]:
    """Creates temp table `table` (all VARCHAR, plus __line) from the lines; returns the header.

    `lines` is the file's lines, or its whole text (split here a line at a time: see iter_lines).
    `rejects` gets DuckDB's reject rows; its csv_line is "<line number>\\t<original line>".
    The lines are trimmed (trim_cells) and written one at a time, not held as whole-file copies (a trimmed list, a
    numbered list, their joined text and its UTF-8 bytes): for a 57 MB file of 150,000 lines, Python's peak beside
    the text went from 298 MB to 144 MB with the caller's split lines untrimmed (tracemalloc), which is what the
    14-day report at 10,000 orders a day needed (issue #17).
    """
    text = lines if isinstance(lines, str) else None
    header = header_of(trim_cells([first_line(text)] if text is not None else lines[:1]))
    # DuckDB's reader ends a row at a lone carriage return whatever new_line says, so a cell holding one
    # would break the file: it travels as a character the file does not contain and is put back after.
    carriage = None
    if text is not None:
        if _LONE_CARRIAGE.search(text):
            carriage = next((ch for ch in _STAND_INS if ch not in text), None)
    elif any("\r" in line for line in lines):
        carriage = next((ch for ch in _STAND_INS if not any(ch in line for line in lines)), None)
    with tempfile.TemporaryDirectory() as tmp:
        numbered = Path(tmp) / "numbered.tsv"
        with numbered.open("w", encoding="utf-8", newline="\n") as out:
            written = False
            for n, line in enumerate(iter_lines(text) if text is not None else lines, start=1):
                line = trim_line(line)
                if line:
                    out.write(f"{n}\t{line.replace(chr(13), carriage) if carriage else line}\n")
                    written = True
            if not written:
                out.write("\n")
        columns = {"__line": "VARCHAR", **{name: "VARCHAR" for name in header}}
        conn.execute(f"DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS {rejects}_scans")
        conn.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM read_csv(?, delim = '\t', header = true, "
            "columns = ?, auto_detect = false, quote = '', escape = '', store_rejects = true, "
            f"rejects_table = '{rejects}', rejects_scan = '{rejects}_scans')",
            [str(numbered), columns],
        )
    if carriage:
        for name in columns:
            conn.execute(f'UPDATE {table} SET "{_quoted(name)}" = replace("{_quoted(name)}", ?, chr(13))', [carriage])
        conn.execute(f"UPDATE {rejects} SET csv_line = replace(csv_line, ?, chr(13))", [carriage])
    return header


# Private-use characters: no Amazon file has a reason to hold them.
_STAND_INS = [chr(c) for c in range(0xE000, 0xE010)]
# A carriage return that does not end a line (iter_lines drops those).
_LONE_CARRIAGE = re.compile("\r(?!\n)")


def _quoted(name: str) -> str:
    return name.replace('"', '""')

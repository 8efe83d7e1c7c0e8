"""Settlement files are read by header name: any order of the 24 columns, with columns we do not know mixed
in, loads the same values into raw.settlement_rows, and every cell arrives as Amazon wrote it."""

from __future__ import annotations

from hypothesis import example, given, settings, strategies as st

from amazon_zoho.amazon.flat_files import PADDING
from amazon_zoho.amazon.settlement_files import COLUMNS, load_rows

from .support import DAY, budget

# Cell text: anything a cell can hold in a tab-separated file (no tab, no newline). A lone carriage return
# has its own test below.
cells = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\n\r"), max_size=8)
extra_names = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Z")), min_size=1, max_size=12).filter(
    lambda name: name.strip().lower() not in COLUMNS  # DuckDB column names are case-insensitive
)
rows = st.lists(st.fixed_dictionaries({c: cells for c in COLUMNS}), min_size=1, max_size=4)


def raw_rows(conn, report_id: str) -> list[tuple]:
    columns = ", ".join(f'"{c}"' for c in COLUMNS)
    return conn.execute(f"SELECT line_number, {columns} FROM raw.settlement_rows WHERE report_id = ? ORDER BY line_number",
                        [report_id]).fetchall()


def text_of(header: list[str], rows: list[dict]) -> str:
    return "\n".join(["\t".join(header), *("\t".join(row.get(c, "") for c in header) for row in rows)]) + "\n"


def reset(conn) -> None:
    conn.execute("DELETE FROM raw.settlement_rows")
    conn.execute("DELETE FROM ops.quarantine")


@settings(max_examples=budget(40), deadline=None)
@given(
    order=st.permutations(COLUMNS),
    extras=st.lists(st.tuples(extra_names, st.integers(0, len(COLUMNS)), cells), max_size=4,
                    unique_by=lambda e: e[0].strip().lower()),
    rows=rows,
)
def test_any_column_order_with_unknown_columns_loads_the_same_values(conn, order, extras, rows):
    reset(conn)
    header = list(order)
    for name, position, _ in extras:
        header.insert(position, name)
    extended = [{**row, **{name: value for name, _, value in extras}} for row in rows]

    assert load_rows(conn, "canonical", text_of(COLUMNS, rows), "canonical.tsv", DAY, "run") == (len(rows), 0)
    assert load_rows(conn, "shuffled", text_of(header, extended), "shuffled.tsv", DAY, "run") == (len(rows), 0)

    assert raw_rows(conn, "shuffled") == raw_rows(conn, "canonical")
    # ... and those are the cells as written, trimmed of the whitespace around them (an empty cell is NULL).
    assert raw_rows(conn, "shuffled") == [(n, *(row[c].strip(PADDING) or None for c in COLUMNS)) for n, row in enumerate(rows, start=2)]


@settings(max_examples=budget(10), deadline=None)
@given(description=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\n"), max_size=8))
@example(description="Storage\rFee")
def test_a_cell_with_any_character_but_tab_and_newline_loads_or_is_quarantined(conn, description):
    reset(conn)
    row = {c: "" for c in COLUMNS} | {"settlement-id": "9001", "transaction-type": "Order", "amount-type": "ItemFees",
                                      "amount": "1.00", "amount-description": description}
    loaded, quarantined = load_rows(conn, "cr", text_of(COLUMNS, [row]), "cr.tsv", DAY, "run")
    assert (loaded, quarantined) in ((1, 0), (0, 1))
    if loaded:
        [(_, *values)] = raw_rows(conn, "cr")
        assert values[COLUMNS.index("amount-description")] == (description.strip(PADDING) or None)


@settings(max_examples=budget(10), deadline=None)
@given(column=st.sampled_from(COLUMNS), flips=st.lists(st.booleans(), min_size=30, max_size=30))
@example(column="sku", flips=[True] * 30)
def test_an_extra_column_named_like_a_known_one_in_another_case_does_not_fail_the_file(conn, column, flips):
    variant = "".join(ch.upper() if flip else ch for ch, flip in zip(column, flips))
    if variant == column:
        variant = column.upper()
    reset(conn)
    row = {c: f"{c}-value" for c in COLUMNS}
    loaded, quarantined = load_rows(conn, "case", text_of([*COLUMNS, variant], [{**row, variant: "other"}]), "case.tsv", DAY, "run")
    assert (loaded, quarantined) in ((1, 0), (0, 1))
    if loaded:
        assert raw_rows(conn, "case") == [(2, *(row[c] for c in COLUMNS))]


SUMMARY_CELLS = {"settlement-id": "9001", "settlement-start-date": "2026-01-01 00:00:00 UTC", "settlement-end-date":
                 "2026-01-15 00:00:00 UTC", "deposit-date": "2026-01-17 00:00:00 UTC", "total-amount": "95,00", "currency": "EUR"}


@settings(max_examples=budget(20), deadline=None)
# A detail row cut to exactly its first six cells holds just what a summary row holds: it is one, and is padded.
@given(kept=st.integers(6, len(COLUMNS)), detail_kept=st.one_of(st.integers(1, 5), st.integers(7, len(COLUMNS) - 1)))
def test_a_cut_summary_row_is_padded_and_a_cut_detail_row_with_data_is_quarantined(conn, kept, detail_kept):
    """Cutting a summary row's trailing cells anywhere after `currency` loses nothing: it loads as if whole. A detail
    row whose cut cells held data (here the last one, promotion-id) is quarantined, not padded."""
    reset(conn)
    summary = [SUMMARY_CELLS.get(c, "") for c in COLUMNS][:kept]
    detail = {c: f"{c}:v" for c in COLUMNS}
    cut_detail = [detail[c] for c in COLUMNS][:detail_kept]
    text = "\t".join(COLUMNS) + "\n" + "\t".join(summary) + "\n" + "\t".join(cut_detail) + "\n"

    assert load_rows(conn, "cut", text, "cut.tsv", DAY, "run") == (1, 1)
    [(line, *values)] = raw_rows(conn, "cut")
    assert line == 2 and values == [SUMMARY_CELLS.get(c) for c in COLUMNS]
    assert conn.execute("SELECT line_number FROM ops.quarantine").fetchall() == [(3,)]

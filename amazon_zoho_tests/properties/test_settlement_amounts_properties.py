"""Settlement amounts and dates, from the flat file Amazon writes to core.settlement_lines: every amount a
marketplace writes comes back as exactly that Decimal, garbage never reaches core silently, and
"YYYY-MM-DD HH:MM:SS UTC" is the instant it names."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal

from hypothesis import example, given, settings, strategies as st

from .support import (
    BY_COUNTRY,
    LINE_KINDS,
    MARKETPLACES,
    REPORT_ID,
    amounts,
    budget,
    detail_row,
    instants,
    load_settlement,
    local_amount,
    summary_row,
    tsv,
)

SID = "S-prop"
WHEN = datetime(2026, 1, 10, 8, 30, tzinfo=timezone.utc)
marketplaces = st.sampled_from(MARKETPLACES)
lines = st.lists(st.tuples(amounts, st.booleans(), st.sampled_from(LINE_KINDS)), min_size=1, max_size=8)


def core_lines(conn) -> dict[int, Decimal]:
    return dict(conn.execute("SELECT line_number, amount FROM core.settlement_lines WHERE report_id = ?", [REPORT_ID]).fetchall())


def quarantined(conn) -> dict[int, str]:
    return dict(conn.execute(
        "SELECT line_number, reason FROM ops.quarantine WHERE source = 'core_settlement_lines' AND record_key = ?", [REPORT_ID]
    ).fetchall())


def settlement_file(marketplace, total: str, details: list[tuple[str, tuple]], start, end, deposit, posted) -> str:
    rows = [summary_row(SID, total, marketplace.currency, start, end, deposit)]
    rows += [detail_row(SID, n, kind, text, posted, marketplace) for n, (text, kind) in enumerate(details)]
    return tsv(rows)


@settings(max_examples=budget(40), deadline=None)
@given(marketplace=marketplaces, lines=lines, grouped_total=st.booleans(), when=instants)
def test_every_amount_comes_back_exactly_and_lines_sum_to_the_inputs(conn, marketplace, lines, grouped_total, when):
    total = sum((value for value, _, _ in lines), Decimal(0))
    details = [(local_amount(value, marketplace.decimal_comma, grouped), kind) for value, grouped, kind in lines]
    load_settlement(conn, marketplace, settlement_file(
        marketplace, local_amount(total, marketplace.decimal_comma, grouped_total), details, when, when, when, when))

    assert quarantined(conn) == {}
    # Line 1 is the header, line 2 the summary row: detail n is on line n + 3.
    assert core_lines(conn) == {n + 3: value for n, (value, _, _) in enumerate(lines)}
    assert conn.execute("SELECT sum(amount) FROM core.settlement_lines").fetchone()[0] == total
    assert conn.execute("SELECT total_amount, currency FROM core.settlements WHERE settlement_id = ?", [SID]).fetchone() == (
        total, marketplace.currency)


@settings(max_examples=budget(30), deadline=None)
@given(marketplace=marketplaces, start=instants, end=instants, deposit=instants, posted=st.lists(instants, min_size=1, max_size=5))
def test_utc_dates_are_the_instants_they_name(conn, marketplace, start, end, deposit, posted):
    rows = [summary_row(SID, local_amount(Decimal("1.00") * len(posted), marketplace.decimal_comma), marketplace.currency, start, end, deposit)]
    rows += [detail_row(SID, n, LINE_KINDS[0], local_amount(Decimal("1.00"), marketplace.decimal_comma), p, marketplace)
             for n, p in enumerate(posted)]
    load_settlement(conn, marketplace, tsv(rows))

    settlement = conn.execute("SELECT period_start, period_end, deposit_date FROM core.settlements WHERE settlement_id = ?", [SID]).fetchone()
    assert all(value.tzinfo is not None and value.utcoffset() is not None for value in settlement)
    assert settlement == (start, end, deposit)  # aware datetimes: equal means the same instant
    got = dict(conn.execute("SELECT line_number, posted_ts FROM core.settlement_lines").fetchall())
    assert got == {n + 3: p for n, p in enumerate(posted)}
    assert all(value.tzinfo is not None for value in got.values())


# Garbage: a cell with no ASCII digit at all, or with a character no number is written with. (Cells that look
# like numbers but are not well formed for the marketplace are the xfail test below.)
NUMBER_CHARS = set("0123456789.,+-eE_ \xa0")
cell_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\n\r"), max_size=12)
garbage = cell_text.filter(lambda s: not re.search("[0-9]", s) or not set(s) <= NUMBER_CHARS)


@settings(max_examples=budget(40), deadline=None)
@given(marketplace=marketplaces, lines=st.lists(st.one_of(amounts, garbage), min_size=1, max_size=8))
@example(marketplace=MARKETPLACES[0], lines=[Decimal("5.00"), "", "12 EUR", "n/a", "\u2014"])
def test_garbage_amounts_are_quarantined_with_a_reason_never_in_core(conn, marketplace, lines):
    good = {n + 3: v for n, v in enumerate(lines) if isinstance(v, Decimal)}
    bad = {n + 3: v for n, v in enumerate(lines) if not isinstance(v, Decimal)}
    details = [(local_amount(v, marketplace.decimal_comma) if isinstance(v, Decimal) else v, LINE_KINDS[n % len(LINE_KINDS)])
               for n, v in enumerate(lines)]
    load_settlement(conn, marketplace, settlement_file(
        marketplace, local_amount(sum(good.values(), Decimal(0)), marketplace.decimal_comma), details, WHEN, WHEN, WHEN, WHEN))

    assert core_lines(conn) == good, "garbage reached core, or a good line did not"
    held = quarantined(conn)
    assert set(held) == set(bad)
    assert all(reason.startswith("amount is not a number in this marketplace's format") for reason in held.values())


# Well formed in a marketplace: optional minus, digits (optionally grouped by thousands with the marketplace's
# grouping character), optionally its decimal separator and one or two digits.
def well_formed(text: str, decimal_comma: bool) -> bool:
    point, group = (",", r"\.") if decimal_comma else (r"\.", ",")
    return re.fullmatch(rf"-?(\d+|\d{{1,3}}({group}\d{{3}})+)({point}\d{{1,2}})?", text) is not None


number_like = st.text(st.sampled_from("0123456789.,-"), min_size=1, max_size=10).filter(lambda s: re.search("[0-9]", s))


@settings(max_examples=budget(20), deadline=None)
@given(marketplace=marketplaces, text=number_like)
@example(marketplace=BY_COUNTRY["DE"], text="12.34")
@example(marketplace=BY_COUNTRY["US"], text="1.005")
def test_numbers_malformed_for_the_marketplace_are_quarantined_not_reinterpreted(conn, marketplace, text):
    load_settlement(conn, marketplace, settlement_file(
        marketplace, local_amount(Decimal(0), marketplace.decimal_comma), [(text, LINE_KINDS[0])], WHEN, WHEN, WHEN, WHEN))
    if well_formed(text, marketplace.decimal_comma):
        assert 3 in core_lines(conn)
    else:
        assert core_lines(conn) == {} and 3 in quarantined(conn), f"{text!r} entered core as {core_lines(conn).get(3)}"

"""Settlement dates, written the ways each marketplace writes them (its posted_date_format in amazon/marketplaces.csv
with a two- or four-digit year, ISO with UTC, ISO with an offset, US Pacific PST/PDT), come back through load_rows and
the core steps as the instant they name; a day/month pair that reads both ways is read in the marketplace's order."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from amazon_zoho.amazon import marketplaces as marketplace_table
from amazon_zoho.warehouse import WarehouseResource
from amazon_zoho_tests.properties.support import BY_COUNTRY, LINE_KINDS, MARKETPLACES, budget, load_settlement, local_amount, tsv

SID = "S-dates"
FORMAT = {m.marketplace_id: m.posted_date_format for m in marketplace_table.load()}
# Instants from 2000 on (a two-digit year is 20yy), whole seconds as the file writes them.
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59)).map(
    lambda d: d.replace(microsecond=0, tzinfo=timezone.utc))
offsets = st.integers(-12 * 4, 14 * 4).map(lambda quarters: timedelta(minutes=15 * quarters))


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    root = tmp_path_factory.mktemp("dates")
    with WarehouseResource(database=str(root / "w.duckdb"), archive_dir=str(root / "archive")).connect() as c:
        yield c


def local_style(marketplace_id: str, four_digit_year: bool):
    date_format = FORMAT[marketplace_id].replace("%y", "%Y") if four_digit_year else FORMAT[marketplace_id].replace("%Y", "%y")
    return lambda t: t.astimezone(timezone.utc).strftime(f"{date_format} %H:%M:%S UTC")


def iso_offset(offset: timedelta):
    def render(t: datetime) -> str:
        text = t.astimezone(timezone(offset)).strftime("%Y-%m-%dT%H:%M:%S%z")
        return f"{text[:-2]}:{text[-2:]}"
    return render


def pacific(daylight: bool):
    zone = timezone(timedelta(hours=-7 if daylight else -8))
    return lambda t: t.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S ") + ("PDT" if daylight else "PST")


def styles(marketplace_id: str):
    return st.one_of(
        st.builds(local_style, st.just(marketplace_id), st.booleans()),
        st.just(lambda t: t.strftime("%Y-%m-%d %H:%M:%S UTC")),
        st.builds(iso_offset, offsets),
        st.builds(pacific, st.booleans()),
    )


def read_back(conn, marketplace, render, start, end, deposit, posted) -> tuple:
    summary = {"settlement-id": SID, "settlement-start-date": render(start), "settlement-end-date": render(end),
               "deposit-date": render(deposit), "total-amount": local_amount(1, marketplace.decimal_comma), "currency": marketplace.currency}
    kind = LINE_KINDS[0]
    detail = {"settlement-id": SID, "transaction-type": kind[0], "order-id": "302-0000001-0000001", "amount-type": kind[1],
              "amount-description": kind[2], "amount": local_amount(1, marketplace.decimal_comma), "posted-date-time": render(posted)}
    load_settlement(conn, marketplace, tsv([summary, detail]), SID)
    held = conn.execute("SELECT reason FROM ops.quarantine").fetchall()
    settlement = conn.execute("SELECT period_start, period_end, deposit_date FROM core.settlements").fetchall()
    posted_ts = conn.execute("SELECT posted_ts FROM core.settlement_lines").fetchall()
    return held, settlement, posted_ts


@settings(max_examples=budget(60), deadline=None)
@given(data=st.data(), marketplace=st.sampled_from(MARKETPLACES), moments=st.lists(instants, min_size=4, max_size=4))
def test_every_marketplace_format_reads_back_as_the_instant_it_names(conn, data, marketplace, moments):
    render = data.draw(styles(marketplace.marketplace_id))
    # Local formats write whole seconds in UTC, PST/PDT and offsets whole seconds too: the instant is exact.
    start, end, deposit, posted = moments
    held, settlement, posted_ts = read_back(conn, marketplace, render, start, end, deposit, posted)
    assert held == []
    assert settlement == [(start, end, deposit)]
    assert posted_ts == [(posted,)]


@settings(max_examples=budget(30), deadline=None)
@given(day=st.integers(1, 12), month=st.integers(1, 12), year=st.integers(2000, 2099), country=st.sampled_from(["US", "GB", "DE", "FR", "JP", "MX", "CA"]))
def test_a_date_that_reads_both_ways_is_read_in_the_marketplaces_order(conn, day, month, year, country):
    marketplace = BY_COUNTRY[country]
    instant = datetime(year, month, day, 12, 0, 0, tzinfo=timezone.utc)
    order = FORMAT[marketplace.marketplace_id]
    text = instant.strftime(order) + " 12:00:00 UTC"
    held, settlement, posted_ts = read_back(conn, marketplace, lambda t: text if t == instant else t.strftime("%Y-%m-%d %H:%M:%S UTC"),
                                            instant, instant + timedelta(days=14), instant + timedelta(days=16), instant)
    assert held == [] and settlement[0][0] == instant and posted_ts == [(instant,)], f"{text} in {country} ({order})"


def test_the_same_text_names_different_days_in_the_us_and_the_uk(conn):
    text = "03/04/2023 10:00:00 UTC"
    read = {}
    for country in ("US", "GB"):
        _, _, posted_ts = read_back(conn, BY_COUNTRY[country], lambda t: text if t.year == 2023 else t.strftime("%Y-%m-%d %H:%M:%S UTC"),
                                    datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2024, 1, 2, tzinfo=timezone.utc),
                                    datetime(2024, 1, 3, tzinfo=timezone.utc), datetime(2023, 1, 1, tzinfo=timezone.utc))
        read[country] = posted_ts[0][0]
    assert read == {"US": datetime(2023, 3, 4, 10, tzinfo=timezone.utc), "GB": datetime(2023, 4, 3, 10, tzinfo=timezone.utc)}

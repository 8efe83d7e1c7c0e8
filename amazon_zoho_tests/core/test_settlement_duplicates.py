"""One settlement counts once, whichever report ids carry it (issue #13): Amazon can list the same settlement under a
second report id. Raw keeps both reports; core reads the newest; the checks and the marts see each line once, whatever
order the windows are built and re-built in."""

from datetime import date, datetime, timezone
from decimal import Decimal

import dagster as dg
import pytest

from amazon_zoho.core import settlement_assets
from amazon_zoho.core.settlement_assets import SETTLEMENT_CHECKS
from amazon_zoho.warehouse import WarehouseResource
from amazon_zoho.warehouse.checks import evaluate
from amazon_zoho_tests.core.test_settlement_fixtures import FIXTURES, build, store_report

DE = "A1PA6795UKMFR9"
P1, P2 = date(2026, 1, 15), date(2026, 1, 16)
OLD, NEW = "50000000001", "50000000002"
DEPOSIT, LINES = Decimal("945.24"), 14


@pytest.fixture
def conn(tmp_path):
    resource = WarehouseResource(database=str(tmp_path / "w.duckdb"), archive_dir=str(tmp_path / "archive"))
    with resource.connect() as connection:
        yield connection


def _file() -> str:
    return (FIXTURES / "de_dotted.tsv").read_text(encoding="utf-8")


def _store(conn, report_id: str, day: date, created_day: int) -> None:
    store_report(conn, report_id, DE, _file(), end_date=day, created=datetime(2026, 1, created_day, tzinfo=timezone.utc))


def _assert_counted_once(conn) -> None:
    assert conn.execute("SELECT count(DISTINCT report_id) FROM raw.settlement_rows").fetchone()[0] == 2, "raw keeps both reports"
    [(settlements, report)] = conn.execute("SELECT count(*), any_value(report_id) FROM core.settlements").fetchall()
    assert (settlements, report) == (1, NEW)
    lines, reports, total = conn.execute("SELECT count(*), list(DISTINCT report_id), sum(amount) FROM core.settlement_lines").fetchone()
    assert (lines, reports, total) == (LINES, [NEW], DEPOSIT)
    deposits = conn.execute("SELECT count(*), sum(lines_total) FROM marts.settlement_deposits").fetchone()
    assert deposits == (1, total)
    assert conn.execute("SELECT count(*) FROM ops.quarantine").fetchone()[0] == 0


def _checks_pass(conn, day: date) -> None:
    params = {"start": day, "end": date.fromordinal(day.toordinal() + 1)}
    for check in SETTLEMENT_CHECKS:
        if check.name == "nothing_quarantined":
            continue
        result = evaluate(conn, settlement_assets.__file__, check, params, dg.AssetKey(list(check.asset)))
        assert result.passed, (check.name, result.metadata)


def test_the_same_settlement_under_two_report_ids_in_one_window_counts_once_from_the_newest(conn):
    _store(conn, OLD, P1, 10)
    _store(conn, NEW, P1, 11)
    build(conn, P1)
    build(conn, P1)  # a re-run replaces
    _assert_counted_once(conn)
    _checks_pass(conn, P1)


@pytest.mark.parametrize("order", [(P1, P2), (P2, P1), (P1, P2, P1), (P2, P1, P2)])
def test_two_report_ids_in_two_windows_count_once_whichever_window_runs_first_or_again(conn, order):
    _store(conn, OLD, P1, 10)
    _store(conn, NEW, P2, 11)
    for day in order:
        build(conn, day)
    _assert_counted_once(conn)
    assert conn.execute("SELECT end_date FROM core.settlements").fetchone()[0] == P2, "the newest report's window holds it"
    _checks_pass(conn, P2)


def test_a_newer_report_arriving_later_replaces_what_an_earlier_window_wrote(conn):
    _store(conn, OLD, P1, 10)
    build(conn, P1)
    assert conn.execute("SELECT report_id FROM core.settlements").fetchone()[0] == OLD
    _store(conn, NEW, P2, 11)
    build(conn, P2)
    _assert_counted_once(conn)
    build(conn, P1)
    _assert_counted_once(conn)


def test_the_newest_is_the_report_created_last_not_the_larger_id(conn):
    _store(conn, NEW, P1, 10)
    _store(conn, OLD, P1, 11)
    build(conn, P1)
    assert conn.execute("SELECT report_id FROM core.settlements").fetchone()[0] == OLD
    assert conn.execute("SELECT list(DISTINCT report_id) FROM core.settlement_lines").fetchone()[0] == [OLD]


def test_the_fees_mart_counts_a_settlement_once_after_it_moves_to_its_newer_reports_window(conn):
    from amazon_zoho.marts.assets import MARTS
    from amazon_zoho.warehouse import execute_script

    fees = next(m for m in MARTS if m.name == "fees")

    def build_fees(day: date) -> None:
        execute_script(conn, fees.build, {"start": day, "end": date.fromordinal(day.toordinal() + 1)})

    _store(conn, OLD, P1, 10)
    build(conn, P1)
    build_fees(P1)
    _store(conn, NEW, P2, 11)
    build(conn, P2)
    build_fees(P2)  # the P1 mart is not re-run: its old rows of the settlement must go all the same
    in_mart = conn.execute("SELECT sum(amount), list(DISTINCT end_date) FROM marts.fees").fetchone()
    in_core = conn.execute("SELECT sum(amount) FROM core.settlement_lines WHERE line_class IN ('fee', 'service_fee', 'subscription')").fetchone()[0]
    assert in_mart == (in_core, [P2])

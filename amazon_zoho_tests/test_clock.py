"""The one clock: pinning it moves our code, Dagster's partitions and the sandbox together; it never leaks."""

import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

import amazon_zoho
from amazon_zoho import clock
from amazon_zoho.partitions import daily_partitions, open_days
from amazon_zoho.settings import Settings
from amazon_zoho.warehouse import WarehouseResource

LEAP_DAY = datetime(2028, 2, 29, 12, 0, tzinfo=timezone.utc)
PARTITIONS = daily_partitions(Settings.from_env({}).start_date)


def test_a_pinned_clock_runs_on_from_its_instant_and_dagster_reads_it():
    with clock.pinned(LEAP_DAY):
        assert LEAP_DAY <= clock.now() < LEAP_DAY + timedelta(seconds=5)
        # Dagster's partitions end with the day our clock says it is (today's open partition, issue #15), and the
        # complete days with the one before it.
        assert PARTITIONS.get_last_partition_key() == "2028-02-29" and open_days(PARTITIONS)[1].isoformat() == "2028-02-28"
        clock.advance(timedelta(hours=12))
        assert clock.today().isoformat() == "2028-03-01" and PARTITIONS.get_last_partition_key() == "2028-03-01"
        assert open_days(PARTITIONS)[1].isoformat() == "2028-02-29"


def test_a_frozen_clock_stands_still_and_sleeping_moves_it():
    with clock.pinned("2026-03-29T00:59:59Z", frozen=True):
        assert clock.now() == clock.now() == datetime(2026, 3, 29, 0, 59, 59, tzinfo=timezone.utc)
        clock.sleep(3600)  # returns at once
        assert clock.now() == datetime(2026, 3, 29, 1, 59, 59, tzinfo=timezone.utc)


def test_pins_nest_and_unwind():
    outer = clock.now()
    with clock.pinned(LEAP_DAY):
        with clock.pinned("2027-01-01T00:00:00Z"):
            assert clock.today().year == 2027
        assert clock.today() == LEAP_DAY.date()
    assert abs(clock.now() - outer) < timedelta(minutes=1)


def test_an_instant_without_an_offset_is_refused_not_guessed():
    with pytest.raises(ValueError, match="no UTC offset"):
        clock.pin("2026-03-29T01:00:00")


def test_sql_reads_the_clock_through_clock_now(tmp_path):
    with clock.pinned(LEAP_DAY, frozen=True):
        with WarehouseResource(database=str(tmp_path / "w.duckdb")).connect() as conn:
            assert conn.execute("SELECT clock_now()").fetchone()[0] == LEAP_DAY


def test_the_sandbox_tells_the_pinned_time(sandbox):
    with clock.pinned(LEAP_DAY):
        orders = requests.get(f"{sandbox.url}/_sandbox/amazon/truth/orders",
                              params={"createdAfter": "2028-02-28T00:00:00Z", "createdBefore": "2028-02-29T00:00:00Z"}, timeout=30)
        assert orders.json()["orders"], "the sandbox sells on the pinned day"


# "What time is it" has one home: amazon_zoho/clock.py. Audit stamps a table fills by DEFAULT are the exception
# (a persisted default cannot call a per-connection function), and analysts' views say "as of today when queried".
READS_THE_MACHINE_CLOCK = re.compile(r"datetime\.now\(|date\.today\(|time\.time\(\)|datetime\.utcnow\(")
SQL_READS_THE_MACHINE_CLOCK = re.compile(r"(?<![\w.])(now\(\)|current_timestamp|get_current_timestamp\(\)|today\(\))", re.I)


def test_no_module_reads_the_machine_clock_behind_the_one_clock():
    package = Path(amazon_zoho.__file__).parent
    offenders = [
        f"{p.relative_to(package)}:{n}"
        for p in package.rglob("*.py") if p.name != "clock.py"
        for n, line in enumerate(p.read_text().splitlines(), 1) if READS_THE_MACHINE_CLOCK.search(line)
    ]
    offenders += [
        f"{p.relative_to(package)}:{n}"
        for p in package.rglob("*.sql") if "warehouse/sql" not in str(p)
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if SQL_READS_THE_MACHINE_CLOCK.search(line.split("--")[0])
    ]
    assert not offenders


def test_a_child_process_handed_the_anchor_reads_the_same_clock(tmp_path):
    with clock.pinned(LEAP_DAY):
        clock.advance(timedelta(minutes=7))
        code = "from amazon_zoho import clock, settings; clock.pin(settings.load().now); print(clock.now().isoformat())"
        out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "AMAZON_ZOHO_NOW": clock.anchor()},
                             capture_output=True, text=True, timeout=60, check=True).stdout
        child = datetime.fromisoformat(out.strip())
        # Same offset from the machine's clock: the child is not behind by its own start-up time.
        assert abs(child - clock.now()) < timedelta(seconds=1)
        assert child - LEAP_DAY >= timedelta(minutes=7)

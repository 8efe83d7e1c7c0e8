"""Files a seller downloaded by hand: `make import` and the data/inbox sensor load them and rebuild core and marts
for their days, without a single Amazon call.

The files are written by the sandbox's own writers (sandbox/amazon/settlement_file.py and order_flat_file.py, the
shapes of API-FACTS §4 and §12a), called in-process, as Seller Central would have served them to a browser.
"""

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import requests

from amazon_zoho import clock
from amazon_zoho.amazon import imports
from amazon_zoho.amazon.inbox_sensor import IMPORT_REBUILD_JOB
from amazon_zoho.build import build_defs
from amazon_zoho.cli import import_files
from amazon_zoho.resources import warehouse_resource
from amazon_zoho.sandbox.amazon.order_flat_file import BY_ORDER_DATE, render_order_report
from amazon_zoho.sandbox.amazon.settlement_file import render_settlement
from amazon_zoho.sandbox.amazon.settlement_schedule import settlement_reports
from amazon_zoho.settings import Settings
from amazon_zoho_tests.truth import run_days

DE, UK = "A1PA6795UKMFR9", "A1F83G8C2ARO7P"
TABLES = ("raw.settlement_reports", "raw.settlement_rows", "raw.order_versions", "core.settlements", "core.settlement_lines",
          "core.orders", "core.order_lines", "marts.daily_sales", "marts.fees", "marts.settlement_deposits", "ops.imports")


@pytest.fixture
def env(project_env, tmp_path, monkeypatch) -> dict[str, str]:
    values = {**project_env, "AMAZON_ZOHO_INBOX_DIR": str(tmp_path / "inbox"), "DAGSTER_HOME": str(tmp_path / "dagster_home"),
              "AMAZON_ZOHO_ANALYST_COPY": str(tmp_path / "analyst.duckdb")}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def settlement(sandbox, marketplace_id: str, back: int = 0):
    """A settlement of `marketplace_id` published by now (the `back`-th newest), and its file."""
    published = sorted((s for s in settlement_reports(sandbox.app, clock.now()) if s.marketplace_id == marketplace_id),
                       key=lambda s: s.end, reverse=True)
    info = published[back]
    return info, render_settlement(sandbox.app, info.report_id)[0]


def order_report(sandbox, marketplace_id: str, first, days: int) -> bytes:
    start = datetime(first.year, first.month, first.day, tzinfo=timezone.utc)
    raw, charset = render_order_report(sandbox.app, BY_ORDER_DATE, [marketplace_id], start, start + timedelta(days=days))
    assert charset == "Cp1252"
    return raw


def amazon_calls(sandbox) -> int:
    return len(requests.get(f"{sandbox.url}/_sandbox/calls", params={"service": "amazon"}, timeout=10).json()["calls"])


def state(env) -> dict[str, tuple]:
    with duckdb.connect(env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        return {t: conn.execute(f"SELECT count(*), sum(hash(t::VARCHAR)) FROM {t} t").fetchone() for t in TABLES}


def test_make_import_loads_a_settlement_and_an_order_report_and_rebuilds_their_days(sandbox, env, tmp_path, capsys):
    info, settlement_bytes = settlement(sandbox, DE, back=1)
    order_days = info.end.date() - timedelta(days=2)
    (tmp_path / "statement.txt").write_bytes(settlement_bytes)
    (tmp_path / "orders.txt").write_bytes(order_report(sandbox, DE, order_days, 3))
    calls = amazon_calls(sandbox)

    assert import_files.main([str(tmp_path / "statement.txt"), str(tmp_path / "orders.txt")]) == 0

    out = capsys.readouterr().out
    assert "loaded statement.txt: settlement import-" in out and "loaded orders.txt: order_report import-" in out
    end_day = info.end.astimezone(timezone.utc).date()
    with duckdb.connect(env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        settled = conn.execute(
            "SELECT s.end_date, s.marketplace_id, s.total_amount, sum(l.amount), count(l.*) FROM core.settlements s "
            "JOIN core.settlement_lines l USING (settlement_id) WHERE s.settlement_id = ? GROUP BY ALL", [info.settlement_id]
        ).fetchone()
        deposit = conn.execute("SELECT deposit, difference FROM marts.settlement_deposits WHERE settlement_id = ?", [info.settlement_id]).fetchone()
        order_days_built = conn.execute("SELECT DISTINCT purchase_date FROM core.orders ORDER BY 1").fetchall()
        sales_days = conn.execute("SELECT DISTINCT purchase_date FROM marts.daily_sales WHERE marketplace_id = ? ORDER BY 1", [DE]).fetchall()
    assert settled[:2] == (end_day, DE)
    assert settled[2] == settled[3] and settled[4] > 0, "deposit = sum of the lines"
    assert deposit == (settled[2], Decimal("0.00"))
    want = [(order_days + timedelta(days=n),) for n in range(3)]
    assert order_days_built == want and sales_days == want
    assert amazon_calls(sandbox) == calls, "an import never calls Amazon"

    before = state(env)
    assert import_files.main([str(tmp_path / "statement.txt"), str(tmp_path / "orders.txt")]) == 0
    assert capsys.readouterr().out.count("already loaded") == 2
    assert state(env) == before, "the same files again change nothing"

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "page.html").write_text("<!DOCTYPE html><html><body>Sign in</body></html>")
    (downloads / "sales.csv").write_text("date,units\n2026-05-01,3\n")
    assert import_files.main(["--dir", str(downloads), "--marketplace", DE]) == 2
    out = capsys.readouterr().out
    assert "REFUSED page.html: an HTML/XML page" in out and "REFUSED sales.csv: the first line has no tab" in out
    after = state(env)
    assert {t: v for t, v in after.items() if t != "ops.imports"} == {t: v for t, v in before.items() if t != "ops.imports"}
    assert after["ops.imports"][0] == before["ops.imports"][0] + 2
    assert amazon_calls(sandbox) == calls


def test_the_inbox_sensor_imports_a_dropped_file_moves_it_and_asks_for_its_days(sandbox, env):
    settings = Settings.from_env(env)
    defs = build_defs(settings)
    inbox = Path(settings.inbox_dir)
    info, raw = settlement(sandbox, UK)
    inbox.mkdir()
    (inbox / "uk-statement.txt").write_bytes(raw)
    (inbox / "report.pdf").write_bytes(b"%PDF-1.4\n")
    (inbox / "still-downloading.txt.crdownload").write_bytes(raw[:100])
    instance = dg.DagsterInstance.ephemeral()
    sensor = defs.resolve_sensor_def("amazon_report_inbox")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    calls = amazon_calls(sandbox)

    resources = {"warehouse": warehouse_resource(settings)}
    # evaluate_tick: what the daemon runs, including its checks of the requests against the job.
    tick = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, resources=resources, definitions=defs))

    [request] = tick.run_requests
    end_day = info.end.astimezone(timezone.utc).date()
    assert run_days(request) == [end_day]
    assert sorted(p.name for p in inbox.iterdir()) == ["done", "refused", "still-downloading.txt.crdownload"]
    assert [p.name for p in (inbox / "done").iterdir()] == ["uk-statement.txt"]
    assert (inbox / "refused" / "report.pdf.reason.txt").read_text().startswith("a PDF document")
    with duckdb.connect(settings.warehouse_path, read_only=True) as conn:
        recorded = conn.execute("SELECT file_name, status FROM ops.imports ORDER BY 1").fetchall()
    assert recorded == [("report.pdf", imports.REFUSED), ("uk-statement.txt", imports.LOADED)]

    result = defs.resolve_job_def(IMPORT_REBUILD_JOB).execute_in_process(instance=instance, tags=request.tags)
    assert result.success
    with duckdb.connect(settings.warehouse_path, read_only=True) as conn:
        assert conn.execute("SELECT end_date, marketplace_id FROM core.settlements WHERE settlement_id = ?",
                            [info.settlement_id]).fetchone() == (end_day, UK)
    assert amazon_calls(sandbox) == calls, "neither the sensor nor its run calls Amazon"

    again = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, resources=resources, definitions=defs))
    assert not again.run_requests and again.skip_message.startswith("no file in"), "a processed file is never read again"

    # The same file dropped again: already loaded, and its rebuild was asked for, so nothing runs twice.
    (inbox / "uk-statement.txt").write_bytes(raw)
    dropped_again = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, resources=resources, definitions=defs))
    assert not dropped_again.run_requests and "no day to rebuild" in dropped_again.skip_message
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["uk-statement.1.txt", "uk-statement.txt"]


def test_a_tick_that_dies_after_filing_a_file_away_leaves_its_rebuild_owed_and_the_next_tick_asks(sandbox, env, monkeypatch):
    from amazon_zoho.amazon import inbox_sensor

    settings = Settings.from_env(env)
    defs = build_defs(settings)
    inbox = Path(settings.inbox_dir)
    info, raw = settlement(sandbox, UK)
    inbox.mkdir()
    (inbox / "uk-statement.txt").write_bytes(raw)
    instance = dg.DagsterInstance.ephemeral()
    sensor = defs.resolve_sensor_def("amazon_report_inbox")
    resources = {"warehouse": warehouse_resource(settings)}

    def timed_out(*args, **kwargs):
        raise TimeoutError("the daemon gave up on the tick")

    # The tick loads the file and moves it to done/, then dies before it hands back its run requests.
    monkeypatch.setattr(inbox_sensor, "split_by_partitions", timed_out)
    with pytest.raises(Exception, match="gave up on the tick"):
        sensor.evaluate_tick(dg.build_sensor_context(instance=instance, resources=resources, definitions=defs))
    monkeypatch.undo()
    assert [p.name for p in (inbox / "done").iterdir()] == ["uk-statement.txt"]

    # The inbox is empty now; the next tick still asks for the rebuild the dead one owed, once.
    tick = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, resources=resources, definitions=defs))
    [request] = tick.run_requests
    assert run_days(request) == [info.end.astimezone(timezone.utc).date()]
    with duckdb.connect(settings.warehouse_path, read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM ops.imports WHERE rebuild_requested_at IS NOT NULL").fetchone() == (1,)
    after = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, resources=resources, definitions=defs))
    assert not after.run_requests and after.skip_message.startswith("no file in")


def test_make_import_again_finishes_a_rebuild_that_died(sandbox, env, tmp_path, capsys, monkeypatch):
    info, raw = settlement(sandbox, DE, back=1)
    (tmp_path / "statement.txt").write_bytes(raw)
    real = import_files.rebuild

    def killed(settings, days):
        raise RuntimeError("killed mid-rebuild")

    monkeypatch.setattr(import_files, "rebuild", killed)
    with pytest.raises(RuntimeError):
        import_files.main([str(tmp_path / "statement.txt")])
    monkeypatch.setattr(import_files, "rebuild", real)
    capsys.readouterr()

    assert import_files.main([str(tmp_path / "statement.txt")]) == 0

    out = capsys.readouterr().out
    assert "already loaded statement.txt" in out and "was loaded before but never rebuilt" in out
    end_day = info.end.astimezone(timezone.utc).date()
    assert f"rebuilding core and marts for {end_day}..{end_day}" in out
    with duckdb.connect(env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        assert conn.execute("SELECT end_date FROM core.settlements WHERE settlement_id = ?", [info.settlement_id]).fetchone() == (end_day,)
    assert import_files.main([str(tmp_path / "statement.txt")]) == 0
    assert "rebuilding" not in capsys.readouterr().out, "a finished rebuild is not run again"

"""raw_settlements against the sandbox with the text faults of issue #13: a BOM and cut summary rows load clean; a
file refused whole fails the run with an ERROR check naming the report, its quarantine row kept."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from amazon_zoho import clock
from amazon_zoho.amazon.settlement_assets import FILES_CHECK
from amazon_zoho_tests.assets import asset, figure
from amazon_zoho_tests.truth import PLAIN_DAY

from .test_sensors import end_day, settlements


@pytest.fixture
def plain_day():
    with clock.pinned(PLAIN_DAY):
        yield


def newest_de(sandbox) -> dict:
    return max((s for s in settlements(sandbox) if s["marketplace_id"] == "A1PA6795UKMFR9"), key=lambda s: s["start"])


def materialize(resources, day):
    return dg.materialize([asset("amazon_raw", "raw_settlements")], resources=resources, partition_key=str(day), raise_on_error=False)


def files_check(result):
    [check] = [c for c in result.get_asset_check_evaluations() if c.check_name == FILES_CHECK]
    return check


def test_bom_and_cut_summary_rows_load_and_the_check_passes(plain_day, sandbox, resources, project_env):
    sandbox.app.set_config({"fault_report_bom_rate": 1.0, "fault_settlement_cut_summary_rate": 1.0})
    settlement = newest_de(sandbox)

    result = materialize(resources, end_day(settlement))

    assert result.success
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert figure(metadata, "files_rejected") == 0 and figure(metadata, "rows_quarantined") == 0
    assert figure(metadata, "summary_rows_padded") >= 1 and figure(metadata, "fallback_decodes") == 0
    assert files_check(result).passed
    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        summary = conn.execute('SELECT "total-amount", currency FROM raw.settlement_rows WHERE "total-amount" IS NOT NULL').fetchall()
        first_column = conn.execute("SELECT count(*) FROM raw.settlement_rows WHERE \"settlement-id\" IS NULL").fetchone()[0]
    assert summary and all(currency == "EUR" for _, currency in summary) and first_column == 0


def test_a_settlement_file_refused_whole_fails_the_run_by_name(plain_day, sandbox, resources, project_env):
    settlement = newest_de(sandbox)
    assert materialize(resources, end_day(settlement)).success
    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        report_id, path = conn.execute("SELECT report_id, archive_path FROM raw.settlement_reports ORDER BY end_date DESC").fetchone()
    # The archive now holds what an expired presigned URL answers: not a report (as if saved by a broken download).
    Path(path).write_bytes(b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code></Error>')

    result = materialize(resources, end_day(settlement))

    assert not result.success  # a lost deposit never looks green: the blocking ERROR check fails the run
    check = files_check(result)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert report_id in check.description and "header lacks required columns" in check.description
    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        held = conn.execute("SELECT record_key, line_number, reason FROM ops.quarantine WHERE source = 'settlement_file'").fetchall()
    assert [(r, n) for r, n, _ in held] == [(report_id, 1)] and "header lacks required columns" in held[0][2]

"""`make run`'s console: a line per asset and day range with its counts, failures named, and every event in
the log file instead of the console."""

import dagster as dg

from amazon_zoho.cli.progress import QUIET_CONSOLE, Progress, group_days, write_log

DAYS = dg.DailyPartitionsDefinition(start_date="2026-06-01")


@dg.asset(partitions_def=DAYS)
def counted(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Reports a row count per run."""
    context.log.debug("a detail the console should not show")
    # As warehouse/figures.py reports a ranged run's figures: range_<name>, shown under the plain name.
    return dg.MaterializeResult(metadata={"dagster/row_count": 7, "range_amazon_calls": 3, "ignored": "x"})


@dg.asset(partitions_def=DAYS, deps=[counted])
def broken() -> None:
    """Fails."""
    raise ValueError("the sandbox said no\nsecond line")


def test_a_ranged_run_prints_one_line_per_asset_and_range_and_its_failures(tmp_path, capfd):
    job = dg.Definitions(assets=[counted, broken]).resolve_implicit_global_asset_job_def()
    lines: list[str] = []
    with dg.instance_for_test() as instance:
        run_id = "0a1b2c3d-0000-4000-8000-000000000001"
        with Progress(instance, run_id, out=lines.append, interval_s=0.05):
            job.execute_in_process(
                instance=instance, run_id=run_id, run_config=QUIET_CONSOLE, raise_on_error=False,
                tags={"dagster/asset_partition_range_start": "2026-06-02", "dagster/asset_partition_range_end": "2026-06-04"},
            )
        log = write_log(instance, run_id, tmp_path / "logs" / "run.log").read_text()

    assert [line.split() for line in lines] == [
        ["done", "counted", "2026-06-02..2026-06-04", "row_count", "7,", "amazon_calls", "3"],
        ["FAIL", "broken:", "ValueError:", "the", "sandbox", "said", "no"],
    ]
    assert "a detail the console should not show" in log
    assert "a detail the console should not show" not in capfd.readouterr().err


def test_days_with_different_counts_print_apart_and_ranges_are_inclusive():
    done = [("2026-06-03", "rows 2"), ("2026-06-01", "rows 1"), ("2026-06-02", "rows 1")]
    assert group_days(done) == [("2026-06-01..2026-06-02", "rows 1"), ("2026-06-03", "rows 2")]

"""Figures attached to a partition are that partition's own, or clearly the range's; the row count is the table's."""

import dagster as dg

from amazon_zoho.warehouse.figures import window_figures

DAYS = dg.DailyPartitionsDefinition(start_date="2026-06-01")


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def synced(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Reports what a sync of its window did."""
    per_day = {day: 10 + i for i, day in enumerate(context.partition_keys)}
    return dg.MaterializeResult(
        metadata=window_figures(context, {"inserted": sum(per_day.values())}, table_rows=1000, rows_per_day=per_day)
    )


def _materializations(tags: dict, partition_key: str | None = None) -> dict[str, dict]:
    with dg.instance_for_test() as instance:
        result = dg.materialize([synced], instance=instance, tags=tags, partition_key=partition_key)
        return {
            m.partition: {k: getattr(v, "value", v) for k, v in m.metadata.items()}
            for m in result.asset_materializations_for_node("synced")
        }


def test_a_ranged_run_labels_its_figures_as_the_range_s_and_lists_each_day():
    by_day = _materializations({"dagster/asset_partition_range_start": "2026-06-02", "dagster/asset_partition_range_end": "2026-06-04"})
    assert sorted(by_day) == ["2026-06-02", "2026-06-03", "2026-06-04"]
    for metadata in by_day.values():
        assert "inserted" not in metadata, "a partition must not show the range's total as its own"
        assert metadata["range_inserted"] == 33
        assert metadata["range"].startswith("2026-06-02..2026-06-04 (3 days")
        assert "| 2026-06-03 | 11 |" in metadata["rows_per_day"]
        assert metadata["dagster/row_count"] == 1000


def test_a_one_day_run_reports_that_day_s_own_figures_under_their_names():
    [(day, metadata)] = _materializations({}, partition_key="2026-06-05").items()
    assert day == "2026-06-05"
    assert metadata["inserted"] == 10 and metadata["day"] == "2026-06-05"
    assert not any(k.startswith("range") for k in metadata)
    assert metadata["dagster/row_count"] == 1000


def test_day_ranges_print_inclusive():
    from datetime import date

    from amazon_zoho.partitions import day_range

    assert day_range(date(2026, 11, 24), date(2026, 12, 1)) == "2026-11-24..2026-11-30"
    assert day_range(date(2026, 11, 24), date(2026, 11, 25)) == "2026-11-24"

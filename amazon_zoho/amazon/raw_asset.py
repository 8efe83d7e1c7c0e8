"""What every raw Amazon asset shares: its group, kinds, owners and daily_writer's partitions and retries."""

import dagster as dg

from ..partitions import daily_writer


def raw_asset(partitions: dg.PartitionsDefinition) -> dict:
    return dict(group_name="amazon_raw", kinds={"amazon", "duckdb"}, owners=["team:data"], **daily_writer(partitions, retry_delay=5))

"""What every raw Amazon asset shares besides daily_writer: its group, kinds and owners."""

from ..partitions import daily_writer

RAW_ASSET = dict(group_name="amazon_raw", kinds={"amazon", "duckdb"}, owners=["team:data"], **daily_writer(retry_delay=5))

"""The one daily partitioning shared by every asset: a partition is a UTC calendar day of purchases."""

import dagster as dg

from .settings import load

daily_partitions = dg.DailyPartitionsDefinition(start_date=load().start_date, timezone="UTC")

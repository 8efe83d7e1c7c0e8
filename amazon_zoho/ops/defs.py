"""Operations: the daily schedule and its job."""

import dagster as dg

from .schedules import daily_refresh_job, daily_refresh_schedule

defs = dg.Definitions(jobs=[daily_refresh_job], schedules=[daily_refresh_schedule])

"""The one place the project's Definitions are assembled: amazon → core → zoho (+ ops), with resources.

Each layer declares its own assets, checks, sensors and jobs in its defs.py; this file only merges them
and binds the resources chosen from the environment.
"""

import warnings

import dagster as dg

# backfill_policy is beta in Dagster 1.13; the warning would repeat in every run's log.
warnings.filterwarnings("ignore", category=dg.BetaWarning)

from . import clock  # noqa: E402
from .amazon.defs import defs as amazon_defs  # noqa: E402
from .core.defs import defs as core_defs  # noqa: E402
from .marts.defs import defs as marts_defs  # noqa: E402
from .ops.analyst_defs import defs as analyst_defs  # noqa: E402
from .ops.defs import defs as ops_defs  # noqa: E402
from .ops.freshness import with_freshness  # noqa: E402
from .resources import build_resources  # noqa: E402
from .settings import validate_environment  # noqa: E402
from .zoho.defs import defs as zoho_defs  # noqa: E402

settings = validate_environment()
if settings.now:
    clock.pin(settings.now)

defs = with_freshness(dg.Definitions.merge(
    amazon_defs,
    core_defs,
    marts_defs,
    zoho_defs,
    ops_defs,
    analyst_defs,
    dg.Definitions(
        resources=build_resources(settings),
        # One process per run: every asset shares the process-wide SP-API token buckets (amazon/pacing.py),
        # and DuckDB sees one writer.
        executor=dg.in_process_executor,
    ),
))

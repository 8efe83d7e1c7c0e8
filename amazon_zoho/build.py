"""How the project's Definitions are assembled: amazon → core → marts → zoho (+ ops), with resources.

`build_defs(settings)` builds everything from one Settings object; each layer's defs.py builds its own
assets, checks, sensors and jobs over the daily partitions that start on `settings.start_date`. Importing this
module builds nothing: code locations (definitions.py, deploy/production/sellers) call it with their settings.
"""

import warnings

import dagster as dg

# backfill_policy is beta in Dagster 1.13; the warning would repeat in every run's log.
warnings.filterwarnings("ignore", category=dg.BetaWarning)

from .amazon import defs as amazon_defs  # noqa: E402
from .core import defs as core_defs  # noqa: E402
from .marts import defs as marts_defs  # noqa: E402
from .ops import defs as ops_defs  # noqa: E402
from .ops.freshness import with_freshness  # noqa: E402
from .partitions import daily_partitions  # noqa: E402
from .resources import build_resources  # noqa: E402
from .settings import Settings  # noqa: E402
from .zoho import defs as zoho_defs  # noqa: E402
from .zoho.mapping import load as load_mapping  # noqa: E402


def build_defs(settings: Settings, key_prefix: str | None = None) -> dg.Definitions:
    """Every asset, check, job, schedule, sensor and resource of one seller account, from its settings.

    `key_prefix` puts `<prefix>/` in front of every asset key: asset history is instance-wide, so two sellers'
    locations on one Dagster instance each need their own keys (deploy/production/sellers)."""
    # The mapping is a setting too: a broken ZOHO_MAPPING_FILE fails here, when the location loads.
    load_mapping(settings.zoho_mapping_file or None)
    partitions = daily_partitions(settings.start_date)
    layers = [
        amazon_defs.build(partitions, inbox_dir=settings.inbox_dir), core_defs.build(partitions), marts_defs.build(partitions),
        zoho_defs.build(partitions),
    ]
    # The analyst copy copies every table these layers write, so it runs after all of them.
    copied = [key for layer in layers for asset in layer.assets or [] for key in asset.keys]
    defs = with_freshness(dg.Definitions.merge(
        *layers,
        ops_defs.build(partitions, settings, copied),
        dg.Definitions(
            resources=build_resources(settings, seller_key=key_prefix or "default"),
            # One process per run: every asset shares the process-wide SP-API token buckets (amazon/pacing.py),
            # and DuckDB sees one writer.
            executor=dg.in_process_executor,
        ),
    ))
    return with_key_prefix(defs, key_prefix) if key_prefix else defs


def with_key_prefix(defs: dg.Definitions, prefix: str) -> dg.Definitions:
    """The same Definitions with `prefix/` in front of every asset key, dependencies and checks included."""
    keys: set[dg.AssetKey] = set()
    for asset in [*(defs.assets or []), *(defs.asset_checks or [])]:
        if not isinstance(asset, dg.AssetsDefinition):
            raise TypeError(f"cannot prefix the keys of {type(asset).__name__} {asset!r}")
        keys |= set(asset.keys) | set(asset.dependency_keys) | {check.asset_key for check in asset.check_keys}
    moved = {key: key.with_prefix(prefix) for key in keys}
    return dg.Definitions(
        assets=[a.with_attributes(asset_key_replacements=moved) for a in defs.assets or []],
        asset_checks=[c.with_attributes(asset_key_replacements=moved) for c in defs.asset_checks or []],
        jobs=defs.jobs,
        schedules=defs.schedules,
        sensors=defs.sensors,
        resources=defs.resources,
        executor=defs.executor,
        loggers=defs.loggers,
        metadata=defs.metadata,
    )

"""One Dagster code location per seller account, for agencies that run several (workspace.yaml here).

Dagster runs each code location, and each run, in its own process. There, before the project's Definitions
load, the seller's settings are taken from the variables prefixed with its name (ACME_EU__AMAZON_LWA_CLIENT_ID
becomes AMAZON_LWA_CLIENT_ID in that process only), and the seller's name is put in front of every asset
key: asset history is instance-wide, so without the prefix two sellers' `core/orders` would be one asset.
"""

import os
import sys

import dagster as dg

from amazon_zoho.settings import AMAZON_SECRETS, ZOHO_SECRETS

# Two sellers sharing one DuckDB file or archive would overwrite each other's partitions.
PER_SELLER = ("AMAZON_ZOHO_WAREHOUSE", "AMAZON_ZOHO_ARCHIVE_DIR")

_loaded: str | None = None


def definitions_for(seller: str) -> dg.Definitions:
    global _loaded
    prefix = seller.upper() + "__"
    if _loaded not in (None, seller) or (_loaded is None and "amazon_zoho.definitions" in sys.modules):
        raise RuntimeError(
            f"seller {seller!r}: the project's settings were already loaded in this process "
            f"({_loaded or 'without a seller'}); give every seller its own code location entry in workspace.yaml"
        )
    own = {name[len(prefix):]: value for name, value in os.environ.items() if name.startswith(prefix)}
    missing = [prefix + name for name in PER_SELLER if not own.get(name)]
    if missing:
        raise RuntimeError(f"seller {seller!r}: set {', '.join(missing)}; every seller needs its own warehouse file and archive")
    # Unprefixed settings are shared by all sellers, but credentials never are: a seller without its own
    # uses the sandbox rather than another account's.
    for name in (*AMAZON_SECRETS, *ZOHO_SECRETS):
        os.environ.pop(name, None)
    os.environ.update(own)
    _loaded = seller

    from amazon_zoho.definitions import defs

    return with_key_prefix(defs, seller)


def with_key_prefix(defs: dg.Definitions, prefix: str) -> dg.Definitions:
    """The same Definitions with `prefix/` in front of every asset key, dependencies and checks included."""
    keys: set[dg.AssetKey] = set()
    for asset in [*(defs.assets or []), *(defs.asset_checks or [])]:
        if isinstance(asset, dg.AssetsDefinition):
            keys |= set(asset.keys) | set(asset.dependency_keys) | {check.asset_key for check in asset.check_keys}
        elif isinstance(asset, dg.AssetSpec):
            keys |= {asset.key} | {dep.asset_key for dep in asset.deps}
        else:
            raise TypeError(f"cannot prefix the keys of {type(asset).__name__} {asset!r}")
    moved = {key: key.with_prefix(prefix) for key in keys}

    def move(asset):
        if isinstance(asset, dg.AssetsDefinition):
            return asset.with_attributes(asset_key_replacements=moved)
        deps = [dg.AssetDep(moved[dep.asset_key], partition_mapping=dep.partition_mapping) for dep in asset.deps]
        return asset.replace_attributes(key=moved[asset.key], deps=deps)

    return dg.Definitions(
        assets=[move(a) for a in defs.assets or []],
        asset_checks=[move(c) for c in defs.asset_checks or []],
        jobs=defs.jobs,
        schedules=defs.schedules,
        sensors=defs.sensors,
        resources=defs.resources,
        executor=defs.executor,
        loggers=defs.loggers,
        metadata=defs.metadata,
    )

"""One Dagster code location per seller account, for agencies that run several (workspace.yaml here).

Each seller's settings are the variables prefixed with its name (ACME_EU__AMAZON_LWA_CLIENT_ID is acme_eu's
client id), read by `Settings.from_env(prefix=...)`; unprefixed settings are shared by every seller, API credentials
never are, and the warehouse file and archive must be the seller's own. The seller's name is put in front of every asset key: asset history is
instance-wide, so without the prefix two sellers' `core/orders` would be one asset. Nothing here touches the
process environment, so several sellers can be built in one process (the tests do).
"""

import os

import dagster as dg

from amazon_zoho import clock
from amazon_zoho.build import build_defs
from amazon_zoho.settings import Settings

# Two sellers sharing one DuckDB file or archive would overwrite each other's partitions.
PER_SELLER = ("AMAZON_ZOHO_WAREHOUSE", "AMAZON_ZOHO_ARCHIVE_DIR")
# On DuckLake the tables live in the lake's catalog (and its files under the data path): two sellers sharing a catalog
# would write the same core.orders, each run replacing the other's rows of its window.
PER_SELLER_LAKE = ("AMAZON_ZOHO_DUCKLAKE_CATALOG", "AMAZON_ZOHO_DUCKLAKE_DATA_PATH")


def definitions_for(seller: str, environ: dict[str, str] | None = None) -> dg.Definitions:
    settings = seller_settings(seller, environ)
    if settings.now:  # the process's clock, shared by every seller it loads
        clock.pin(settings.now)
    return build_defs(settings, key_prefix=seller)


def seller_settings(seller: str, environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    prefix = seller.upper() + "__"
    # The seller's own variables, not the shared ones a prefixed setting falls back to: a shared
    # AMAZON_ZOHO_WAREHOUSE would put every seller in one file.
    missing = [prefix + name for name in PER_SELLER if not env.get(prefix + name)]
    if missing:
        raise RuntimeError(f"seller {seller!r}: set {', '.join(missing)}; every seller needs its own warehouse file and archive")
    settings = Settings.from_env(env, prefix=prefix)
    missing = [prefix + name for name in PER_SELLER_LAKE if not env.get(prefix + name)]
    if settings.warehouse.engine == "ducklake" and missing:
        raise RuntimeError(f"seller {seller!r}: set {', '.join(missing)}; on DuckLake every seller needs its own catalog "
                           "database and data path")
    return settings

"""One Dagster code location per seller account, for agencies that run several (workspace.yaml here).

Each seller's settings are the variables prefixed with its name (ACME_EU__AMAZON_LWA_CLIENT_ID is acme_eu's
client id), read by `Settings.from_env(prefix=...)`; unprefixed settings are shared by every seller, credentials
and the buyer-key salt never are. The seller's name is put in front of every asset key: asset history is
instance-wide, so without the prefix two sellers' `core/orders` would be one asset. Nothing here touches the
process environment, so several sellers can be built in one process (the tests do).
"""

import dagster as dg

from amazon_zoho.definitions import build_defs
from amazon_zoho.settings import Settings

# Two sellers sharing one DuckDB file or archive would overwrite each other's partitions.
PER_SELLER = ("AMAZON_ZOHO_WAREHOUSE", "AMAZON_ZOHO_ARCHIVE_DIR")


def definitions_for(seller: str, environ: dict[str, str] | None = None) -> dg.Definitions:
    return build_defs(seller_settings(seller, environ), key_prefix=seller)


def seller_settings(seller: str, environ: dict[str, str] | None = None) -> Settings:
    settings = Settings.from_env(environ, prefix=seller.upper() + "__")
    shared = Settings.from_env({name: "" for name in PER_SELLER})  # the defaults a seller would silently share
    missing = [settings.prefix + name for name, mine, default in (
        ("AMAZON_ZOHO_WAREHOUSE", settings.warehouse_path, shared.warehouse_path),
        ("AMAZON_ZOHO_ARCHIVE_DIR", settings.archive_dir, shared.archive_dir),
    ) if mine == default]
    if missing:
        raise RuntimeError(f"seller {seller!r}: set {', '.join(missing)}; every seller needs its own warehouse file and archive")
    return settings

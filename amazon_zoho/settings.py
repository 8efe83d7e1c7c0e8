"""Everything the project reads from the environment, validated at load so a typo fails before any run.

No credentials set → the embedded sandbox (AMAZON_ZOHO_SANDBOX_URL); credentials set → the real APIs.
Secrets are handed to resources as dg.EnvVar, so Dagster shows the variable's name, never its value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

from . import clock

MARKETPLACE_REGIONS = {
    # North America
    "ATVPDKIKX0DER": "na", "A2EUQ1WTGCTBG2": "na", "A1AM78C64UM0Y8": "na", "A2Q3Y263D00KWC": "na",
    # Europe, Middle East, India, Africa
    "A1PA6795UKMFR9": "eu", "A1F83G8C2ARO7P": "eu", "A13V1IB3VIYZZH": "eu", "APJ6JRA9NG5V4": "eu",
    "A1RKKUPIHCS9HS": "eu", "A1805IZSGTT6HS": "eu", "A2NODRKZP88ZB9": "eu", "A1C3SOZRARQ6R3": "eu",
    "AMEN7PMS3EDWL": "eu", "A33AVAJ2PDY3EV": "eu", "A2VIGQ35RCS4UG": "eu", "A17E79C6D8DWNP": "eu",
    "A21TJRUUN4KGV": "eu", "ARBP9OOSHTCHU": "eu", "AE08WJ6YKNBMC": "eu", "A28R8C7NBKEWEA": "eu",
    # Far East
    "A1VC38T7YXB528": "fe", "A39IBJ37TRP1C6": "fe", "A19VAU5U5O7RUS": "fe",
}
SANDBOX_MARKETPLACES = "A1PA6795UKMFR9,A1F83G8C2ARO7P,A13V1IB3VIYZZH"
ZOHO_DATA_CENTERS = ("com", "eu", "in", "com.au", "jp", "zohocloud.ca", "com.cn", "sa")
AMAZON_SECRETS = ("AMAZON_LWA_CLIENT_ID", "AMAZON_LWA_CLIENT_SECRET", "AMAZON_LWA_REFRESH_TOKEN")
ZOHO_SECRETS = ("ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN")


class SettingsError(ValueError):
    """A setting is wrong; the message names it and says how to fix it."""


@dataclass(frozen=True)
class Settings:
    start_date: str
    marketplace_ids: list[str]
    region: str
    amazon_sandbox: bool
    zoho_sandbox: bool
    sandbox_url: str
    sandbox_time_scale: float
    zoho_data_center: str
    warehouse_path: str
    archive_dir: str
    schedule_hour: int
    schedule_timezone: str
    lookback_days: int
    zoho_auto_setup: bool
    # Endpoint overrides for proxies and tests; empty means the region's or data centre's own hosts.
    amazon_endpoint: str = ""
    amazon_token_url: str = ""
    zoho_accounts_url: str = ""
    # AMAZON_ZOHO_NOW: pin the one clock (amazon_zoho/clock.py) where the Definitions load; for replays and tests.
    now: str = ""


def load(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    start = env.get("AMAZON_ZOHO_START_DATE", "2026-01-01")
    try:
        date.fromisoformat(start)
    except ValueError:
        raise SettingsError(f"AMAZON_ZOHO_START_DATE={start!r} is not a date; use YYYY-MM-DD, e.g. 2026-01-01") from None

    amazon_sandbox = _credentials_mode("Amazon", AMAZON_SECRETS, env)
    zoho_sandbox = _credentials_mode("Zoho", ZOHO_SECRETS, env)
    marketplaces = [m.strip() for m in env.get("AMAZON_MARKETPLACE_IDS", SANDBOX_MARKETPLACES).split(",") if m.strip()]
    unknown = [m for m in marketplaces if m not in MARKETPLACE_REGIONS]
    if unknown or not marketplaces:
        raise SettingsError(
            f"AMAZON_MARKETPLACE_IDS has unknown marketplace ids {unknown or '(none given)'}; "
            f"use ids from Amazon's marketplace table, e.g. ATVPDKIKX0DER (US) or A1PA6795UKMFR9 (DE)"
        )
    regions = {MARKETPLACE_REGIONS[m] for m in marketplaces}
    region = env.get("AMAZON_REGION") or (regions.pop() if len(regions) == 1 else "")
    if region not in ("na", "eu", "fe") or any(MARKETPLACE_REGIONS[m] != region for m in marketplaces):
        raise SettingsError(
            f"AMAZON_MARKETPLACE_IDS span regions {sorted({MARKETPLACE_REGIONS[m] for m in marketplaces})} but one seller "
            f"account talks to one SP-API region; set AMAZON_REGION (na, eu or fe) and list only that region's marketplaces"
        )
    dc = env.get("ZOHO_DATA_CENTER", "com")
    if dc not in ZOHO_DATA_CENTERS:
        raise SettingsError(f"ZOHO_DATA_CENTER={dc!r} is not a Zoho data centre; use one of {', '.join(ZOHO_DATA_CENTERS)}")
    tz = env.get("AMAZON_ZOHO_SCHEDULE_TIMEZONE", "UTC")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz)
    except Exception:  # noqa: BLE001 - ZoneInfo raises ValueError, KeyError or OSError for a bad name
        raise SettingsError(f"AMAZON_ZOHO_SCHEDULE_TIMEZONE={tz!r} is not an IANA timezone; use e.g. UTC or Europe/Berlin") from None
    now = env.get(clock.ENVIRONMENT_VARIABLE, "")
    if now:
        try:
            clock.parse_instant(now.partition("@")[0])
        except ValueError:
            raise SettingsError(f"AMAZON_ZOHO_NOW={now!r} is not an instant; use ISO 8601 with an offset, e.g. 2026-03-29T00:30:00Z") from None
    return Settings(
        now=now,
        start_date=start,
        marketplace_ids=marketplaces,
        region=region,
        amazon_sandbox=amazon_sandbox,
        zoho_sandbox=zoho_sandbox,
        sandbox_url=env.get("AMAZON_ZOHO_SANDBOX_URL", "http://127.0.0.1:8765").rstrip("/"),
        sandbox_time_scale=_number("AMAZON_ZOHO_SANDBOX_TIME_SCALE", env, "1", float),
        zoho_data_center=dc,
        warehouse_path=env.get("AMAZON_ZOHO_WAREHOUSE", "data/amazon_zoho.duckdb"),
        archive_dir=env.get("AMAZON_ZOHO_ARCHIVE_DIR", "data/archive"),
        schedule_hour=int(_number("AMAZON_ZOHO_SCHEDULE_HOUR", env, "5", int)),
        schedule_timezone=tz,
        lookback_days=int(_number("AMAZON_ZOHO_LOOKBACK_DAYS", env, "3", int)),
        zoho_auto_setup=env.get("ZOHO_AUTO_SETUP", "1").lower() in ("1", "true", "yes"),
        amazon_endpoint=env.get("AMAZON_SPAPI_ENDPOINT", "").rstrip("/"),
        amazon_token_url=env.get("AMAZON_LWA_TOKEN_URL", ""),
        zoho_accounts_url=env.get("ZOHO_ACCOUNTS_URL", "").rstrip("/"),
    )


def _credentials_mode(name: str, keys: tuple[str, ...], env) -> bool:
    present = [k for k in keys if env.get(k)]
    if present and len(present) != len(keys):
        missing = [k for k in keys if k not in present]
        raise SettingsError(f"{name} credentials are incomplete: {', '.join(missing)} not set. "
                            f"Set all of {', '.join(keys)} for the real API, or none for the sandbox")
    return not present


def _number(key: str, env, default: str, kind):
    raw = env.get(key, default)
    try:
        return kind(raw)
    except ValueError:
        raise SettingsError(f"{key}={raw!r} is not a number") from None


def validate_environment(environ: dict[str, str] | None = None) -> Settings:
    """Every setting the project reads, checked when the code location loads, so a typo names itself
    before any run starts instead of failing one asset halfway through a backfill."""
    env = os.environ if environ is None else environ
    settings = load(env)
    # Settings owned by the modules that use them; imported here, not at module top, to avoid cycles.
    from .ops.pii_retention import retention_days
    from .zoho.budget import CreditBudget
    from .zoho.mapping import load as load_mapping

    try:
        retention_days(env)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    CreditBudget.from_env(env)
    load_mapping(env.get("ZOHO_MAPPING_FILE") or None)
    _number("NOTIFY_SMTP_PORT", env, "587", int)
    return settings

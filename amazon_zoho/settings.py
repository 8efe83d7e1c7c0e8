"""Every setting the project reads, from the environment, in one validated object read once at the edge.

A code location or command line calls `Settings.from_env()` (or `from_env(prefix="ACME_EU__")` for one of
several sellers) and hands the object to `definitions.build_defs`; no other module reads the environment.
A typo fails here, naming the variable, before any run starts.

No credentials set → the embedded sandbox (AMAZON_ZOHO_SANDBOX_URL); credentials set → the real APIs.
Secrets are not copied into the object: it keeps the *names* of the variables that hold them, and the
resources read them as dg.EnvVar, so Dagster shows a variable's name, never its value.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from . import clock
from .amazon.marketplaces import REGIONS, regions as marketplace_regions

# Which ids AMAZON_MARKETPLACE_IDS accepts, and each one's SP-API region: amazon/marketplaces.csv, one row each.
MARKETPLACE_REGIONS = marketplace_regions()
SANDBOX_MARKETPLACES = "A1PA6795UKMFR9,A1F83G8C2ARO7P,A13V1IB3VIYZZH"
ZOHO_DATA_CENTERS = ("com", "eu", "in", "com.au", "jp", "zohocloud.ca", "com.cn", "sa")
AMAZON_SECRETS = ("AMAZON_LWA_CLIENT_ID", "AMAZON_LWA_CLIENT_SECRET", "AMAZON_LWA_REFRESH_TOKEN")
ZOHO_SECRETS = ("ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN")
# A seller's API credentials are its own: with a prefix they are never taken from the unprefixed (shared)
# variables, so a seller without its own talks to the sandbox, not to another account. (The buyer-key salt is
# shared like any other setting: a seller's keys must not change because a deployment gained a second seller.)
# The inbox too: a file dropped into a shared inbox would be loaded by whichever seller's sensor saw it first.
NEVER_SHARED = (*AMAZON_SECRETS, *ZOHO_SECRETS, "AMAZON_ZOHO_INBOX_DIR")
# Buyer keys are sha256(salt:email); an unset salt falls back to this (the sandbox and tests), and every
# module that derives a buyer key takes the salt from the one Settings object, so keys always match.
DEFAULT_PII_SALT = "amazon_zoho"
# Amazon's Data Protection Policy: buyer PII "no longer than 30 days after order delivery" (API-FACTS.md §12b).
DEFAULT_PII_RETENTION_DAYS = 30
# A scheduled run that takes longer is stuck (a daily run takes minutes, a year's backfill about 3 h: see
# amazon/order_assets.py); the run-monitoring daemon ends it so it frees the one warehouse-writer slot.
DEFAULT_MAX_RUN_HOURS = 6.0
# Zoho's API-limits table: 50,000 + per-user credits on paid editions, 5,000 on Free (zoho/budget.py).
DEFAULT_DAILY_CREDITS, DEFAULT_CREDIT_RESERVE = 50_000, 1_000
# How long a push reuses the field metadata an earlier run read (zoho/field_cache.py): Zoho's SDK reads it again after an hour.
DEFAULT_ZOHO_FIELDS_MAX_AGE_MINUTES = 60.0
# Report files downloaded by hand from Seller Central are dropped here (amazon/inbox_sensor.py); unset, the
# inbox is this folder beside the warehouse file (data/inbox), so each seller's is its own.
INBOX_FOLDER = "inbox"
DEFAULT_INBOX_DIR = "data/" + INBOX_FOLDER
# Access tokens every process of the deployment shares (http/token_store.py); unset, this folder beside the warehouse
# file (data/tokens). Processes on several machines (DuckLake writers) share it only on a shared filesystem.
TOKENS_FOLDER = "tokens"
# DuckDB's own default memory_limit is 80 % of RAM (https://duckdb.org/docs/stable/configuration/overview), so every
# temp table of a long window stayed in memory: peak RSS grew ~8.8 MB per day of the range, 3.3 GB at 365 days
# (issue 17). The goal is a client peak of 1 GiB at any window. The process holds 250-330 MB between steps (Python,
# Dagster, our code), and DuckDB uses 150-300 MB beyond its limit that its buffer manager does not count (commits,
# the CSV reader, JSON building: measured outside Dagster on the 14-day warehouse at 10,000 orders a day). At 512MB
# the steps of that run peaked at 0.94-1.17 GB; at 256MB the order report load went from 1,181 to 799-857 MB, the
# core.orders build from 699 to 470 MB (and 45 to 38 s), the Sales Orders payloads from 700 to 469 MB (15 to 25 s).
# Past the limit, joins, sorts, aggregates and temp tables spill to the temp directory. Raise it on a machine with
# memory to spare.
DEFAULT_DUCKDB_MEMORY_LIMIT = "256MB"
# Spill files of DuckDB's out-of-core operators go here (beside the warehouse file, on its disk, not in /tmp).
DUCKDB_TEMP_FOLDER = "duckdb_tmp"
# DuckDB's size strings (https://duckdb.org/docs/stable/configuration/overview, memory_limit): a number and a unit,
# where MB is 10**6 bytes and MiB 2**20.
_SIZE_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_DUCKDB_SIZE = re.compile(rf"\s*(\d+(?:\.\d+)?)\s*({'|'.join(_SIZE_UNITS)})\s*", re.IGNORECASE)


def size_bytes(text: str) -> int:
    """A size as DuckDB takes it ("512MB") or prints it ("488.2 MiB"), in bytes; ValueError for anything else."""
    match = _DUCKDB_SIZE.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a DuckDB size")
    return round(float(match[1]) * _SIZE_UNITS[match[2].lower()])


# The DuckDB file, or a DuckLake (catalog in PostgreSQL, data in S3 or a directory): warehouse/engine.py.
WAREHOUSE_ENGINES = ("duckdb", "ducklake")

# Intraday orders (issue #15, amazon/intraday.py). ORDER_CHANGE notifications arrive in this queue (created by
# `make intraday-setup` when no AMAZON_NOTIFICATIONS_QUEUE_URL is set: the sandbox's SQS, found through the sandbox).
DEFAULT_NOTIFICATIONS_QUEUE = "amazon-zoho-order-change"
# A queue silent this long may be broken on Amazon's side (a deleted subscription, a revoked queue policy): polling
# searchOrders by lastUpdatedAfter takes over until a notification arrives again. A quiet shop hears nothing for hours
# too, so the fallback polls at its own, slower cadence (below) and costs no more than the order-updates sensor.
DEFAULT_INTRADAY_SILENCE_MINUTES = 30
# How often the fallback polls searchOrders: it refills one call per 180 s after a burst of 20 (API-FACTS §2b), and
# the order-updates sensor and the daily runs draw on the same bucket.
DEFAULT_INTRADAY_POLL_SECONDS = 300
# Up to this many changed orders pending, each is fetched with getOrder (0.5/s, burst 30: API-FACTS §2b), which sees a
# change at once; more, and one searchOrders by lastUpdatedAfter (100 orders a page, but blind to the last 2 minutes)
# costs fewer calls. 20 leaves a third of getOrder's burst to the runs' buyer lookups.
DEFAULT_INTRADAY_GETORDER_MAX = 20
# Seconds between two intraday runs (0: a run every tick with changes). Each run costs Zoho a few credits whatever it
# carries (a call per module is at least one credit, and the push reads the module's settings: make bench's intraday
# figures), so a shop that can wait trades latency for credits here.
DEFAULT_INTRADAY_RUN_EVERY_SECONDS = 0


@dataclass(frozen=True)
class IntradaySettings:
    """ORDER_CHANGE notifications through SQS (amazon/intraday.py, make intraday-setup). AWS credentials and region
    are boto3's own (AWS_ACCESS_KEY_ID, AWS_PROFILE, ...): boto3 reads them itself and they never pass through here."""

    enabled: bool = True
    queue_url: str = ""  # AMAZON_NOTIFICATIONS_QUEUE_URL; empty: the sandbox's queue, or polling only
    queue_name: str = DEFAULT_NOTIFICATIONS_QUEUE
    sqs_endpoint_url: str = ""  # AWS_ENDPOINT_URL_SQS, boto3's own variable; empty: AWS's, or the sandbox's
    aws_region: str = ""  # AWS_REGION / AWS_DEFAULT_REGION; empty: the queue URL's region
    silence_minutes: float = DEFAULT_INTRADAY_SILENCE_MINUTES
    poll_seconds: int = DEFAULT_INTRADAY_POLL_SECONDS
    getorder_max: int = DEFAULT_INTRADAY_GETORDER_MAX
    run_every_seconds: int = DEFAULT_INTRADAY_RUN_EVERY_SECONDS


class SettingsError(ValueError):
    """A setting is wrong; the message names it and says how to fix it."""


@dataclass(frozen=True)
class NotifySettings:
    """Where failure and no-orders notifications go (ops/notify.py); nothing set → a log line."""

    webhook_variable: str = ""  # the variable holding the webhook URL (its path is a secret), if set
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password_variable: str = ""  # the variable holding the SMTP password, if set
    smtp_from: str = ""
    smtp_to: tuple[str, ...] = ()
    smtp_starttls: bool = True


@dataclass(frozen=True)
class WarehouseEngine:
    """Which engine holds the warehouse (warehouse/engine.py): the DuckDB file (AMAZON_ZOHO_WAREHOUSE) or a DuckLake.

    The catalog DSN is libpq's (host=... port=... dbname=... user=...) without the password, which stays in the
    variable named by catalog_password_variable; S3 keys likewise stay in theirs (the resource reads them as dg.EnvVar).
    """

    engine: str = "duckdb"
    ducklake_catalog: str = ""
    catalog_password_variable: str = ""
    ducklake_data_path: str = ""
    s3_endpoint: str = ""
    s3_region: str = "us-east-1"
    s3_key_id_variable: str = ""
    s3_secret_variable: str = ""
    s3_use_ssl: bool = True

    @property
    def is_lake(self) -> bool:
        return self.engine == "ducklake"


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
    # The prefix every variable was read with ("" for one seller, "ACME_EU__" for one of several).
    prefix: str = ""
    # The variable holding the buyer-key salt, or "" for DEFAULT_PII_SALT.
    pii_salt_variable: str = ""
    pii_retention_days: int = DEFAULT_PII_RETENTION_DAYS
    # Empty: analyst.duckdb beside the warehouse (ops/analyst_copy.py).
    analyst_copy_path: str = ""
    # Empty: the mapping shipped in amazon_zoho/zoho/mapping.yaml.
    zoho_mapping_file: str = ""
    zoho_daily_credits: int = DEFAULT_DAILY_CREDITS
    zoho_credit_reserve: int = DEFAULT_CREDIT_RESERVE
    zoho_fields_max_age_minutes: float = DEFAULT_ZOHO_FIELDS_MAX_AGE_MINUTES
    notify: NotifySettings = field(default_factory=NotifySettings)
    intraday: IntradaySettings = field(default_factory=IntradaySettings)
    inbox_dir: str = DEFAULT_INBOX_DIR
    token_cache_dir: str = "data/" + TOKENS_FOLDER
    # AMAZON_ZOHO_MAX_RUN_HOURS: the time limit of the daily job's runs (Dagster's dagster/max_runtime tag).
    max_run_hours: float = DEFAULT_MAX_RUN_HOURS
    # DuckDB's memory_limit, threads (0: DuckDB's own, one per core) and temp_directory for every warehouse connection.
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    duckdb_threads: int = 0
    duckdb_temp_dir: str = "data/" + DUCKDB_TEMP_FOLDER
    warehouse: WarehouseEngine = field(default_factory=lambda: WarehouseEngine())

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, prefix: str = "") -> Settings:
        """The settings of one seller. With `prefix`, `<prefix>NAME` wins over `NAME`, which sellers share,
        except for NEVER_SHARED names (API credentials, the inbox), which are only ever read with the prefix."""
        return _read(_Source(os.environ if environ is None else environ, prefix))

    def secret_variable(self, name: str) -> str:
        """The environment variable a resource reads secret `name` from (dg.EnvVar), prefix included."""
        return self.prefix + name


load = Settings.from_env


class _Source:
    """Reads `<prefix>NAME`, falling back to `NAME` for settings sellers share; names the variable in errors."""

    def __init__(self, env, prefix: str):
        self.env, self.prefix = env, prefix

    def variable(self, name: str) -> str:
        """The variable `name` is read from: the prefixed one when it is set or must be."""
        own = self.prefix + name
        if not self.prefix or name in NEVER_SHARED or self.env.get(own, "") != "":
            return own
        return name

    def get(self, name: str, default: str = "") -> str:
        value = self.env.get(self.variable(name))
        return default if value is None or value == "" else value

    def number(self, name: str, default, kind=int, minimum=None, unit: str = "number"):
        raw = self.get(name, str(default))
        try:
            value = kind(raw)
        except ValueError:
            raise SettingsError(f"{self.variable(name)}={raw!r} is not a {unit}") from None
        if minimum is not None and value < minimum:
            raise SettingsError(f"{self.variable(name)}={raw!r} must be at least {minimum}")
        return value

    def flag(self, name: str, default: str) -> bool:
        return self.get(name, default).lower() in ("1", "true", "yes")

    def secret(self, name: str) -> str:
        """The variable holding secret `name` when it is set (the value stays in the environment), else ""."""
        return self.variable(name) if self.get(name) else ""


def _read(src: _Source) -> Settings:
    start = src.get("AMAZON_ZOHO_START_DATE", "2026-01-01")
    try:
        date.fromisoformat(start)
    except ValueError:
        raise SettingsError(f"{src.variable('AMAZON_ZOHO_START_DATE')}={start!r} is not a date; use YYYY-MM-DD, e.g. 2026-01-01") from None
    marketplaces, region = _marketplaces(src)
    warehouse = src.get("AMAZON_ZOHO_WAREHOUSE", "data/amazon_zoho.duckdb")
    dc = src.get("ZOHO_DATA_CENTER", "com")
    if dc not in ZOHO_DATA_CENTERS:
        raise SettingsError(f"{src.variable('ZOHO_DATA_CENTER')}={dc!r} is not a Zoho data centre; use one of {', '.join(ZOHO_DATA_CENTERS)}")
    tz = src.get("AMAZON_ZOHO_SCHEDULE_TIMEZONE", "UTC")
    try:
        ZoneInfo(tz)
    except Exception:  # noqa: BLE001 - ZoneInfo raises ValueError, KeyError or OSError for a bad name
        raise SettingsError(f"{src.variable('AMAZON_ZOHO_SCHEDULE_TIMEZONE')}={tz!r} is not an IANA timezone; use e.g. UTC or Europe/Berlin") from None
    now = src.get(clock.ENVIRONMENT_VARIABLE)
    if now:
        try:
            clock.parse_instant(now.partition("@")[0])
        except ValueError:
            raise SettingsError(
                f"{src.variable(clock.ENVIRONMENT_VARIABLE)}={now!r} is not an instant; use ISO 8601 with an offset, e.g. 2026-03-29T00:30:00Z"
            ) from None
    memory_limit = src.get("AMAZON_ZOHO_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMIT).strip()
    if not _DUCKDB_SIZE.fullmatch(memory_limit):
        raise SettingsError(
            f"{src.variable('AMAZON_ZOHO_DUCKDB_MEMORY_LIMIT')}={memory_limit!r} is not a size; use a number and a unit, e.g. 512MB or 2GB"
        )
    return Settings(
        warehouse=_warehouse_engine(src),
        now=now,
        prefix=src.prefix,
        start_date=start,
        marketplace_ids=marketplaces,
        region=region,
        amazon_sandbox=_credentials_mode("Amazon", AMAZON_SECRETS, src),
        zoho_sandbox=_credentials_mode("Zoho", ZOHO_SECRETS, src),
        sandbox_url=src.get("AMAZON_ZOHO_SANDBOX_URL", "http://127.0.0.1:8765").rstrip("/"),
        sandbox_time_scale=src.number("AMAZON_ZOHO_SANDBOX_TIME_SCALE", 1, float),
        zoho_data_center=dc,
        warehouse_path=warehouse,
        archive_dir=src.get("AMAZON_ZOHO_ARCHIVE_DIR", "data/archive"),
        inbox_dir=src.get("AMAZON_ZOHO_INBOX_DIR", str(Path(warehouse).parent / INBOX_FOLDER)),
        token_cache_dir=src.get("AMAZON_ZOHO_TOKEN_CACHE_DIR", str(Path(warehouse).parent / TOKENS_FOLDER)),
        schedule_hour=src.number("AMAZON_ZOHO_SCHEDULE_HOUR", 5),
        schedule_timezone=tz,
        lookback_days=src.number("AMAZON_ZOHO_LOOKBACK_DAYS", 3),
        zoho_auto_setup=src.flag("ZOHO_AUTO_SETUP", "1"),
        amazon_endpoint=src.get("AMAZON_SPAPI_ENDPOINT").rstrip("/"),
        amazon_token_url=src.get("AMAZON_LWA_TOKEN_URL"),
        zoho_accounts_url=src.get("ZOHO_ACCOUNTS_URL").rstrip("/"),
        pii_salt_variable=src.secret("AMAZON_ZOHO_PII_SALT"),
        pii_retention_days=src.number(
            "AMAZON_ZOHO_PII_RETENTION_DAYS", DEFAULT_PII_RETENTION_DAYS, minimum=0,
            unit=f"whole number of days >= 0; Amazon's policy default is {DEFAULT_PII_RETENTION_DAYS}",
        ),
        analyst_copy_path=src.get("AMAZON_ZOHO_ANALYST_COPY"),
        zoho_mapping_file=src.get("ZOHO_MAPPING_FILE"),
        zoho_daily_credits=src.number("ZOHO_DAILY_CREDITS", DEFAULT_DAILY_CREDITS, minimum=0, unit="whole number of API credits"),
        zoho_credit_reserve=src.number("ZOHO_CREDIT_RESERVE", DEFAULT_CREDIT_RESERVE, minimum=0, unit="whole number of API credits"),
        zoho_fields_max_age_minutes=src.number("ZOHO_FIELDS_MAX_AGE_MINUTES", DEFAULT_ZOHO_FIELDS_MAX_AGE_MINUTES, float, minimum=0,
                                               unit="number of minutes (0: read the fields every run)"),
        duckdb_memory_limit=memory_limit,
        duckdb_threads=src.number("AMAZON_ZOHO_DUCKDB_THREADS", 0, minimum=0, unit="whole number of threads (0: one per core)"),
        duckdb_temp_dir=src.get("AMAZON_ZOHO_DUCKDB_TEMP_DIR", str(Path(warehouse).parent / DUCKDB_TEMP_FOLDER)),
        max_run_hours=src.number("AMAZON_ZOHO_MAX_RUN_HOURS", DEFAULT_MAX_RUN_HOURS, float, minimum=0.01, unit="hours"),
        intraday=_intraday(src),
        notify=NotifySettings(
            webhook_variable=src.secret("NOTIFY_WEBHOOK_URL"),
            smtp_host=src.get("NOTIFY_SMTP_HOST"),
            smtp_port=src.number("NOTIFY_SMTP_PORT", 587),
            smtp_user=src.get("NOTIFY_SMTP_USER"),
            smtp_password_variable=src.secret("NOTIFY_SMTP_PASSWORD"),
            smtp_from=src.get("NOTIFY_SMTP_FROM"),
            smtp_to=tuple(a.strip() for a in src.get("NOTIFY_SMTP_TO").split(",") if a.strip()),
            smtp_starttls=src.flag("NOTIFY_SMTP_STARTTLS", "1"),
        ),
    )


def _warehouse_engine(src: _Source) -> WarehouseEngine:
    engine = src.get("AMAZON_ZOHO_WAREHOUSE_ENGINE", "duckdb").strip().lower()
    if engine not in WAREHOUSE_ENGINES:
        raise SettingsError(f"{src.variable('AMAZON_ZOHO_WAREHOUSE_ENGINE')}={engine!r} is not an engine; use one of {', '.join(WAREHOUSE_ENGINES)}")
    if engine == "duckdb":
        return WarehouseEngine()
    catalog, data = src.get("AMAZON_ZOHO_DUCKLAKE_CATALOG").strip(), src.get("AMAZON_ZOHO_DUCKLAKE_DATA_PATH").strip()
    if not catalog or not data:
        raise SettingsError(
            f"the ducklake engine needs {src.variable('AMAZON_ZOHO_DUCKLAKE_CATALOG')} (a libpq DSN, e.g. host=db port=5432 "
            f"dbname=amazon_zoho_lake user=lake) and {src.variable('AMAZON_ZOHO_DUCKLAKE_DATA_PATH')} (s3://bucket/prefix/ or a directory)"
        )
    if re.search(r"password\s*=", catalog, re.IGNORECASE) or "://" in catalog:
        # Never echo the value: it may hold the password.
        raise SettingsError(
            f"{src.variable('AMAZON_ZOHO_DUCKLAKE_CATALOG')} must be a libpq key=value DSN without a password; put the password in "
            f"{src.variable('AMAZON_ZOHO_DUCKLAKE_CATALOG_PASSWORD')}"
        )
    return WarehouseEngine(
        engine=engine,
        ducklake_catalog=catalog,
        catalog_password_variable=src.secret("AMAZON_ZOHO_DUCKLAKE_CATALOG_PASSWORD"),
        ducklake_data_path=data,
        s3_endpoint=src.get("AMAZON_ZOHO_S3_ENDPOINT"),
        s3_region=src.get("AMAZON_ZOHO_S3_REGION", "us-east-1"),
        s3_key_id_variable=src.secret("AWS_ACCESS_KEY_ID"),
        s3_secret_variable=src.secret("AWS_SECRET_ACCESS_KEY"),
        s3_use_ssl=src.flag("AMAZON_ZOHO_S3_USE_SSL", "1"),
    )


def _intraday(src: _Source) -> IntradaySettings:
    queue_url = src.get("AMAZON_NOTIFICATIONS_QUEUE_URL").strip()
    if queue_url and not re.match(r"^https?://[^/\s]+/\d+/[A-Za-z0-9_-]{1,80}(\.fifo)?$", queue_url):
        # An SQS queue URL is https://sqs.<region>.amazonaws.com/<account id>/<queue name>
        # (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html).
        raise SettingsError(
            f"{src.variable('AMAZON_NOTIFICATIONS_QUEUE_URL')}={queue_url!r} is not an SQS queue URL; use "
            "https://sqs.<region>.amazonaws.com/<account id>/<queue name>, as `aws sqs get-queue-url` prints it"
        )
    return IntradaySettings(
        enabled=src.flag("AMAZON_ZOHO_INTRADAY", "1"),
        queue_url=queue_url,
        queue_name=queue_url.rsplit("/", 1)[-1] if queue_url else src.get("AMAZON_NOTIFICATIONS_QUEUE_NAME", DEFAULT_NOTIFICATIONS_QUEUE),
        sqs_endpoint_url=src.get("AWS_ENDPOINT_URL_SQS").rstrip("/"),
        aws_region=src.get("AWS_REGION") or src.get("AWS_DEFAULT_REGION"),
        silence_minutes=src.number("AMAZON_ZOHO_INTRADAY_SILENCE_MINUTES", DEFAULT_INTRADAY_SILENCE_MINUTES, float, minimum=1, unit="number of minutes"),
        poll_seconds=src.number("AMAZON_ZOHO_INTRADAY_POLL_SECONDS", DEFAULT_INTRADAY_POLL_SECONDS, minimum=30, unit="whole number of seconds"),
        getorder_max=src.number("AMAZON_ZOHO_INTRADAY_GETORDER_MAX", DEFAULT_INTRADAY_GETORDER_MAX, minimum=0, unit="whole number of orders"),
        run_every_seconds=src.number("AMAZON_ZOHO_INTRADAY_RUN_EVERY_SECONDS", DEFAULT_INTRADAY_RUN_EVERY_SECONDS, minimum=0,
                                     unit="whole number of seconds"),
    )


def _marketplaces(src: _Source) -> tuple[list[str], str]:
    marketplaces = [m.strip() for m in src.get("AMAZON_MARKETPLACE_IDS", SANDBOX_MARKETPLACES).split(",") if m.strip()]
    unknown = [m for m in marketplaces if m not in MARKETPLACE_REGIONS]
    if unknown or not marketplaces:
        raise SettingsError(
            f"{src.variable('AMAZON_MARKETPLACE_IDS')} has unknown marketplace ids {unknown or '(none given)'}; "
            f"use ids from Amazon's marketplace table, e.g. ATVPDKIKX0DER (US) or A1PA6795UKMFR9 (DE)"
        )
    regions = {MARKETPLACE_REGIONS[m] for m in marketplaces}
    region = src.get("AMAZON_REGION") or (regions.pop() if len(regions) == 1 else "")
    if region not in REGIONS or any(MARKETPLACE_REGIONS[m] != region for m in marketplaces):
        raise SettingsError(
            f"{src.variable('AMAZON_MARKETPLACE_IDS')} span regions {sorted({MARKETPLACE_REGIONS[m] for m in marketplaces})} but one "
            f"seller account talks to one SP-API region; set {src.variable('AMAZON_REGION')} ({', '.join(REGIONS)}) and list only "
            f"that region's marketplaces"
        )
    return marketplaces, region


def _credentials_mode(name: str, keys: tuple[str, ...], src: _Source) -> bool:
    present = [src.variable(k) for k in keys if src.get(k)]
    if present and len(present) != len(keys):
        missing = [src.variable(k) for k in keys if not src.get(k)]
        names = ", ".join(src.variable(k) for k in keys)
        raise SettingsError(f"{name} credentials are incomplete: {', '.join(missing)} not set. Set all of {names} for the real API, or none for the sandbox")
    return not present

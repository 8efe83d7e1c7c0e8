"""The one place that turns Settings into resources: sandbox or real endpoints, and every runtime setting.

Secrets reach resources as dg.EnvVar named by Settings (prefix included), so the UI and run config show
variable names, never values. With no credentials set, resources point at the embedded sandbox and use
the credentials it accepts.
"""

from __future__ import annotations

import dataclasses

import dagster as dg

from .amazon.queue import NotificationQueueResource
from .amazon.resource import AmazonSellerResource
from .ops.notify import NotifyResource
from .settings import DEFAULT_PII_SALT, Settings
from .warehouse import WarehouseResource
from .zoho.resource import ZohoCrmResource


def amazon_resource(settings: Settings, seller_key: str = "default") -> AmazonSellerResource:
    common = dict(marketplace_ids=settings.marketplace_ids, region=settings.region, lookback_days=settings.lookback_days, seller_key=seller_key)
    if settings.amazon_sandbox:
        from .sandbox.config import LWA_CLIENT_ID, LWA_CLIENT_SECRET, LWA_REFRESH_TOKEN  # public sandbox values, not secrets

        return AmazonSellerResource(
            lwa_client_id=LWA_CLIENT_ID,
            lwa_client_secret=LWA_CLIENT_SECRET,
            lwa_refresh_token=LWA_REFRESH_TOKEN,
            endpoint=settings.sandbox_url,
            lwa_token_url=settings.sandbox_url + "/auth/o2/token",
            time_scale=settings.sandbox_time_scale,
            **common,
        )
    return AmazonSellerResource(
        lwa_client_id=dg.EnvVar(settings.secret_variable("AMAZON_LWA_CLIENT_ID")),
        lwa_client_secret=dg.EnvVar(settings.secret_variable("AMAZON_LWA_CLIENT_SECRET")),
        lwa_refresh_token=dg.EnvVar(settings.secret_variable("AMAZON_LWA_REFRESH_TOKEN")),
        endpoint=settings.amazon_endpoint,
        **({"lwa_token_url": settings.amazon_token_url} if settings.amazon_token_url else {}),
        **common,
    )


def zoho_resource(settings: Settings) -> ZohoCrmResource:
    common = dict(
        mapping_file=settings.zoho_mapping_file, daily_credits=settings.zoho_daily_credits, credit_reserve=settings.zoho_credit_reserve,
        auto_setup=settings.zoho_auto_setup, fields_max_age_minutes=settings.zoho_fields_max_age_minutes,
        token_cache_dir=settings.token_cache_dir,
    )
    if settings.zoho_sandbox:
        from .sandbox.config import ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN

        return ZohoCrmResource(
            client_id=ZOHO_CLIENT_ID,
            client_secret=ZOHO_CLIENT_SECRET,
            refresh_token=ZOHO_REFRESH_TOKEN,
            accounts_url=settings.sandbox_url,
            **common,
        )
    return ZohoCrmResource(
        client_id=dg.EnvVar(settings.secret_variable("ZOHO_CLIENT_ID")),
        client_secret=dg.EnvVar(settings.secret_variable("ZOHO_CLIENT_SECRET")),
        refresh_token=dg.EnvVar(settings.secret_variable("ZOHO_REFRESH_TOKEN")),
        data_center=settings.zoho_data_center,
        accounts_url=settings.zoho_accounts_url,
        **common,
    )


def warehouse_resource(settings: Settings) -> WarehouseResource:
    return WarehouseResource(
        database=settings.warehouse_path,
        archive_dir=settings.archive_dir,
        pii_salt=dg.EnvVar(settings.pii_salt_variable) if settings.pii_salt_variable else DEFAULT_PII_SALT,
        pii_retention_days=settings.pii_retention_days,
        analyst_copy=settings.analyst_copy_path,
        connection_config=duckdb_config(settings),
        **lake_fields(settings),
    )


def lake_fields(settings: Settings) -> dict:
    """The DuckLake engine's fields of the warehouse resource; its secrets as dg.EnvVar (names, never values)."""
    w = settings.warehouse
    if not w.is_lake:
        return {}
    return dict(
        engine=w.engine, ducklake_catalog=w.ducklake_catalog, ducklake_data_path=w.ducklake_data_path,
        ducklake_catalog_password=dg.EnvVar(w.catalog_password_variable) if w.catalog_password_variable else "",
        s3_endpoint=w.s3_endpoint, s3_region=w.s3_region, s3_use_ssl=w.s3_use_ssl,
        s3_key_id=dg.EnvVar(w.s3_key_id_variable) if w.s3_key_id_variable else "",
        s3_secret=dg.EnvVar(w.s3_secret_variable) if w.s3_secret_variable else "",
    )


def duckdb_config(settings: Settings) -> dict:
    """DuckDB settings every warehouse connection opens with: bounded memory, spilling to the temp directory."""
    config = {"memory_limit": settings.duckdb_memory_limit, "temp_directory": settings.duckdb_temp_dir}
    return {**config, "threads": settings.duckdb_threads} if settings.duckdb_threads else config


def notify_resource(settings: Settings) -> NotifyResource:
    """Settings.notify as a resource; the two secrets are named by their variables and read as dg.EnvVar."""
    n = settings.notify
    plain = {k: v for k, v in dataclasses.asdict(n).items() if not k.endswith("_variable")}
    return NotifyResource(
        **{**plain, "smtp_to": list(n.smtp_to)},
        webhook_url=dg.EnvVar(n.webhook_variable) if n.webhook_variable else "",
        smtp_password=dg.EnvVar(n.smtp_password_variable) if n.smtp_password_variable else "",
    )


def queue_resource(settings: Settings) -> NotificationQueueResource:
    """Where ORDER_CHANGE notifications arrive: the configured SQS queue, or the sandbox's (its endpoint asked of the
    sandbox, unless AWS_ENDPOINT_URL_SQS names one). No secret here: boto3 finds AWS credentials itself."""
    i = settings.intraday
    return NotificationQueueResource(
        enabled=i.enabled, queue_url=i.queue_url, queue_name=i.queue_name, endpoint_url=i.sqs_endpoint_url, region=i.aws_region,
        sandbox_url=settings.sandbox_url if settings.amazon_sandbox and not i.queue_url else "",
        silence_minutes=i.silence_minutes, poll_seconds=i.poll_seconds, getorder_max=i.getorder_max,
        run_every_seconds=i.run_every_seconds,
    )


def build_resources(settings: Settings, seller_key: str = "default") -> dict:
    """`seller_key` keeps two sellers' SP-API rate-limit buckets apart when they share a process."""
    return {
        "amazon": amazon_resource(settings, seller_key),
        "zoho": zoho_resource(settings),
        "warehouse": warehouse_resource(settings),
        "notifier": notify_resource(settings),
        "order_queue": queue_resource(settings),
    }

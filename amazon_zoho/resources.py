"""The one place that chooses sandbox or real endpoints, from the environment (see settings.py).

Secrets reach resources as dg.EnvVar, so the UI and run config show variable names, never values. With
no credentials set, resources point at the embedded sandbox and use the credentials it accepts.
"""

from __future__ import annotations

import dagster as dg

from .amazon.resource import AmazonSellerResource
from .settings import Settings
from .warehouse import WarehouseResource
from .zoho.resource import ZohoCrmResource


def amazon_resource(settings: Settings) -> AmazonSellerResource:
    if settings.amazon_sandbox:
        from .sandbox.config import LWA_CLIENT_ID, LWA_CLIENT_SECRET, LWA_REFRESH_TOKEN  # public sandbox values, not secrets

        return AmazonSellerResource(
            lwa_client_id=LWA_CLIENT_ID,
            lwa_client_secret=LWA_CLIENT_SECRET,
            lwa_refresh_token=LWA_REFRESH_TOKEN,
            marketplace_ids=settings.marketplace_ids,
            region=settings.region,
            endpoint=settings.sandbox_url,
            lwa_token_url=settings.sandbox_url + "/auth/o2/token",
            time_scale=settings.sandbox_time_scale,
        )
    return AmazonSellerResource(
        lwa_client_id=dg.EnvVar("AMAZON_LWA_CLIENT_ID"),
        lwa_client_secret=dg.EnvVar("AMAZON_LWA_CLIENT_SECRET"),
        lwa_refresh_token=dg.EnvVar("AMAZON_LWA_REFRESH_TOKEN"),
        marketplace_ids=settings.marketplace_ids,
        region=settings.region,
        endpoint=settings.amazon_endpoint,
        **({"lwa_token_url": settings.amazon_token_url} if settings.amazon_token_url else {}),
    )


def zoho_resource(settings: Settings) -> ZohoCrmResource:
    if settings.zoho_sandbox:
        from .sandbox.config import ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN

        return ZohoCrmResource(
            client_id=ZOHO_CLIENT_ID,
            client_secret=ZOHO_CLIENT_SECRET,
            refresh_token=ZOHO_REFRESH_TOKEN,
            accounts_url=settings.sandbox_url,
        )
    return ZohoCrmResource(
        client_id=dg.EnvVar("ZOHO_CLIENT_ID"),
        client_secret=dg.EnvVar("ZOHO_CLIENT_SECRET"),
        refresh_token=dg.EnvVar("ZOHO_REFRESH_TOKEN"),
        data_center=settings.zoho_data_center,
        accounts_url=settings.zoho_accounts_url,
        auto_setup=settings.zoho_auto_setup,
    )


def build_resources(settings: Settings) -> dict:
    return {
        "amazon": amazon_resource(settings),
        "zoho": zoho_resource(settings),
        "warehouse": WarehouseResource(path=settings.warehouse_path, archive_dir=settings.archive_dir),
    }

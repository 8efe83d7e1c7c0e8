"""Shared fixtures: a sandbox on an ephemeral loopback port and project resources pointed at it."""

import pytest

from amazon_zoho.resources import build_resources
from amazon_zoho.sandbox import Sandbox, SandboxConfig
from amazon_zoho.settings import load


@pytest.fixture
def sandbox(tmp_path):
    # Fast clocks, same arithmetic: rate limits refill 1000x faster, reports finish in milliseconds.
    config = SandboxConfig(orders_per_day=12, time_scale=1000.0, report_processing_seconds=0.5)
    with Sandbox(port=0, config=config, state_dir=tmp_path / "sandbox") as sb:
        yield sb


@pytest.fixture
def project_env(sandbox, tmp_path) -> dict[str, str]:
    return {
        "AMAZON_ZOHO_SANDBOX_URL": sandbox.url,
        "AMAZON_ZOHO_SANDBOX_TIME_SCALE": "1000",
        "AMAZON_ZOHO_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "AMAZON_ZOHO_ARCHIVE_DIR": str(tmp_path / "archive"),
    }


@pytest.fixture
def resources(project_env) -> dict:
    return build_resources(load(project_env))

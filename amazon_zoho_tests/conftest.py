"""Shared fixtures: the pinned clock, a sandbox on an ephemeral loopback port and project resources pointed at it."""

import os

import pytest

from amazon_zoho import clock
from amazon_zoho.resources import build_resources
from amazon_zoho.sandbox import Sandbox, SandboxConfig
from amazon_zoho.settings import load
from amazon_zoho_tests.truth import PLAIN_DAY

# Every test runs at this instant (then the clock runs on), so the suite passes the same way on any day the
# machine says it is. Tests that need a hard date pin their own (amazon_zoho_tests/e2e/test_hard_dates.py);
# AMAZON_ZOHO_TEST_NOW runs the suite at another instant, or at the machine's own clock with "system".
SUITE_NOW = os.environ.get("AMAZON_ZOHO_TEST_NOW") or PLAIN_DAY


@pytest.fixture(autouse=True)
def pinned_clock(request, monkeypatch):
    # @pytest.mark.system_clock: a test that starts processes we cannot pin (Dagster's daemon) runs on the
    # machine's clock instead, so both sides of it still read one time.
    if SUITE_NOW == "system" or request.node.get_closest_marker("system_clock"):
        monkeypatch.delenv(clock.ENVIRONMENT_VARIABLE, raising=False)
        yield
        return
    with clock.pinned(SUITE_NOW):
        # Processes a test starts (a backfill, a code location, dagster dev) read the same clock as the test.
        monkeypatch.setenv(clock.ENVIRONMENT_VARIABLE, clock.anchor())
        yield


def pytest_configure(config):
    config.addinivalue_line("markers", "system_clock: run on the machine's clock instead of the suite's pinned instant")


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

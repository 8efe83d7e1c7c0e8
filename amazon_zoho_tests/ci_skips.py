"""In CI a skipped test is a failure, unless CI cannot give it what it needs.

A test skips when something it needs is missing. On a developer's machine that is fine (`-rfEsx` prints why). In
CI (the CI environment variable set to anything but "", 0, false, no or off; .ci/run sets CI=true) everything
the project installs or ships is there: Python packages from pyproject, Debian's Chromium, chromedriver and
PostgreSQL from .ci/run, the project's own modules. A skip there means something broke, so it fails, with the
skip's reason. Only a reason matching ALLOWED skips in CI, and the summary says why it may.

A pytest plugin (`-p amazon_zoho_tests.ci_skips` in pyproject's addopts). Add to ALLOWED only what no CI run of
this repository can have, with the reason; a test that needs it must say so in its skip reason.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import pytest

ALLOWED: dict[str, str] = {
    # sandbox/test_amazon_orders.py, test_amazon_reports.py, test_zoho_records.py, test_zoho_bulk_write.py
    r"shared/reference": "Amazon's and Zoho's official models are read from ../shared/reference, beside the clone, "
                         "not in it",
    # test_bench_figures.py: the bench's memory cap (bench/memory_cap.py) needs a cgroup it may make.
    r"lets no process make a memory cgroup": "a CI container need not run as root or delegate a cgroup v2 subtree; the "
                                             "capped bench run says when its cap was not enforced",
}
NOT_CI = {"", "0", "false", "no", "off"}


def in_ci(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get("CI", "").strip().lower() not in NOT_CI


def allowance(reason: str) -> str | None:
    """Why a skip for `reason` is allowed in CI, or None when it is not."""
    for pattern, why in ALLOWED.items():
        if re.search(pattern, reason):
            return why
    return None


def verdict(reason: str, environ: Mapping[str, str] = os.environ) -> tuple[bool, str]:
    """(whether the skip fails the run, what to print) for a skip with `reason`."""
    if not in_ci(environ):
        return False, reason
    why = allowance(reason)
    if why is None:
        return True, (f"skipped in CI, where everything the project installs or ships is present: {reason}\n"
                      f"(a reason that CI cannot satisfy goes in ALLOWED, {__name__})")
    return False, f"{reason} [allowed in CI: {why}]"


def _judge(report: pytest.TestReport | pytest.CollectReport) -> None:
    if not report.skipped or hasattr(report, "wasxfail") or not isinstance(report.longrepr, tuple):
        return
    path, line, message = report.longrepr
    reason = message.removeprefix("Skipped: ")
    fails, text = verdict(reason)
    if fails:
        report.outcome = "failed"
        report.longrepr = f"{path}:{line}: {text}"
    elif text != reason:
        report.longrepr = (path, line, f"Skipped: {text}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    _judge(report)
    return report


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_make_collect_report(collector):
    report = yield
    _judge(report)
    return report

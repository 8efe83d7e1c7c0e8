"""ci_skips: outside CI a skip is a skip with its reason printed; in CI it fails unless its reason is allowed."""

import pytest

from amazon_zoho_tests.ci_skips import allowance, in_ci, verdict

MODEL_MISSING = "official Orders v2026-01-01 model not found at /x/shared/reference/amazon/orders.json"

TESTS = f"""
import pytest

def test_runs():
    pass

def test_needs_chromium():
    pytest.skip("chromium not found; on Debian: apt-get install chromium")

def test_needs_the_model():
    pytest.skip({MODEL_MISSING!r})

@pytest.mark.skipif(True, reason="selenium is not installed")
def test_marked():
    pass

@pytest.mark.xfail(reason="a known bug")
def test_known_bug():
    assert False
"""
MODULE_SKIP = """
import pytest
pytest.importorskip("amazon_zoho_no_such_module", reason="the producers are not written yet")

def test_never_collected():
    pass
"""


@pytest.mark.parametrize("value, expected", [
    (None, False), ("", False), ("0", False), ("false", False), ("False", False), ("no", False), ("off", False),
    ("true", True), ("1", True), ("yes", True), ("github-actions", True),
])
def test_ci_is_any_value_but_empty_or_false(value, expected):
    assert in_ci({} if value is None else {"CI": value}) is expected


def test_only_reasons_ci_cannot_satisfy_are_allowed():
    assert allowance(MODEL_MISSING) is not None
    assert allowance("Zoho's record.json not found in /w/shared/reference/zoho (../shared/reference is not checked out)")
    for reason in ("chromium not found; on Debian: apt-get install chromium chromium-driver (.ci/run does this in CI)",
                   "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin",
                   "could not import 'selenium': No module named 'selenium'", "the document producers are not written yet"):
        assert allowance(reason) is None, reason


def test_verdict_outside_ci_is_the_reason_and_in_ci_a_failure_or_an_allowance():
    assert verdict("chromium not found", {}) == (False, "chromium not found")
    fails, text = verdict("chromium not found", {"CI": "true"})
    assert fails and "chromium not found" in text
    fails, text = verdict(MODEL_MISSING, {"CI": "true"})
    assert not fails and text.startswith(MODEL_MISSING) and "[allowed in CI: " in text


@pytest.fixture
def suite(pytester):
    pytester.makepyfile(test_suite=TESTS, test_module_skip=MODULE_SKIP)
    return pytester


def test_outside_ci_skips_are_skips_with_their_reasons(suite, monkeypatch):
    monkeypatch.setenv("CI", "false")
    result = suite.runpytest("-p", "amazon_zoho_tests.ci_skips", "-rfEsx")
    result.assert_outcomes(passed=1, skipped=4, xfailed=1)
    result.stdout.fnmatch_lines_random([
        "SKIPPED * chromium not found; on Debian: apt-get install chromium", f"SKIPPED * {MODEL_MISSING}",
        "SKIPPED * selenium is not installed", "SKIPPED * the producers are not written yet", "XFAIL * a known bug",
    ])


def test_in_ci_a_skip_fails_with_its_reason_unless_allowed(suite, monkeypatch):
    monkeypatch.setenv("CI", "true")
    result = suite.runpytest("-p", "amazon_zoho_tests.ci_skips", "-rfEsx", "test_suite.py")
    # The marker skips in setup, so there the failure is an error.
    result.assert_outcomes(passed=1, failed=1, errors=1, skipped=1, xfailed=1)
    result.stdout.fnmatch_lines_random([
        "FAILED *test_needs_chromium*skipped in CI*chromium not found*",
        "ERROR *test_marked*skipped in CI*selenium is not installed*",
        f"SKIPPED * {MODEL_MISSING} [[]allowed in CI: *shared/reference*",
        "XFAIL * a known bug",
    ])


def test_in_ci_a_module_that_skips_is_a_collection_error_with_its_reason(suite, monkeypatch):
    monkeypatch.setenv("CI", "true")
    result = suite.runpytest("-p", "amazon_zoho_tests.ci_skips", "-rfEsx", "test_module_skip.py")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*test_module_skip.py:*skipped in CI*the producers are not written yet"])

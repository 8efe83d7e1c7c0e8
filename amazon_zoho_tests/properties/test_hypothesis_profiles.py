"""The hypothesis profiles (amazon_zoho_tests/hypothesis_profiles.py): ci, the default, draws the same examples on
every run; fuzz draws others every run, and more of them."""

from __future__ import annotations

import os

from hypothesis import given, settings, strategies as st

from amazon_zoho_tests.hypothesis_profiles import CI_EXAMPLES, FUZZ_FACTOR

from .support import budget


def test_the_loaded_profile_is_ci_unless_hypothesis_profile_says_otherwise():
    assert settings.get_current_profile_name() == (os.environ.get("HYPOTHESIS_PROFILE") or "ci")
    assert budget(40) == 40 * settings.default.max_examples // CI_EXAMPLES


def test_ci_is_derandomized_without_a_database_or_a_deadline():
    ci = settings.get_profile("ci")
    assert (ci.derandomize, ci.database, ci.deadline, ci.print_blob, ci.max_examples) == (True, None, None, True, CI_EXAMPLES)
    fuzz = settings.get_profile("fuzz")
    assert (fuzz.derandomize, fuzz.deadline, fuzz.print_blob) == (False, None, True)
    assert fuzz.max_examples == CI_EXAMPLES * FUZZ_FACTOR


def drawn(profile: str) -> list[str]:
    seen = []

    @settings(settings.get_profile(profile), max_examples=20)
    @given(st.text())
    def record(value):
        seen.append(value)

    record()
    return seen


def test_ci_draws_the_same_examples_every_run_and_fuzz_does_not(request):
    assert drawn("ci") == drawn("ci")
    if request.config.getoption("--hypothesis-seed") is None:  # make fuzz gives one, so that a run can be replayed
        assert drawn("fuzz") != drawn("fuzz")

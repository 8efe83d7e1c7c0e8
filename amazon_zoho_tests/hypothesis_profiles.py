"""Hypothesis profiles for every test that uses hypothesis (amazon_zoho_tests/properties and e2e/test_idempotence_law).

A pytest plugin (`-p amazon_zoho_tests.hypothesis_profiles` in pyproject's addopts), so the profile is loaded
before any test module is imported: an @settings(...) takes what it does not set from the profile loaded when
the module is imported. HYPOTHESIS_PROFILE picks one; unset, it is "ci".

- ci (`make test`, .ci/run): derandomized, so a commit passes or fails the same way on every run and machine;
  no example database (it would make a run depend on earlier ones), no deadline, failing blobs printed.
- fuzz (`make fuzz`): random seeds (the Makefile picks one and prints it; `make fuzz SEED=n` replays it) and
  FUZZ_FACTOR times each test's examples, with the local example database (.hypothesis/) so a find is tried
  first on the next run. Whatever it finds becomes an @example or a fixed test, so `make test` keeps it.

Tests that need fewer or more examples than the profile's max_examples ask for `properties.support.budget(n)`:
n under ci, scaled with the profile.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

CI_EXAMPLES = 100
FUZZ_FACTOR = 20

settings.register_profile("ci", settings.get_profile("ci"), max_examples=CI_EXAMPLES, derandomize=True, database=None,
                          deadline=None, print_blob=True)
settings.register_profile("fuzz", max_examples=CI_EXAMPLES * FUZZ_FACTOR, derandomize=False, deadline=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "ci")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    name = settings.get_current_profile_name()
    if name == "ci":
        return
    seed = config.getoption("--hypothesis-seed", None)
    replay = f"; replay: make fuzz SEED={seed}" if seed is not None and name == "fuzz" else ""
    terminalreporter.write_line(f"hypothesis profile {name!r}, seed {seed if seed is not None else 'random per test'}{replay}")

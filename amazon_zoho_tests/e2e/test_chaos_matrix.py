"""The fault matrix of `make chaos`, smaller: every scenario ends with nothing lost, nothing duplicated,
and every reject explained."""

import pytest

from amazon_zoho.bench.chaos import SCENARIOS, run_scenario


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_keeps_the_guarantees(scenario, tmp_path):
    row = run_scenario(scenario, days=2, orders_per_day=8, workdir=tmp_path)
    assert row["expected"] > 0
    assert row["lost"] == 0, row
    assert row["duplicated"] == 0, row
    if scenario.fresh:
        assert row["stale"] == 0, row
    assert row["garbled_text"] == 0, row
    assert row["unexplained"] == 0, row
    assert row["misattributed"] == 0, row
    assert row["unwanted_dead_letters"] == 0, row
    if scenario.recover:
        assert row["after_recovery"] == "ok", row
    if any(k.startswith("fault_") and k != "fault_target" for k in scenario.knobs):
        assert row["faults_injected"] + row["error_answers"] + row["rejects_after_fault"] > 0, "the scenario must actually inject faults"

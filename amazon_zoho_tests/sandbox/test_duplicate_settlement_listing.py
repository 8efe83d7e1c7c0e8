"""fault_duplicate_settlement_rate: the sandbox lists a settlement a second time under a newer report id, whose
download is the same file (issue #13); with the knob off, every settlement is listed once."""

from datetime import datetime, timezone

import pytest

from amazon_zoho.sandbox.amazon.settlement_file import render_settlement
from amazon_zoho.sandbox.amazon.settlement_schedule import listed_settlement_reports
from amazon_zoho.sandbox.app import SandboxApp
from amazon_zoho.sandbox.config import SandboxConfig

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("rate", [0.0, 1.0])
def test_each_settlement_is_listed_once_or_twice_with_the_same_file(rate):
    app = SandboxApp(SandboxConfig(fault_duplicate_settlement_rate=rate, orders_per_day=2))
    app.now = NOW.timestamp  # a pinned clock: the listing and the download agree on what is published
    listed = listed_settlement_reports(app, NOW)
    by_settlement: dict[str, list] = {}
    for info in listed:
        by_settlement.setdefault(info.settlement_id, []).append(info)
    assert by_settlement and all(len(reports) == (2 if rate else 1) for reports in by_settlement.values())
    for reports in by_settlement.values():
        if len(reports) == 2:
            first, second = reports
            assert second.created > first.created and second.report_id != first.report_id
            assert render_settlement(app, second.report_id)[0] == render_settlement(app, first.report_id)[0]

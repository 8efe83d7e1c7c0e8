"""Bulk Write status polls (issue 17): the first comes when the job is expected to be done, and after it a job
finishing just after a poll waits a few seconds at most, while a long job still costs few polls (1 credit each,
API-FACTS §9)."""

import pytest

from amazon_zoho import clock
from amazon_zoho.zoho import bulk


class _Job:
    """A fake client whose job completes `seconds` after it was created, on the project's clock."""

    def __init__(self, seconds: float):
        self.done_at = clock.timestamp() + seconds
        self.polls: list[float] = []

    def call(self, operation, method, path, **kw):
        assert operation == "bulkWriteStatus"
        self.polls.append(clock.timestamp())
        return 200, {"status": "COMPLETED" if clock.timestamp() >= self.done_at else "IN PROGRESS"}


def _waited(seconds: float, expected: float, poll_seconds: float = 2.0) -> tuple[float, int]:
    with clock.pinned("2026-03-02T00:00:00Z", frozen=True):
        client = _Job(seconds)
        started = clock.timestamp()
        bulk.wait(client, "job-1", poll_seconds, expected_seconds=expected)
        return clock.timestamp() - started, len(client.polls)


def test_a_job_done_when_expected_is_polled_once():
    took, polls = _waited(12.5, expected=12.5)
    assert (took, polls) == (12.5, 1)


@pytest.mark.parametrize("seconds", [3, 9.9, 14, 31, 47])
def test_a_job_finishing_just_after_a_poll_waits_a_few_seconds_at_most(seconds):
    took, _ = _waited(seconds, expected=2.0)
    assert took - seconds <= bulk.FEW_SECONDS


@pytest.mark.parametrize("seconds, most_polls", [(90, 22), (600, 45), (3600, 90)])
def test_a_long_job_costs_few_polls_and_wastes_a_tenth_of_its_run_at_most(seconds, most_polls):
    took, polls = _waited(seconds, expected=12.5)
    assert took - seconds <= max(bulk.FEW_SECONDS, bulk.WASTE_SHARE * took)
    assert polls <= most_polls


def test_the_first_poll_is_never_sooner_than_poll_seconds():
    took, polls = _waited(0.1, expected=0.0, poll_seconds=2.0)
    assert (took, polls) == (2.0, 1)

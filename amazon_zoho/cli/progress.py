"""What `make run` shows while the run goes: one line per asset materialized (its days and the counts it
reports) and per failed step, instead of Dagster's DEBUG events, which go whole to a log file instead.

Dagster's instance stores every event whatever the console shows, so the log file is written from it and
the console logger only prints errors.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

# The console shows errors only; progress lines come from the stored events below.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}

# The metadata a newcomer reads first, in this order; other entries stay in the UI and the log file.
_COUNTS = (
    "dagster/row_count", "orders", "rows_loaded", "settlement_reports", "inserted", "updated", "unchanged", "failed",
    "quarantined", "rows_quarantined", "amazon_calls", "credits_used",
)


class Progress:
    """Follows a run's stored events from a thread and prints, when each step ends, a line per asset it
    materialized (its days and counts) or the step's failure."""

    def __init__(self, instance: dg.DagsterInstance, run_id: str, out=print, interval_s: float = 0.5):
        self._instance, self._run_id, self._out, self._interval = instance, run_id, out, interval_s
        self._seen = 0
        self._pending: dict[str, dict[str, list[tuple[str, str]]]] = {}  # step → asset → [(day, counts)]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._print_new()  # whatever arrived between the last poll and the end
        for step in list(self._pending):
            self._flush(step)

    def _follow(self) -> None:
        while not self._stop.wait(self._interval):
            self._print_new()

    def _print_new(self) -> None:
        events = self._instance.all_logs(self._run_id)
        for event in events[self._seen:]:
            self._take(event)
        self._seen = len(events)

    def _take(self, event) -> None:
        dagster_event = event.dagster_event
        if dagster_event is None:
            return
        kind = dagster_event.event_type
        if kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = dagster_event.event_specific_data.materialization
            self._pending.setdefault(event.step_key or "", {}).setdefault(materialization.asset_key.to_user_string(), []).append(
                (materialization.partition or "", counts_of(materialization.metadata))
            )
        elif kind == dg.DagsterEventType.STEP_SUCCESS:
            self._flush(event.step_key)
        elif kind == dg.DagsterEventType.STEP_FAILURE:
            self._flush(event.step_key)
            self._out(f"  FAIL  {event.step_key}: {reason(dagster_event.event_specific_data.error)}")

    def _flush(self, step: str | None) -> None:
        for asset, done in self._pending.pop(step or "", {}).items():
            for days, counts in group_days(done):
                self._out(f"  done  {asset:<38} {days:<23} {counts}".rstrip())


def reason(error) -> str:
    """The first line of the user's own exception, not Dagster's "Error occurred while executing" wrapper."""
    while error is not None and error.cause is not None:
        error = error.cause
    return error.message.strip().splitlines()[0] if error is not None else ""


def counts_of(metadata: dict) -> str:
    """The counts a newcomer reads first; a ranged run reports them as range_<name> (warehouse/figures.py), which the
    line's day range already says."""
    shown = []
    for name in _COUNTS:
        key = name if name in metadata else f"range_{name}"
        if key in metadata:
            shown.append(f"{name.removeprefix('dagster/')} {getattr(metadata[key], 'value', metadata[key])}")
    return ", ".join(shown)


def group_days(done: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Consecutive days that report the same counts print as one inclusive range (`first..last`)."""
    groups: list[list] = []
    for day, counts in sorted(done):
        if groups and groups[-1][2] == counts:
            groups[-1][1] = day
        else:
            groups.append([day, day, counts])
    return [(first if first == last else f"{first}..{last}", counts) for first, last, counts in groups]


def write_log(instance: dg.DagsterInstance, run_id: str, path: Path) -> Path:
    """Every stored event of the run, one line each (what the console would have shown at DEBUG)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for event in instance.all_logs(run_id):
            kind = event.dagster_event.event_type_value if event.dagster_event else event.level
            at = datetime.fromtimestamp(event.timestamp, tz=timezone.utc).isoformat(timespec="milliseconds")
            f.write(f"{at} {kind} {event.step_key or '-'} {event.user_message}\n")
    return path

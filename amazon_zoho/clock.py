"""The one clock: every "what time is it" in the project reads it.

Ingest windows, sensors, the schedule's and partitions' last day, PII retention, the credit window, token
and presigned-URL expiry, and the sandbox's data all ask `now()` here, never `datetime.now()`. In
production it is the system clock. Tests, `make run NOW=...`, AMAZON_ZOHO_NOW (read by settings, pinned where
the Definitions load) and the sandbox's `--now` pin it to an instant that then runs forward in real time (or
stands still, `frozen=True`), and move it with `advance()` instead of sleeping past a TTL.

Dagster reads time through `dagster._time._mockable_get_current_datetime/_timestamp` (the hooks its own
`dagster._core.test_utils.freeze_time` patches), so a pinned clock installs itself there too: partition
keys, schedules, sensors and freshness see the same instant as our code. Durations (rate-limit buckets,
timeouts) are not "what time is it" and keep `time.monotonic`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone

# The setting that pins the clock in a process (read by settings.py and the sandbox's command line); a parent
# process hands its children `anchor()` under this name.
ENVIRONMENT_VARIABLE = "AMAZON_ZOHO_NOW"


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.offset = 0.0  # seconds added to the system clock
        self.frozen_at: float | None = None  # a standing clock's reading
        # Dagster's own hooks as they were before we installed ours (None: never installed).
        self.dagster_hooks: tuple | None = None


_state = _State()


def timestamp() -> float:
    """Seconds since the epoch, as the one clock reads them."""
    frozen = _state.frozen_at
    return frozen if frozen is not None else time.time() + _state.offset


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.fromtimestamp(timestamp(), timezone.utc)


def today() -> date:
    """The current UTC calendar day: the day whose partition is still open."""
    return now().date()


def is_pinned() -> bool:
    return _state.frozen_at is not None or _state.offset != 0.0


def pin(instant: datetime | str, frozen: bool = False) -> None:
    """Sets the clock to `instant` (aware, or ISO 8601 with an offset); it runs on from there unless frozen.

    A string may also be an anchor, "INSTANT@EPOCH" (the clock read INSTANT when the system clock read EPOCH) or
    "INSTANT@frozen", as `anchor()` writes it: a child process pinned with its parent's anchor reads the same time
    as its parent, not the instant it was handed seconds earlier.
    """
    text, _, reference = instant.partition("@") if isinstance(instant, str) else (instant, "", "")
    at = parse_instant(text).timestamp()
    frozen = frozen or reference.strip() == "frozen"
    system = float(reference) if reference and not frozen else time.time()
    with _state.lock:
        _state.frozen_at, _state.offset = (at, 0.0) if frozen else (None, at - system)
    _install_in_dagster()


def anchor() -> str:
    """This process's clock as a string `pin()` takes (AMAZON_ZOHO_NOW, the sandbox's --now) for another process."""
    with _state.lock:
        real, offset, frozen = time.time(), _state.offset, _state.frozen_at
    if frozen is not None:
        return f"{datetime.fromtimestamp(frozen, timezone.utc).isoformat()}@frozen"
    return f"{datetime.fromtimestamp(real + offset, timezone.utc).isoformat()}@{real:.6f}"


def advance(by: timedelta | float) -> datetime:
    """Moves the clock (forward: a TTL runs out, a day passes; back: replay what an earlier hour saw) without
    waiting; returns the new instant."""
    seconds = by.total_seconds() if isinstance(by, timedelta) else float(by)
    with _state.lock:
        if _state.frozen_at is not None:
            _state.frozen_at += seconds
        else:
            _state.offset += seconds
    _install_in_dagster()
    return now()


def reset() -> None:
    """Back to the system clock, for Dagster too."""
    with _state.lock:
        _state.frozen_at, _state.offset = None, 0.0
        hooks, _state.dagster_hooks = _state.dagster_hooks, None
    if hooks is not None:
        import dagster._time as dagster_time

        dagster_time._mockable_get_current_datetime, dagster_time._mockable_get_current_timestamp = hooks


def sleep(seconds: float) -> None:
    """Waits `seconds` of the clock's time: a standing clock is moved instead, so polling loops finish."""
    if seconds <= 0:
        return
    if _state.frozen_at is not None:
        advance(seconds)
        time.sleep(0)  # let the other threads (the sandbox's server) run
    else:
        time.sleep(seconds)


@contextmanager
def pinned(instant: datetime | str, frozen: bool = False) -> Iterator[None]:
    """The clock pinned for the block, then back to whatever it was."""
    with _state.lock:
        saved = (_state.offset, _state.frozen_at)
    pin(instant, frozen=frozen)
    try:
        yield
    finally:
        with _state.lock:
            _state.offset, _state.frozen_at = saved
        if is_pinned():
            _install_in_dagster()
        else:
            reset()


def parse_instant(value: datetime | str) -> datetime:
    """An aware datetime from a datetime or an ISO 8601 string; a naive one is refused, not guessed."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"instant {value!r} has no UTC offset; write e.g. 2026-03-29T00:59:59Z")
    return parsed.astimezone(timezone.utc)


def _install_in_dagster() -> None:
    # Imported here: the sandbox reads this clock too and should not pay for importing Dagster.
    import dagster._time as dagster_time

    with _state.lock:
        if _state.dagster_hooks is None:
            _state.dagster_hooks = (dagster_time._mockable_get_current_datetime, dagster_time._mockable_get_current_timestamp)
    dagster_time._mockable_get_current_datetime = now
    dagster_time._mockable_get_current_timestamp = timestamp

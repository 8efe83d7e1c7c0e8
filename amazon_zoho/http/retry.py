"""Retry policy for both APIs: tenacity does the bookkeeping (attempt counts, jittered exponential
waits); we only add honouring Retry-After when a server sends one."""

from __future__ import annotations

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from .errors import RetryableError

_jitter = wait_random_exponential(multiplier=0.5, max=30)


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, RetryableError) and exc.retry_after is not None:
        return min(exc.retry_after, 120.0)
    return _jitter(state)


def retrying(max_attempts: int = 6, wait=None) -> Retrying:
    return Retrying(
        retry=retry_if_exception_type((RetryableError, requests.ConnectionError, requests.Timeout)),
        wait=wait or _wait,
        stop=stop_after_attempt(max_attempts),
        reraise=True,
    )


def retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None

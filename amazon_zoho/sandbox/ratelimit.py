"""Token buckets as Amazon describes them: `rate` tokens per second refill up to `burst`; a request
takes one token; an empty bucket answers 429."""

from __future__ import annotations

import threading
import time


class TokenBuckets:
    def __init__(self, time_scale: float = 1.0, clock=time.monotonic):
        self.time_scale = time_scale
        self._clock = clock
        self._lock = threading.Lock()
        self._state: dict[tuple[str, str], tuple[float, float]] = {}  # key -> (tokens, last refill)

    def take(self, operation: str, principal: str, rate: float, burst: int) -> bool:
        key = (operation, principal)
        now = self._clock()
        with self._lock:
            tokens, last = self._state.get(key, (float(burst), now))
            tokens = min(float(burst), tokens + (now - last) * rate * self.time_scale)
            if tokens >= 1.0:
                self._state[key] = (tokens - 1.0, now)
                return True
            self._state[key] = (tokens, now)
            return False

    def reset(self) -> None:
        with self._lock:
            self._state.clear()

"""Client-side token buckets: we pace ourselves by Amazon's usage plans so the API never has to 429 us.

One bucket per (seller, operation), shared by every thread of the process (a Dagster run executes its
assets in one process with the in-process executor, or several; each process paces its own share).
Seeded from the published rate and burst; the `x-amzn-RateLimit-Limit` header, when Amazon sends it,
replaces the rate because it is the limit actually granted to this seller and application.

Our bucket and Amazon's must not drift apart: Amazon's starts full when our first request arrives, so
ours starts refilling only once that first request has been answered (`anchor`), and every wait carries a
small fixed margin for network jitter (nothing at Amazon's rates, where a token takes seconds to minutes; it matters
for the sandbox at time_scale 1000, where one takes milliseconds).
"""

from __future__ import annotations

import threading
import time

# Published default usage plans (requests/second, burst): API-FACTS §2-3.
USAGE_PLANS: dict[str, tuple[float, int]] = {
    "searchOrders": (0.0056, 20),
    "getOrder": (0.5, 30),
    "getOrders": (0.0167, 20),
    "getOrderItems": (0.5, 30),
    "getReports": (0.0222, 10),
    "createReport": (0.0167, 15),
    "getReport": (2.0, 15),
    "cancelReport": (0.0222, 10),
    "getReportDocument": (0.0167, 15),
    # Sellers API v1 (make doctor only): https://developer-docs.amazon.com/sp-api/docs/sellers-api-v1-reference.
    "getMarketplaceParticipations": (0.016, 15),
    # Notifications API v1 (make intraday-setup): "all Notifications operations are 1/s, burst 5" (API-FACTS §12d).
    **{op: (1.0, 5) for op in ("getDestinations", "createDestination", "getDestination", "deleteDestination", "getSubscription",
                               "createSubscription", "getSubscriptionById", "deleteSubscriptionById")},
}


# Real seconds added to every wait (see above).
JITTER_MARGIN_SECONDS = 0.02


class Bucket:
    def __init__(self, rate: float, burst: int, clock=time.monotonic, sleep=time.sleep, margin: float = 0.0,
                 start_on_first_response: bool = False):
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self._clock, self._sleep = clock, sleep
        self.margin = margin
        self.last: float | None = None  # nothing refills before the first request
        self._started = not start_on_first_response
        self.lock = threading.Lock()
        self.waited_seconds = 0.0

    def _refill(self, now: float) -> None:
        if not self._started:
            return
        if self.last is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now

    def acquire(self) -> float:
        """Blocks until a token is available; returns the seconds waited."""
        with self.lock:
            now = self._clock()
            self._refill(now)
            wait = 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate + self.margin
            # Reserve the token now so concurrent callers queue behind us instead of racing.
            self.tokens -= 1
        if wait > 0:
            self._sleep(wait)
            self.waited_seconds += wait
        return wait

    def available(self) -> float:
        """Tokens on hand right now, without taking one (callers that would rather stop than wait)."""
        with self.lock:
            self._refill(self._clock())
            return self.tokens

    def anchor(self) -> None:
        """Called when a response arrives: with start_on_first_response, the first one starts the refill
        clock (the server's bucket started when that request reached it, not when we sent it)."""
        with self.lock:
            if not self._started:
                self._started = True
                self.last = self._clock()

    def penalize(self) -> None:
        """After a 429 the server's bucket is empty; ours should be too."""
        with self.lock:
            self._refill(self._clock())
            self.tokens = min(self.tokens, 0.0)

    def set_rate(self, rate: float) -> None:
        with self.lock:
            if rate > 0:
                self._refill(self._clock())
                self.rate = rate


class RateLimiter:
    """The buckets of one seller. `time_scale` speeds refills up to match a sandbox's time-scale knob."""

    _shared: dict[tuple[str, float], RateLimiter] = {}
    _shared_lock = threading.Lock()

    def __init__(self, time_scale: float = 1.0):
        self.time_scale = time_scale
        self._buckets: dict[str, Bucket] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_seller(cls, seller_key: str, time_scale: float = 1.0) -> RateLimiter:
        """Process-wide limiter per seller, so every asset and thread of a run shares the same buckets."""
        with cls._shared_lock:
            key = (seller_key, time_scale)
            if key not in cls._shared:
                cls._shared[key] = cls(time_scale)
            return cls._shared[key]

    def bucket(self, operation: str) -> Bucket:
        with self._lock:
            if operation not in self._buckets:
                rate, burst = USAGE_PLANS.get(operation, (1.0, 5))
                self._buckets[operation] = Bucket(
                    rate * self.time_scale, burst, margin=JITTER_MARGIN_SECONDS, start_on_first_response=True
                )
            return self._buckets[operation]

    def observe_limit_header(self, operation: str, value: str | None) -> None:
        if not value:
            return
        try:
            rate = float(value)
        except ValueError:
            return
        self.bucket(operation).set_rate(rate * self.time_scale)

    def total_waited(self) -> float:
        return sum(b.waited_seconds for b in self._buckets.values())

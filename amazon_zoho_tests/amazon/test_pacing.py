"""Client-side token buckets, driven by a fake clock that only moves when someone sleeps."""

import threading
import time

import pytest

from amazon_zoho.amazon.pacing import USAGE_PLANS, Bucket, RateLimiter


class FakeClock:
    """Time stands still until a caller sleeps; a sleeper wakes at (the time it last read) + seconds, so
    concurrent sleepers overlap like real ones instead of adding up."""

    def __init__(self, start: float = 1000.0):
        self.t = start
        self._lock = threading.Lock()
        self._seen = threading.local()

    def __call__(self) -> float:
        with self._lock:
            self._seen.t = self.t
            return self.t

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.t = max(self.t, self.last_read() + seconds)
        time.sleep(0.0005)  # really yield, so other threads interleave with this one

    def last_read(self) -> float:
        """The time this thread last read; after a sleep(w) it is awake at last_read() + w."""
        return getattr(self._seen, "t", self.t)


@pytest.fixture
def clock():
    return FakeClock()


def bucket(clock, rate=2.0, burst=3) -> Bucket:
    return Bucket(rate, burst, clock=clock, sleep=clock.sleep)


def test_burst_is_served_at_once_then_one_token_per_interval(clock):
    b = bucket(clock, rate=2.0, burst=3)
    assert [b.acquire() for _ in range(3)] == [0, 0, 0]
    assert b.acquire() == pytest.approx(0.5)
    assert b.acquire() == pytest.approx(0.5)
    assert clock.t == pytest.approx(1001.0)


def test_tokens_refill_while_idle_up_to_the_burst(clock):
    b = bucket(clock, rate=2.0, burst=3)
    for _ in range(3):
        b.acquire()
    clock.sleep(60)
    assert [b.acquire() for _ in range(3)] == [0, 0, 0]
    assert b.acquire() == pytest.approx(0.5)


def test_penalize_empties_the_bucket(clock):
    b = bucket(clock, rate=4.0, burst=10)
    b.acquire()
    b.penalize()
    assert b.acquire() == pytest.approx(0.25)


def test_set_rate_changes_the_refill(clock):
    b = bucket(clock, rate=1.0, burst=1)
    b.acquire()
    b.set_rate(10.0)
    assert b.acquire() == pytest.approx(0.1)
    b.set_rate(0)  # ignored: a zero rate would never refill
    assert b.acquire() == pytest.approx(0.1)


def test_threads_never_exceed_burst_plus_rate_times_elapsed(clock):
    rate, burst, threads, per_thread = 5.0, 4, 4, 25
    b = bucket(clock, rate=rate, burst=burst)
    granted: list[float] = []
    lock = threading.Lock()
    start = clock.t

    ready = threading.Barrier(threads)

    def worker():
        ready.wait()
        for _ in range(per_thread):
            waited = b.acquire()
            with lock:
                granted.append(clock.last_read() + waited)  # when this thread got its token

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()

    granted.sort()
    assert len(granted) == threads * per_thread
    for n, at in enumerate(granted, start=1):
        assert n <= burst + rate * (at - start) + 1e-6, f"grant {n} at +{at - start:.3f}s"
    # ...and pacing is not needlessly slow: the last token comes when the bucket allows it.
    assert granted[-1] - start == pytest.approx((threads * per_thread - burst) / rate)


def test_limit_header_sets_the_rate_scaled_to_the_sandbox_clock():
    limiter = RateLimiter(time_scale=10)
    assert limiter.bucket("getOrder").rate == pytest.approx(USAGE_PLANS["getOrder"][0] * 10)
    limiter.observe_limit_header("getOrder", "2.0")
    assert limiter.bucket("getOrder").rate == pytest.approx(20.0)
    for junk in (None, "", "not-a-number"):
        limiter.observe_limit_header("getOrder", junk)
    assert limiter.bucket("getOrder").rate == pytest.approx(20.0)


def test_unknown_operation_gets_a_conservative_default_bucket():
    b = RateLimiter().bucket("someNewOperation")
    assert (b.rate, b.burst) == (1.0, 5)


def test_for_seller_shares_one_limiter_per_seller():
    a = RateLimiter.for_seller("test-pacing-seller-a@host")
    assert RateLimiter.for_seller("test-pacing-seller-a@host") is a
    assert a.bucket("getOrder") is RateLimiter.for_seller("test-pacing-seller-a@host").bucket("getOrder")
    assert RateLimiter.for_seller("test-pacing-seller-b@host") is not a


def test_refill_starts_when_the_first_response_arrives(clock):
    # Amazon's bucket starts full when our first request reaches it; time spent before the answer earns nothing.
    b = Bucket(2.0, 2, clock=clock, sleep=clock.sleep, start_on_first_response=True)
    assert [b.acquire(), b.acquire()] == [0, 0]
    clock.sleep(10)  # the first round trip, slow
    b.anchor()
    assert b.acquire() == pytest.approx(0.5)
    b.anchor()  # later responses do not move the clock again
    assert b.acquire() == pytest.approx(0.5)


def test_the_limiter_adds_a_jitter_margin_to_every_wait():
    b = RateLimiter().bucket("getOrder")
    assert b.margin > 0 and b.margin < 1 / USAGE_PLANS["getOrder"][0] / 10

"""When Amazon closes and publishes settlements: about every 14 days per marketplace.

Period k of a marketplace runs from boundary(k) to boundary(k + 1), so periods are contiguous. A
boundary is an anchor staggered per marketplace from the seed, plus k x 14 days, plus a few hours of
jitter, so periods are "about" 14 days like Amazon's. Finding the period around a moment is arithmetic,
which keeps listing cheap: only the periods of the last ~100 days are ever built.

Report and settlement ids encode (marketplace, k) and a seed salt, so an id alone finds its period.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from ..config import MARKETPLACES

PERIOD = timedelta(days=14)
# Amazon keeps reports 90 days; a little more so the caller's retention filter decides the edge.
LOOKBACK = timedelta(days=100)
_ORIGIN = datetime(2000, 1, 3, tzinfo=timezone.utc)
_MARKET_INDEX = {m: i for i, m in enumerate(MARKETPLACES)}
_MARKETS = list(MARKETPLACES)
# Far below createReport's ids (600_000_000_000 + n), so the two never collide.
_REPORT_BASE = 100_000_000_000
# Second report ids of settlements listed twice (fault_duplicate_settlement_rate): their own range, below createReport's.
_DUPLICATE_BASE = 300_000_000_000
_SETTLEMENT_BASE = 11_000_000_000
_PER_MARKET = 100_000  # period indexes per marketplace in an id; k is about 700 in 2026
# Seconds between a period's end and its report's createdTime (see settlement()).
PUBLISHED_AFTER_CLOSE = (30 * 60, 8 * 3600)


@dataclass(frozen=True)
class SettlementInfo:
    report_id: str
    settlement_id: str
    marketplace_id: str
    index: int
    start: datetime
    end: datetime
    created: datetime
    deposit: datetime


def settlement_reports(app, now: datetime) -> list[SettlementInfo]:
    """Settlements of the configured marketplaces published by `now`, from about 100 days back."""
    seed = app.config.seed
    out = []
    for marketplace_id in app.config.marketplaces:
        first, last = period_index(seed, marketplace_id, now - LOOKBACK), period_index(seed, marketplace_id, now)
        for k in range(first, last + 1):
            info = settlement(seed, marketplace_id, k)
            if info.created <= now:
                out.append(info)
    return out


def listed_settlement_reports(app, now: datetime, published=None) -> list[SettlementInfo]:
    """`published` (settlement_reports by default) as getReports lists them: with the fault knob on, some settlements a
    second time, under another report id."""
    out = []
    for info in (published or settlement_reports)(app, now):
        out.append(info)
        again = listed_again(app.config, info)
        if again is not None and again.created <= now:
            out.append(again)
    return out


def listed_again(cfg, info: SettlementInfo) -> SettlementInfo | None:
    """The second listing of `info` (same settlement, same file, a newer report id created an hour later), when the
    seeded dice for its report id fall under fault_duplicate_settlement_rate; None otherwise."""
    if random.Random(f"duplicate-settlement:{cfg.seed}:{info.report_id}").random() >= cfg.fault_duplicate_settlement_rate:
        return None
    return dataclasses.replace(info, report_id=str(int(info.report_id) - _REPORT_BASE + _DUPLICATE_BASE),
                               created=info.created + timedelta(hours=1))


def find_settlement(app, report_id: str, now: datetime) -> SettlementInfo:
    """The published settlement behind a report id (a second listing's id too); KeyError for anything else."""
    seed = app.config.seed
    try:
        n = int(report_id) - _REPORT_BASE
    except (TypeError, ValueError):
        raise KeyError(report_id) from None
    if _DUPLICATE_BASE - _REPORT_BASE <= n < 2 * (_DUPLICATE_BASE - _REPORT_BASE):
        original = find_settlement(app, str(n - (_DUPLICATE_BASE - _REPORT_BASE) + _REPORT_BASE), now)
        again = listed_again(app.config, original)
        if again is None or again.report_id != str(report_id) or again.created > now:
            raise KeyError(report_id)
        app.faults.injected["duplicate_settlement"] += 1
        return again
    slot, salt = divmod(n, 1000)
    market, k = divmod(slot, _PER_MARKET)
    if n < 0 or salt != seed % 1000 or not 0 <= market < len(_MARKETS):
        raise KeyError(report_id)
    marketplace_id = _MARKETS[market]
    info = settlement(seed, marketplace_id, k)
    if marketplace_id not in app.config.marketplaces or info.created > now or info.report_id != report_id:
        raise KeyError(report_id)
    return info


def period_index(seed: int, marketplace_id: str, moment: datetime) -> int:
    k = (moment - _anchor(seed, marketplace_id)) // PERIOD
    return k if moment >= boundary(seed, marketplace_id, k) else k - 1


@lru_cache(maxsize=4096)
def settlement(seed: int, marketplace_id: str, k: int) -> SettlementInfo:
    rng = random.Random(f"settlement:{seed}:{marketplace_id}:{k}")
    end = boundary(seed, marketplace_id, k + 1)
    slot = (_MARKET_INDEX[marketplace_id] * _PER_MARKET + k) * 1000
    return SettlementInfo(
        report_id=str(_REPORT_BASE + slot + seed % 1000),
        settlement_id=str(_SETTLEMENT_BASE + slot + (seed * 7) % 1000),
        marketplace_id=marketplace_id,
        index=k,
        start=boundary(seed, marketplace_id, k),
        end=end,
        # Amazon publishes the report soon after closing, often the same UTC day: a real getReports answer shows
        # two settlement reports created 39 and 100 minutes after their periods ended (amzn/selling-partner-api-docs
        # issue #969, 2022-03-24). The 8-hour upper end is ours. It pays out 1-3 days later.
        created=end + timedelta(seconds=rng.randint(PUBLISHED_AFTER_CLOSE[0], PUBLISHED_AFTER_CLOSE[1])),
        deposit=end + timedelta(days=rng.randint(1, 3), seconds=rng.randrange(3600)),
    )


@lru_cache(maxsize=4096)
def boundary(seed: int, marketplace_id: str, k: int) -> datetime:
    jitter = random.Random(f"settlement-boundary:{seed}:{marketplace_id}:{k}").randrange(4 * 3600)
    return _anchor(seed, marketplace_id) + k * PERIOD + timedelta(seconds=jitter)


@lru_cache(maxsize=64)
def _anchor(seed: int, marketplace_id: str) -> datetime:
    rng = random.Random(f"settlement-anchor:{seed}:{marketplace_id}")
    return _ORIGIN + timedelta(seconds=rng.randrange(int(PERIOD.total_seconds())))

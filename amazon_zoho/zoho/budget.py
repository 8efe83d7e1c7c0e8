"""The credit budget: stop pushing before the org's rolling 24-hour API credits run out, leaving a reserve
for everything else that uses the org (other integrations, people's mail merges).

ZOHO_DAILY_CREDITS is the org's allowance (Zoho's API-limits table: 50,000 + per-user credits on paid
editions, 5,000 on Free) and ZOHO_CREDIT_RESERVE what to leave untouched. Our own calls are booked in
ops.zoho_credit_ledger; others' use is invisible to us until Zoho refuses a call (LIMIT_REACHED), which
also stops the push cleanly. What is not pushed is marked deferred and pushed by the next run.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from ..settings import DEFAULT_CREDIT_RESERVE, DEFAULT_DAILY_CREDITS
from .client import ZohoCrmClient
from .steps import CREDIT_LEDGER


@dataclass
class CreditBudget:
    daily: int = DEFAULT_DAILY_CREDITS  # ZOHO_DAILY_CREDITS, via ZohoCrmResource
    reserve: int = DEFAULT_CREDIT_RESERVE  # ZOHO_CREDIT_RESERVE
    used_24h: int = 0
    exhausted: bool = False  # Zoho said LIMIT_REACHED: nothing more this run

    @property
    def available(self) -> int:
        """Credits we may still spend before touching the reserve."""
        return 0 if self.exhausted else max(0, self.daily - self.reserve - self.used_24h)

    def allows(self, cost: int) -> bool:
        return cost <= self.available

    def book(self, conn: duckdb.DuckDBPyConnection, client: ZohoCrmClient, run_id: str | None) -> None:
        """Writes the client's calls since the last booking to the ledger and refreshes `used_24h`."""
        entries = pd.DataFrame(client.drain_ledger(), columns=["ts", "operation", "credits"]).astype({"ts": float, "operation": str, "credits": int})
        self.used_24h = int(CREDIT_LEDGER.rows(conn, {"run_id": run_id}, ledger_entries=entries)[0][0])

    def describe(self) -> str:
        return f"{self.used_24h} of {self.daily} credits used in 24 h, {self.reserve} kept in reserve"


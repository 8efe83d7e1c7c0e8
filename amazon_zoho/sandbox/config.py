"""Knobs of the sandbox: data volume, clocks, token lifetimes and fault rates.

Every knob has a CLI flag, an environment variable (SANDBOX_<NAME>), and can be changed on a running
server with `POST /_sandbox/config` so tests flip faults on and off without restarting it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

# Marketplaces the generator can sell in: id -> (country, currency, sales channel, number locale).
MARKETPLACES: dict[str, tuple[str, str, str, str]] = {
    "ATVPDKIKX0DER": ("US", "USD", "Amazon.com", "en_US"),
    "A1PA6795UKMFR9": ("DE", "EUR", "Amazon.de", "de_DE"),
    "A1F83G8C2ARO7P": ("GB", "GBP", "Amazon.co.uk", "en_GB"),
    "A13V1IB3VIYZZH": ("FR", "EUR", "Amazon.fr", "fr_FR"),
    "A2EUQ1WTGCTBG2": ("CA", "CAD", "Amazon.ca", "en_CA"),
}

# Credentials the sandbox accepts; the project's resources use these when no real ones are set.
SANDBOX_SELLER_ID = "A2SANDBOXSELLER1"
LWA_CLIENT_ID = "amzn1.application-oa2-client.sandbox"
LWA_CLIENT_SECRET = "sandbox-lwa-secret"
LWA_REFRESH_TOKEN = "Atzr|sandbox-refresh-token"
ZOHO_CLIENT_ID = "1000.SANDBOXCLIENT"
ZOHO_CLIENT_SECRET = "sandbox-zoho-secret"
ZOHO_REFRESH_TOKEN = "1000.sandbox.refresh"


@dataclass
class SandboxConfig:
    seed: int = 42
    orders_per_day: int = 40
    marketplaces: list[str] = field(default_factory=lambda: ["A1PA6795UKMFR9", "A1F83G8C2ARO7P", "A13V1IB3VIYZZH"])
    # Multiplies every rate-limit refill rate, so a demo needs seconds where Amazon needs hours, with
    # the same bucket arithmetic. 1.0 = Amazon's published rates.
    time_scale: float = 1.0
    rate_limits: bool = True
    lwa_token_ttl: int = 3600
    zoho_token_ttl: int = 3600
    # Seconds a report spends IN_QUEUE and IN_PROGRESS (wall clock, divided by time_scale).
    report_processing_seconds: float = 2.0
    document_url_ttl: int = 300
    zoho_daily_credits: int = 50_000
    zoho_concurrency: int = 10
    # Fault knobs: probabilities per request (0..1) unless said otherwise.
    fault_429_rate: float = 0.0
    fault_500_rate: float = 0.0
    fault_slow_rate: float = 0.0
    fault_slow_seconds: float = 5.0
    fault_token_expiry_rate: float = 0.0
    fault_report_fatal_rate: float = 0.0
    fault_report_cancelled_rate: float = 0.0
    fault_malformed_row_rate: float = 0.0
    fault_zoho_invalid_rate: float = 0.0
    # Downloads whose Content-Type drops the charset, so a Cp1252 order report arrives undeclared.
    fault_undeclared_charset_rate: float = 0.0
    # Which service the request-level faults (429/500/slow/expiry) hit: "amazon", "zoho" or "both".
    fault_target: str = "both"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> SandboxConfig:
        env = os.environ if environ is None else environ
        cfg = cls()
        updates = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"SANDBOX_{f.name.upper()}")
            if raw is not None:
                updates[f.name] = raw
        return cfg.updated(updates)

    def updated(self, changes: dict) -> SandboxConfig:
        """Returns a copy with `changes` applied, coercing strings to each field's type."""
        types = {f.name: f.type for f in dataclasses.fields(self)}
        clean = {}
        for name, value in changes.items():
            if name not in types:
                raise ValueError(f"unknown sandbox knob {name!r}; known: {sorted(types)}")
            clean[name] = _coerce(types[name], value)
        unknown = [m for m in clean.get("marketplaces", []) if m not in MARKETPLACES]
        if unknown:
            raise ValueError(f"unknown marketplace ids {unknown}; known: {sorted(MARKETPLACES)}")
        return dataclasses.replace(self, **clean)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _coerce(type_name, value):
    type_name = str(type_name)
    if "list" in type_name:
        return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else list(value)
    if isinstance(value, str):
        if type_name == "bool":
            return value.lower() in ("1", "true", "yes", "on")
        if type_name == "int":
            return int(value)
        if type_name == "float":
            return float(value)
    if type_name == "float":
        return float(value)
    if type_name == "int":
        return int(value)
    return value

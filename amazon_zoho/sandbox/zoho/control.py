"""Control endpoints for tests and benchmarks (service "control": no auth, no credits):
all records of a module with full data, the credit ledger, Zoho's processing latency, the requests in
flight, and expiring every access token at once (what an hour of idling does to a client holding a cached token)."""

from __future__ import annotations

from ..http import Request, Response
from .catalog import MODULES
from .org import org_of


def register(app) -> None:
    org = org_of(app)
    r = app.router
    r.add("GET", "/_sandbox/zoho/records/{module}", "control", "zoho_all_records", lambda req: _records(org, req))
    r.add("GET", "/_sandbox/zoho/credits", "control", "zoho_credits", lambda req: Response.json(200, org.limits.summary()))
    r.add("POST", "/_sandbox/zoho/latency", "control", "zoho_latency", lambda req: _latency(org, req))
    r.add("GET", "/_sandbox/zoho/in_flight", "control", "zoho_in_flight", lambda req: _in_flight(org))
    r.add("POST", "/_sandbox/zoho/expire_tokens", "control", "zoho_expire_tokens", lambda req: _expire_tokens(app))


def _records(org, req: Request) -> Response:
    module = req.path_params["module"]
    if module not in MODULES:
        return Response.json(404, {"error": f"unknown module {module!r}; known: {sorted(MODULES)}"})
    records = org.repo.all(module)
    return Response.json(200, {"module": module, "count": len(records), "records": records})


def _latency(org, req: Request) -> Response:
    """Seconds each CRM request stays in flight (counts against concurrency); 0 turns it off."""
    try:
        org.limits.latency = max(0.0, float((req.json() or {}).get("seconds", 0)))
    except (TypeError, ValueError, AttributeError):
        return Response.json(400, {"error": "body must be {\"seconds\": <number>}"})
    return Response.json(200, {"seconds": org.limits.latency})


def _in_flight(org) -> Response:
    """CRM requests being processed now (with latency set, they stay here that long)."""
    requests = [{"method": m, "path": p} for m, p in list(org.limits.requests_in_flight.values())]
    return Response.json(200, {"requests": requests})


def _expire_tokens(app) -> Response:
    """Every issued access token expires now; clients must refresh (and get 401 INVALID_TOKEN until then)."""
    cursor = app.store.execute("UPDATE zoho_tokens SET expires = ? WHERE expires > ?", (app.now(), app.now()))
    return Response.json(200, {"expired": cursor.rowcount})

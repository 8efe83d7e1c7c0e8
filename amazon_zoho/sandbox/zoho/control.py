"""Control endpoints for tests and benchmarks (service "control": no auth, no credits):
all records of a module with full data, the credit ledger, and Zoho's processing latency."""

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

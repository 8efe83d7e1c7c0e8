"""Login with Amazon: `POST /auth/o2/token` and the access-token check every SP-API call passes.

Tokens live in the store (table `lwa_tokens`) with their expiry, so a restarted sandbox still honours
tokens it issued. Error bodies follow API-FACTS §1: LWA answers `{"error", "error_description"}`;
SP-API answers 403 `Unauthorized` with the reason in `details`.

Two grants, as Amazon's LWA has them (API-FACTS §1; https://developer-docs.amazon.com/sp-api/docs/grantless-operations):
`grant_type=refresh_token` gives a token acting for the seller (principal SANDBOX_SELLER_ID);
`grant_type=client_credentials` with a `scope` gives a grantless token acting for the application only (principal
"grantless:<scopes>"), which only the grantless operations accept (sandbox/access.py `grant_denied`). The answer to
a client-credentials grant carries no refresh_token and names its scope (RFC 6749 §5.1).
"""

from __future__ import annotations

import json
import secrets
import urllib.parse

from ..access import GRANTLESS_PREFIX
from ..config import LWA_CLIENT_ID, LWA_CLIENT_SECRET, LWA_REFRESH_TOKEN, SANDBOX_SELLER_ID
from ..http import Request, Response

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lwa_tokens (
    token TEXT PRIMARY KEY,
    principal TEXT NOT NULL,
    expires_at REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
"""

MISSING = "Access token is missing in the request header."
INVALID = "The access token you provided is revoked, malformed or invalid."
EXPIRED = "The access token you provided has expired."
# Scopes of Amazon's grantless operations (grantless-operations page: Notifications API destinations and
# subscriptions by id; rotateApplicationClientSecret).
SCOPES = ("sellingpartnerapi::notifications", "sellingpartnerapi::client_credential:rotation")


def register(app) -> None:
    app.store.ensure(_SCHEMA)
    app.router.add("POST", "/auth/o2/token", "amazon", "lwa_token", lambda req: token(app, req))
    app.auth["amazon"] = lambda req: check(app, req)


def _params(req: Request) -> dict[str, str]:
    """Form body (Python helper, curl) or JSON body (the Java LWAClient); query string as a fallback."""
    ctype = (req.header("content-type") or "").lower()
    if "json" in ctype or req.body[:1] == b"{":
        try:
            data = json.loads(req.body.decode("utf-8") or "{}")
            return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        except (ValueError, UnicodeDecodeError):
            return {}
    params = {k: v[-1] for k, v in req.query.items()}
    if req.body:
        params.update({k: v[-1] for k, v in urllib.parse.parse_qs(req.body.decode("utf-8", "replace")).items()})
    return params


def _error(status: int, code: str, description: str) -> Response:
    return Response.json(status, {"error": code, "error_description": description})


def token(app, req: Request) -> Response:
    p = _params(req)
    if app.faults.roll("lwa_echo_body"):
        return _echo(req, p)
    grant = p.get("grant_type")
    if grant not in ("refresh_token", "client_credentials"):
        if not grant:
            return _error(400, "invalid_request", "The request is missing a required parameter : grant_type")
        return _error(400, "unsupported_grant_type", f"The authorization grant type is not supported : {grant}")
    if not p.get("client_id") or not p.get("client_secret"):
        return _error(400, "invalid_request", "The request is missing a required parameter : client_id, client_secret")
    if p["client_id"] != LWA_CLIENT_ID or p["client_secret"] != LWA_CLIENT_SECRET:
        return _error(401, "invalid_client", "Client authentication failed")
    if grant == "refresh_token" and p.get("refresh_token") != LWA_REFRESH_TOKEN:
        if not p.get("refresh_token"):
            return _error(400, "invalid_request", "The request is missing a required parameter : refresh_token")
        return _error(400, "invalid_grant", "The request has an invalid grant parameter : refresh_token")
    scopes = sorted(set((p.get("scope") or "").split()))
    if grant == "client_credentials" and (not scopes or set(scopes) - set(SCOPES)):
        return _error(400, "invalid_scope", "The request has an invalid parameter : scope")
    access = "Atza|" + secrets.token_urlsafe(48)
    ttl = int(app.config.lwa_token_ttl)
    principal = SANDBOX_SELLER_ID if grant == "refresh_token" else GRANTLESS_PREFIX + " ".join(scopes)
    app.store.execute(
        "INSERT INTO lwa_tokens(token, principal, expires_at) VALUES (?, ?, ?)",
        (access, principal, app.now() + ttl),
    )
    body = {"access_token": access, "token_type": "bearer", "expires_in": ttl}
    if grant == "refresh_token":
        body["refresh_token"] = p["refresh_token"]
    else:
        body["scope"] = " ".join(scopes)
    return Response.json(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})


def _echo(req: Request, params: dict[str, str]) -> Response:
    """A gateway error page quoting the request, as proxies and debug pages do: the form body as sent
    (URL-encoded) and its fields JSON-escaped."""
    sent = req.body.decode("utf-8", "replace")
    page = (
        "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>"
        f"<p>Upstream refused POST /auth/o2/token</p><pre>{sent}</pre>"
        f"<script>var request = {json.dumps(params)};</script></body></html>"
    )
    return Response(502, page.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})


def denied(details: str) -> Response:
    return Response.json(
        403, {"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied.", "details": details}]}
    )


def check(app, req: Request) -> tuple[str | None, Response | None]:
    presented = req.header("x-amz-access-token")
    if not presented:
        return None, denied(MISSING)
    rows = app.store.query("SELECT principal, expires_at, revoked FROM lwa_tokens WHERE token = ?", (presented,))
    if not rows:
        return None, denied(INVALID)
    row = rows[0]
    # revoked = 1 marks a token the expiry fault killed: it keeps answering "expired", like a real expired one.
    if row["revoked"] == 1 or row["expires_at"] <= app.now():
        return None, denied(EXPIRED)
    if app.faults.roll("token_expiry", "amazon"):
        app.store.execute("UPDATE lwa_tokens SET revoked = 1 WHERE token = ?", (presented,))
        return None, denied(EXPIRED)
    return row["principal"], None

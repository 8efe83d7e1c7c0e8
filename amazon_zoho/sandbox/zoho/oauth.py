"""Zoho accounts OAuth: refresh-token grant at POST /oauth/v2/token, and the `Zoho-oauthtoken` check
every CRM route goes through (API-FACTS §7).

Behaviour taken from Zoho's docs (https://zoho.com/crm/developer/docs/api/v4/token-validity.html,
same text for v7/v8; Kaizen #43 "Tokens and Limitations"):
- an access token lives `zoho_token_ttl` seconds (3600 in Zoho);
- at most 10 access tokens per refresh token in 10 minutes, then
  {"error_description": "You have made too many requests continuously. Please try again after some
  time.", "error": "Access Denied", "status": "failure"}, with HTTP 200 ("The status code for the
  requests that are made after exceeding the allowed limit remains 200", Kaizen #43);
- at most 15 active access tokens per refresh token; the 16th revokes the oldest.
Bad credentials answer {"error": "invalid_code"} (or "invalid_client" for an unknown client id) with
HTTP 200: Zoho's token endpoint reports errors in the body (zoho/zcrm-csharp-sdk#7, schmorrison/Zoho#18;
the SDK only checks for the access_token key). The status itself is not documented.
The window uses wall-clock time, not `time_scale`, because clients must cache tokens in any case.
"""

from __future__ import annotations

import json
import secrets

from .. import config as sandbox_config
from ..http import Request, Response
from .common import error_response

SCHEMA = """
CREATE TABLE IF NOT EXISTS zoho_tokens (
    token TEXT PRIMARY KEY, refresh TEXT NOT NULL, issued REAL NOT NULL, expires REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS zoho_tokens_refresh ON zoho_tokens(refresh, issued);
"""

MINTS_PER_WINDOW = 10
WINDOW_SECONDS = 600
MAX_ACTIVE = 15
# What the sandbox's refresh token was granted: every scope the sync needs (README "Going live"), less the one the
# doctor_missing_scope knob takes away. Zoho lists the granted scopes in the token answer (API-FACTS §7).
SCOPES = ("ZohoCRM.modules.ALL", "ZohoCRM.settings.ALL", "ZohoCRM.org.READ", "ZohoCRM.users.READ", "ZohoCRM.bulk.ALL", "ZohoFiles.files.ALL")


def granted_scopes(app) -> str:
    missing = app.config.doctor_missing_scope.strip()
    family = missing.rsplit(".", 1)[0] if "." in missing else missing
    kept = [s for s in SCOPES if not missing or not (s == missing or s.startswith(family + ".") or family.startswith(s.rsplit(".", 1)[0] + "."))]
    return ",".join(kept)
TOO_MANY = {
    "error_description": "You have made too many requests continuously. Please try again after some time.",
    "error": "Access Denied",
    "status": "failure",
}


def register(app) -> None:
    app.store.ensure(SCHEMA)
    app.router.add("POST", "/oauth/v2/token", "zoho", "zoho_token", lambda req: _token(app, req))
    # Another data centre's accounts server (knob zoho_wrong_dc): what `make doctor` asks when the configured one
    # does not know the client.
    app.router.add("POST", "/_dc/{dc}/oauth/v2/token", "zoho", "zoho_dc_token", lambda req: _token(app, req, req.path_params["dc"]))
    app.auth["zoho"] = lambda req: check(app, req)


def _params(req: Request) -> dict[str, str]:
    """Zoho's docs pass the fields as query parameters; the SDK sends a form body. Accept both."""
    params = {k: v[-1] for k, v in req.query.items()}
    if req.body and "json" not in (req.header("content-type") or ""):
        params.update(req.form())
    return params


def _token(app, req: Request, dc: str | None = None) -> Response:
    """`dc` None: the sandbox's own accounts endpoint (the configured data centre); else /_dc/<dc>/..., another one.
    With knob zoho_wrong_dc=<dc> the client lives at <dc> only: everywhere else Zoho does not know it."""
    p = _params(req)
    home = app.config.zoho_wrong_dc.strip()
    if (dc or "") != home:
        # An accounts server of another data centre has never heard of the client and answers invalid_client, not a
        # data-centre mismatch ("Hit the wrong one and you get a confusing 'invalid client' rather than a clear DC
        # mismatch error", https://crmcurator.com/articles/zoho/zoho-oauth-token-management/; a third-party note, the
        # exact body is UNVERIFIED; API-FACTS §7: errors come as {"error": ...} with HTTP 200).
        return Response.json(200, {"error": "invalid_client"})
    if p.get("grant_type") == "authorization_code":
        return _exchange_code(app, p)
    if p.get("grant_type") != "refresh_token":
        return Response.json(200, {"error": "unsupported_grant_type"})
    if p.get("client_id") != sandbox_config.ZOHO_CLIENT_ID:
        return Response.json(200, {"error": "invalid_client"})
    if p.get("client_secret") != sandbox_config.ZOHO_CLIENT_SECRET or p.get("refresh_token") != sandbox_config.ZOHO_REFRESH_TOKEN:
        return Response.json(200, {"error": "invalid_code"})
    return _mint(app, p["refresh_token"])


def _exchange_code(app, p: dict[str, str]) -> Response:
    """grant_type=authorization_code: a Self Client's grant code (valid minutes, used once in Zoho; here the one fixed
    sandbox code, any number of times) for a refresh token and a first access token ("Generate Access Token and
    Refresh Token", https://www.zoho.com/crm/developer/docs/api/v8/access-refresh.html: POST {accounts}/oauth/v2/token
    with grant_type, client_id, client_secret, code; answer {access_token, refresh_token, scope, api_domain, token_type,
    expires_in}; a used or expired code answers {"error": "invalid_code"})."""
    if p.get("client_id") != sandbox_config.ZOHO_CLIENT_ID:
        return Response.json(200, {"error": "invalid_client"})
    if p.get("client_secret") != sandbox_config.ZOHO_CLIENT_SECRET:
        return Response.json(200, {"error": "invalid_client_secret"})
    if p.get("code") != sandbox_config.ZOHO_GRANT_CODE:
        return Response.json(200, {"error": "invalid_code"})
    answer = _mint(app, sandbox_config.ZOHO_REFRESH_TOKEN)
    body = json.loads(answer.body)
    if "access_token" in body:
        body["refresh_token"] = sandbox_config.ZOHO_REFRESH_TOKEN
    return Response.json(answer.status, body)


def _mint(app, refresh: str) -> Response:
    now = app.now()
    with app.store.transaction():
        recent = app.store.query(
            "SELECT COUNT(*) AS n FROM zoho_tokens WHERE refresh = ? AND issued > ?", (refresh, now - WINDOW_SECONDS)
        )[0]["n"]
        if recent >= MINTS_PER_WINDOW:
            return Response.json(200, TOO_MANY)
        token = "1000." + secrets.token_hex(16) + "." + secrets.token_hex(16)
        ttl = app.config.zoho_token_ttl
        app.store.execute(
            "INSERT INTO zoho_tokens(token, refresh, issued, expires) VALUES (?, ?, ?, ?)", (token, refresh, now, now + ttl)
        )
        active = app.store.query(
            "SELECT token FROM zoho_tokens WHERE refresh = ? AND revoked = 0 AND expires > ? ORDER BY issued DESC",
            (refresh, now),
        )
        for old in active[MAX_ACTIVE:]:
            app.store.execute("UPDATE zoho_tokens SET revoked = 1 WHERE token = ?", (old["token"],))
    return Response.json(
        200,
        {
            "access_token": token,
            "scope": granted_scopes(app),
            # Our own URL, so SDKs that adopt api_domain stay on the sandbox (API-FACTS §10).
            "api_domain": app.base_url,
            "token_type": "Bearer",
            "expires_in": ttl,
        },
    )


def _invalid_token() -> Response:
    return error_response(401, "INVALID_TOKEN", "invalid oauth token")


def check(app, req: Request) -> tuple[str | None, Response | None]:
    header = req.header("authorization") or ""
    prefix = "Zoho-oauthtoken "
    if not header.startswith(prefix):
        return None, _invalid_token()
    token = header[len(prefix):].strip()
    rows = app.store.query("SELECT expires, revoked FROM zoho_tokens WHERE token = ?", (token,))
    if not rows or rows[0]["revoked"] or rows[0]["expires"] <= app.now():
        return None, _invalid_token()
    if app.faults.roll("token_expiry", "zoho"):
        app.store.execute("UPDATE zoho_tokens SET revoked = 1 WHERE token = ?", (token,))
        return None, _invalid_token()
    return "zoho-org", None

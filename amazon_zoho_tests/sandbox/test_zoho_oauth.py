"""Zoho accounts OAuth in the sandbox: refresh grant, token limits and the 401 every CRM call gives
for a missing, unknown, expired or revoked token."""

from __future__ import annotations

import requests

from amazon_zoho import clock
from amazon_zoho.sandbox import Sandbox, SandboxConfig
from amazon_zoho_tests.sandbox.zoho_fixtures import CRM, token_params, zoho_sandbox

INVALID_TOKEN = {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"}


def _users(sb, token=None):
    headers = {"Authorization": f"Zoho-oauthtoken {token}"} if token else {}
    return requests.get(sb.url + CRM + "/users", params={"type": "CurrentUser"}, headers=headers, timeout=10)


def test_refresh_grant_as_form_or_query_returns_a_token_for_the_sandbox_domain(tmp_path):
    with zoho_sandbox(tmp_path, custom_fields=False) as (sb, _):
        by_form = requests.post(sb.url + "/oauth/v2/token", data=token_params(), timeout=10)
        by_query = requests.post(sb.url + "/oauth/v2/token", params=token_params(), timeout=10)
        for answer in (by_form, by_query):
            body = answer.json()
            assert answer.status_code == 200
            assert body["api_domain"] == sb.url and body["token_type"] == "Bearer" and body["expires_in"] == 3600
            # Every scope the sync needs (README "Going live"), as `make doctor` reads them from the token answer.
            assert set(body["scope"].split(",")) >= {"ZohoCRM.modules.ALL", "ZohoCRM.settings.ALL", "ZohoCRM.bulk.ALL", "ZohoFiles.files.ALL"}
            assert _users(sb, body["access_token"]).status_code == 200


def test_wrong_credentials_answer_200_with_an_error_body(tmp_path):
    with zoho_sandbox(tmp_path, custom_fields=False) as (sb, _):
        bad_refresh = requests.post(sb.url + "/oauth/v2/token", data=token_params(refresh_token="1000.nope"), timeout=10)
        bad_secret = requests.post(sb.url + "/oauth/v2/token", data=token_params(client_secret="nope"), timeout=10)
        bad_client = requests.post(sb.url + "/oauth/v2/token", data=token_params(client_id="1000.OTHER"), timeout=10)
        assert (bad_refresh.status_code, bad_refresh.json()) == (200, {"error": "invalid_code"})
        assert bad_secret.json() == {"error": "invalid_code"}
        assert bad_client.json() == {"error": "invalid_client"}


def test_eleventh_token_in_ten_minutes_is_access_denied(tmp_path):
    with zoho_sandbox(tmp_path, custom_fields=False) as (sb, _):  # the fixture minted one already
        answers = [requests.post(sb.url + "/oauth/v2/token", data=token_params(), timeout=10).json() for _ in range(10)]
        assert all("access_token" in a for a in answers[:9])
        assert answers[9] == {
            "error_description": "You have made too many requests continuously. Please try again after some time.",
            "error": "Access Denied",
            "status": "failure",
        }


def test_missing_unknown_and_expired_tokens_get_401_invalid_token(tmp_path):
    with zoho_sandbox(tmp_path, custom_fields=False, zoho_token_ttl=1) as (sb, z):
        assert (_users(sb).status_code, _users(sb).json()) == (401, INVALID_TOKEN)
        assert _users(sb, "1000.garbage").json() == INVALID_TOKEN
        assert z.get("/users", params={"type": "CurrentUser"}).status_code == 200
        clock.advance(1.2)  # past the one-second token, without waiting for it
        expired = z.get("/users", params={"type": "CurrentUser"})
        assert (expired.status_code, expired.json()) == (401, INVALID_TOKEN)


def test_token_expiry_fault_revokes_the_presented_token(tmp_path):
    with zoho_sandbox(tmp_path, custom_fields=False) as (sb, z):
        requests.post(sb.url + "/_sandbox/config", json={"fault_token_expiry_rate": 1.0}, timeout=10)
        assert z.get("/users").status_code == 401
        requests.post(sb.url + "/_sandbox/config", json={"fault_token_expiry_rate": 0.0}, timeout=10)
        assert z.get("/users").status_code == 401  # revoked for good, not just once


def test_tokens_survive_a_restart_on_the_same_state_dir(tmp_path):
    with zoho_sandbox(tmp_path, custom_fields=False) as (sb, z):
        token = z.s.headers["Authorization"].split()[-1]
    with Sandbox(port=0, config=SandboxConfig(), state_dir=tmp_path) as sb2:
        assert _users(sb2, token).status_code == 200

"""`make doctor` (issue #20): green on the sandbox, and each failure the sandbox can simulate (a missing SP-API role,
a missing Zoho scope, a wrong Zoho data centre, an edition without Sales Orders, wrong settings) is named with its
fix, with a non-zero exit status. Nothing is written: no record, field, report or Bulk Write job."""

from __future__ import annotations

import pytest
import requests

from amazon_zoho.cli.doctor import diagnose
from amazon_zoho.http.access import BUYER_ROLE, FINANCE_ROLE, ORDERS_ROLE
from amazon_zoho.sandbox.config import LWA_CLIENT_SECRET, LWA_REFRESH_TOKEN, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN


def _doctor(env: dict[str, str]) -> tuple[int, str]:
    lines: list[str] = []
    status = diagnose(env, out=lines.append)
    return status, "\n".join(lines)


def _writes(sandbox) -> list[dict]:
    calls = requests.get(sandbox.url + "/_sandbox/calls", timeout=10).json()["calls"]
    return [c for c in calls if c["method"] in ("POST", "PUT", "PATCH", "DELETE") and not c["operation"].endswith("token")]


def _set(sandbox, **knobs) -> None:
    sandbox.app.set_config(knobs, persist=False)


def test_green_on_the_sandbox_and_writes_nothing(sandbox, project_env):
    status, text = _doctor(project_env)
    assert status == 0, text
    assert "FAIL" not in text
    for name in ("settings", "Amazon LWA token", "getMarketplaceParticipations", "Amazon searchOrders", "Amazon buyer details",
                 "getReports (order reports)", "getReports (settlement reports)", "Zoho token", "Zoho scope ZohoCRM.bulk.ALL",
                 "Zoho scope ZohoFiles.files.ALL", "Zoho modules", "Zoho fields", "Zoho API credits"):
        assert name in text, f"{name} missing from:\n{text}"
    assert "SQS" in text and "not configured" in text
    assert _writes(sandbox) == []
    for module in ("Contacts", "Products", "Sales_Orders"):
        assert requests.get(f"{sandbox.url}/_sandbox/zoho/records/{module}", timeout=10).json()["count"] == 0


@pytest.mark.parametrize(("role", "failing"), [
    (ORDERS_ROLE, "Amazon searchOrders"),
    (FINANCE_ROLE, "Amazon getReports (settlement reports)"),
    (BUYER_ROLE, "Amazon buyer details"),
])
def test_a_missing_role_is_named_with_where_to_request_it(sandbox, project_env, role, failing):
    _set(sandbox, doctor_missing_role=role)
    status, text = _doctor(project_env)
    assert status == 1
    block = text.split(failing, 1)[1].split("\n  ", 2)[:2]
    assert "FAIL" in text.split(failing, 1)[0].rsplit("\n", 1)[-1], text
    assert role in "".join(block) and "Seller Central" in "".join(block) and "AMAZON_LWA_REFRESH_TOKEN" in "".join(block), text


@pytest.mark.parametrize("scope", ["ZohoCRM.bulk.ALL", "ZohoCRM.org.READ", "ZohoCRM.settings.modules.READ", "ZohoFiles.files.ALL",
                                   "ZohoCRM.modules.ALL"])
def test_a_missing_scope_is_named_with_how_to_mint_a_new_token(sandbox, project_env, scope):
    _set(sandbox, doctor_missing_scope=scope)
    status, text = _doctor(project_env)
    assert status == 1
    line = next(i for i, t in enumerate(text.splitlines()) if f"Zoho scope {scope}" in t)
    lines = text.splitlines()
    assert "FAIL" in lines[line], text
    assert scope in lines[line + 1] and "make zoho-token" in lines[line + 1] and "ZohoCRM.bulk.ALL" in lines[line + 1], text


def test_a_wrong_data_centre_is_recognised_and_the_right_one_named(sandbox, project_env):
    _set(sandbox, zoho_wrong_dc="eu")
    status, text = _doctor({**project_env, "ZOHO_DATA_CENTER": "com"})
    assert status == 1
    assert "Zoho token (data centre com)" in text and "set ZOHO_DATA_CENTER=eu" in text, text


def test_no_data_centre_knowing_the_client_says_to_check_the_credentials(sandbox, project_env):
    _set(sandbox, zoho_wrong_dc="nowhere")
    status, text = _doctor(project_env)
    assert status == 1 and "no Zoho data centre accepts these credentials" in text and "ZOHO_CLIENT_ID" in text, text


def test_an_edition_without_sales_orders_is_named(sandbox, project_env):
    _set(sandbox, zoho_edition_without="Sales_Orders")
    status, text = _doctor(project_env)
    assert status == 1
    assert "the org has no Sales_Orders module" in text and "Professional" in text, text


def test_a_credit_allowance_below_the_expected_use_fails(sandbox, project_env):
    _set(sandbox, zoho_daily_credits=5000)
    status, text = _doctor({**project_env, "ZOHO_DAILY_CREDITS": "5000", "ZOHO_CREDIT_RESERVE": "1000"})
    assert status == 0, text  # 1,000 orders/day need ~142 credits a day
    lines: list[str] = []
    assert diagnose({**project_env, "ZOHO_DAILY_CREDITS": "5000", "ZOHO_CREDIT_RESERVE": "1000"}, orders_per_day=40_000, out=lines.append) == 1
    assert "not enough" in "\n".join(lines) and "5,680 credits a day" in "\n".join(lines)


def test_a_credit_setting_that_differs_from_the_org_is_named(sandbox, project_env):
    status, text = _doctor({**project_env, "ZOHO_DAILY_CREDITS": "100000"})
    assert status == 1 and "set ZOHO_DAILY_CREDITS=50000" in text, text


def test_a_marketplace_the_seller_does_not_sell_in_is_named(sandbox, project_env):
    status, text = _doctor({**project_env, "AMAZON_MARKETPLACE_IDS": "A1PA6795UKMFR9,APJ6JRA9NG5V4"})
    assert status == 1 and "APJ6JRA9NG5V4 (IT): the seller does not sell there" in text, text


def test_wrong_settings_stop_before_any_call(sandbox, project_env):
    status, text = _doctor({**project_env, "AMAZON_MARKETPLACE_IDS": "A1PA6795UKMFR9,ATVPDKIKX0DER"})
    assert status == 1 and "FAIL  settings" in text and "AMAZON_REGION" in text, text
    assert "Amazon LWA token" not in text


def test_wrong_lwa_credentials_name_the_variables_and_never_print_secrets(sandbox, project_env):
    env = {**project_env, "AMAZON_LWA_CLIENT_ID": "amzn1.application-oa2-client.sandbox", "AMAZON_LWA_CLIENT_SECRET": "not-the-secret-123",
           "AMAZON_LWA_REFRESH_TOKEN": "Atzr|wrong-refresh-token-456", "AMAZON_SPAPI_ENDPOINT": sandbox.url,
           "AMAZON_LWA_TOKEN_URL": sandbox.url + "/auth/o2/token"}
    import os
    old = {k: os.environ.get(k) for k in env if k.startswith("AMAZON_LWA")}
    os.environ.update({k: v for k, v in env.items() if k.startswith("AMAZON_LWA")})  # dg.EnvVar reads the process environment
    try:
        status, text = _doctor(env)
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    assert status == 1 and "AMAZON_LWA_CLIENT_SECRET" in text, text
    for secret in ("not-the-secret-123", "wrong-refresh-token-456", LWA_CLIENT_SECRET, LWA_REFRESH_TOKEN, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN):
        assert secret not in text


# -- make zoho-token: the grant code → refresh token exchange, against the sandbox's accounts endpoint ----------------

def test_zoho_token_turns_the_sandbox_grant_code_into_the_refresh_token(sandbox, monkeypatch, capsys):
    from amazon_zoho.cli import zoho_token
    from amazon_zoho.sandbox.config import ZOHO_CLIENT_ID, ZOHO_GRANT_CODE

    monkeypatch.setenv("ZOHO_CLIENT_ID", ZOHO_CLIENT_ID)
    monkeypatch.setenv("ZOHO_CLIENT_SECRET", ZOHO_CLIENT_SECRET)
    monkeypatch.setenv("ZOHO_ACCOUNTS_URL", sandbox.url)
    assert zoho_token.main([ZOHO_GRANT_CODE]) == 0
    out = capsys.readouterr().out
    assert f"ZOHO_REFRESH_TOKEN={ZOHO_REFRESH_TOKEN}" in out and "ZohoCRM.bulk.ALL" in out
    assert ZOHO_CLIENT_SECRET not in out


@pytest.mark.parametrize(("knobs", "code", "says"), [
    ({}, "1000.used.or.expired", "invalid_code"),
    ({"zoho_wrong_dc": "eu"}, "1000.sandbox.grant", "invalid_client"),
])
def test_zoho_token_says_why_a_code_was_refused(sandbox, monkeypatch, knobs, code, says):
    from amazon_zoho.cli import zoho_token
    from amazon_zoho.sandbox.config import ZOHO_CLIENT_ID

    _set(sandbox, **knobs)
    monkeypatch.setenv("ZOHO_CLIENT_ID", ZOHO_CLIENT_ID)
    monkeypatch.setenv("ZOHO_CLIENT_SECRET", ZOHO_CLIENT_SECRET)
    monkeypatch.setenv("ZOHO_ACCOUNTS_URL", sandbox.url)
    with pytest.raises(SystemExit) as stopped:
        zoho_token.main([code])
    assert says in str(stopped.value) and ZOHO_CLIENT_SECRET not in str(stopped.value)


# -- a real run stops at its first call with the doctor's message (issue #20 item 3) --------------------------------

def test_a_missing_role_stops_the_order_listing_at_its_first_call_with_the_doctors_hint(sandbox, resources):
    from datetime import timedelta

    from amazon_zoho import clock
    from amazon_zoho.amazon import orders
    from amazon_zoho.http.access import amazon_hint
    from amazon_zoho.http.errors import AccessDenied

    _set(sandbox, doctor_missing_role=ORDERS_ROLE)
    client = resources["amazon"].client()
    now = clock.now()
    with pytest.raises(AccessDenied) as denied:
        list(orders.search_orders(client, ["A1PA6795UKMFR9"], now - timedelta(days=2), now - timedelta(days=1)))
    assert client.calls["searchOrders"] == 1
    assert ORDERS_ROLE in str(denied.value) and denied.value.hint == amazon_hint("searchOrders", {"includedData": "BUYER"})


def test_a_missing_scope_stops_the_push_at_its_first_call_with_the_doctors_hint(sandbox, resources):
    from amazon_zoho.http.access import zoho_hint
    from amazon_zoho.http.errors import AccessDenied

    _set(sandbox, doctor_missing_scope="ZohoCRM.modules.ALL")
    client = resources["zoho"].client()
    with pytest.raises(AccessDenied) as denied:
        client.upsert("Contacts", [{"Last_Name": "Doe", "Email": "doe@example.com"}], ["Email"])
    assert client.calls["upsert"] == 1  # not retried, no token refresh: a new token has the same scopes
    assert "ZohoCRM.modules.ALL" in str(denied.value) and denied.value.hint == zoho_hint("upsert")
    assert requests.get(f"{sandbox.url}/_sandbox/zoho/records/Contacts", timeout=10).json()["count"] == 0


def test_a_missing_buyer_data_role_stops_the_buyer_lookups_at_the_first_order(sandbox, resources):
    """getOrder refuses every order asked with buyer data: not quarantined one by one, stopped at the first."""
    from amazon_zoho.amazon.orders import INCLUDED_DATA, get_orders
    from amazon_zoho.http.errors import AccessDenied
    from amazon_zoho_tests.truth import day_ago, truth_orders

    ids = [o["orderId"] for o in truth_orders(sandbox.url, day_ago(3), day_ago(1))][:5]
    _set(sandbox, doctor_missing_role=BUYER_ROLE)
    client = resources["amazon"].client()
    with pytest.raises(AccessDenied) as denied:
        get_orders(client, ids, INCLUDED_DATA)
    assert client.calls["getOrder"] == 2  # the order with buyer data, then without: the role, not the order
    assert BUYER_ROLE in str(denied.value)
    _set(sandbox, doctor_missing_role="", fault_get_order_403_rate=1.0)
    fetched, refused = get_orders(client, ids, INCLUDED_DATA)  # one withheld order stays a per-order refusal
    assert not fetched and len(refused) == len(ids)


def test_make_doctor_exits_0_when_green_and_1_on_a_problem(sandbox, project_env, monkeypatch, capsys, tmp_path):
    """The command itself (`make doctor` runs it): reuses the sandbox answering on the port, as `make run` does."""
    from amazon_zoho.cli import doctor

    monkeypatch.chdir(tmp_path)
    for key, value in project_env.items():
        monkeypatch.setenv(key, value)
    assert doctor.main(["--port", str(sandbox.port)]) == 0
    assert "everything a real run needs answers" in capsys.readouterr().out
    _set(sandbox, zoho_edition_without="Sales_Orders")
    assert doctor.main(["--port", str(sandbox.port)]) == 1
    assert "FAIL  Zoho modules (edition)" in capsys.readouterr().out


def test_real_zoho_credentials_are_resolved_and_a_proxy_url_is_not_bypassed(sandbox, project_env, monkeypatch):
    """Credentials set: the resource's dg.EnvVar values are read (not their names); with ZOHO_ACCOUNTS_URL set (a proxy)
    a refused token is not retried at Zoho's own data centres."""
    from amazon_zoho.sandbox.config import ZOHO_CLIENT_ID

    real = {"ZOHO_CLIENT_ID": ZOHO_CLIENT_ID, "ZOHO_CLIENT_SECRET": ZOHO_CLIENT_SECRET, "ZOHO_REFRESH_TOKEN": ZOHO_REFRESH_TOKEN,
            "ZOHO_ACCOUNTS_URL": sandbox.url, "ZOHO_DATA_CENTER": "eu"}
    for key, value in real.items():
        monkeypatch.setenv(key, value)
    status, text = _doctor({**project_env, **real})
    assert status == 0, text
    assert "Zoho: Zoho CRM, data centre eu" in text and ZOHO_CLIENT_SECRET not in text and ZOHO_REFRESH_TOKEN not in text
    _set(sandbox, zoho_wrong_dc="in")
    status, text = _doctor({**project_env, **real})
    assert status == 1 and "Zoho refused the credentials (error=invalid_client)" in text, text
    assert "/_dc/" not in str(requests.get(sandbox.url + "/_sandbox/calls", timeout=10).json())


def test_a_token_without_the_upload_scope_stops_the_push_before_its_first_write(sandbox, resources, project_env):
    """Bulk Write's upload comes late in a push; the token's own scope list stops it before the first record."""
    from amazon_zoho.http.access import zoho_hint
    from amazon_zoho_tests.truth import day_ago
    from amazon_zoho_tests.zoho.helpers import load_day, push

    day = day_ago(2)
    load_day(resources, day)
    _set(sandbox, doctor_missing_scope="ZohoFiles.files.ALL")
    result = push(resources, day, raise_on_error=False)
    assert not result.success
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failures and all(zoho_hint("the sync", "ZohoFiles.files.ALL") in str(e.event_specific_data.error) for e in failures)
    for module in ("Contacts", "Products", "Sales_Orders"):
        assert requests.get(f"{sandbox.url}/_sandbox/zoho/records/{module}", timeout=10).json()["count"] == 0
    assert _writes(sandbox) == []  # not even a custom field


def test_granted_scopes_cover_their_parts():
    from amazon_zoho.http.access import ZOHO_SCOPES, missing_scopes

    assert missing_scopes({"ZohoCRM.modules.ALL", "ZohoCRM.settings.ALL", "ZohoCRM.org.ALL", "ZohoCRM.bulk.ALL", "ZohoFiles.files.ALL"}) == []
    assert missing_scopes({"ZohoCRM.modules.ALL", "ZohoCRM.settings.fields.READ"}, ZOHO_SCOPES)[:2] == ["ZohoCRM.settings.fields.ALL",
                                                                                                        "ZohoCRM.settings.modules.READ"]


def test_without_the_sellers_api_role_the_marketplace_check_is_skipped_not_failed(sandbox, project_env):
    """The pipeline never calls the Sellers API: an app without its role is not broken, and the doctor says so."""
    _set(sandbox, doctor_missing_role="Selling Partner Insights")
    status, text = _doctor(project_env)
    assert status == 0, text
    assert "--    Amazon marketplaces (getMarketplaceParticipations)" in text and "check by hand" in text

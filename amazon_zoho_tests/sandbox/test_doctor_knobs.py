"""The sandbox endpoints and knobs `make doctor` needs (issue #20): the Sellers API's marketplace participations with
its usage plan, a missing SP-API role (403 Unauthorized), a missing Zoho scope (401 OAUTH_SCOPE_MISMATCH), an
edition without a module (INVALID_MODULE), a wrong data centre (invalid_client) and the authorization_code grant."""

from __future__ import annotations

import requests

from amazon_zoho.sandbox import Sandbox, SandboxConfig
from amazon_zoho.sandbox.config import ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_GRANT_CODE, ZOHO_REFRESH_TOKEN
from amazon_zoho_tests.sandbox.reports_fixtures import session
from amazon_zoho_tests.sandbox.zoho_fixtures import CRM, mint, token_params, zoho_sandbox

DENIED = {"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied.", "details": ""}]}


def test_marketplace_participations_follow_the_sellers_model_and_its_usage_plan(tmp_path):
    with Sandbox(port=0, config=SandboxConfig(marketplaces=["A1PA6795UKMFR9", "A1F83G8C2ARO7P"]), state_dir=tmp_path) as sb:
        answer = session(sb).get(sb.url + "/sellers/v1/marketplaceParticipations")
        assert answer.status_code == 200 and answer.headers["x-amzn-RateLimit-Limit"] == "0.016"
        payload = answer.json()["payload"]
        assert [p["marketplace"]["id"] for p in payload] == ["A1PA6795UKMFR9", "A1F83G8C2ARO7P"]
        assert payload[0]["marketplace"]["countryCode"] == "DE" and payload[0]["marketplace"]["defaultCurrencyCode"] == "EUR"
        assert payload[0]["participation"] == {"isParticipating": True, "hasSuspendedListings": False}
        s = session(sb)
        statuses = [s.get(sb.url + "/sellers/v1/marketplaceParticipations").status_code for _ in range(16)]
        assert statuses.count(429) >= 1  # burst 15 (one already spent above)


def test_a_missing_role_refuses_only_the_operations_needing_it(tmp_path):
    with Sandbox(port=0, config=SandboxConfig(doctor_missing_role="Finance and Accounting"), state_dir=tmp_path) as sb:
        s = session(sb)
        settlements = s.get(sb.url + "/reports/2021-06-30/reports", params={"reportTypes": "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"})
        assert settlements.status_code == 403 and settlements.json() == DENIED
        orders = s.get(sb.url + "/reports/2021-06-30/reports", params={"reportTypes": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"})
        assert orders.status_code == 200
    with Sandbox(port=0, config=SandboxConfig(doctor_missing_role="Direct-to-Consumer Delivery"), state_dir=tmp_path / "b") as sb:
        s = session(sb)
        window = {"createdAfter": "2026-01-01T00:00:00Z", "createdBefore": "2026-01-02T00:00:00Z", "marketplaceIds": "A1PA6795UKMFR9"}
        assert s.get(sb.url + "/orders/2026-01-01/orders", params=window).status_code == 200
        assert s.get(sb.url + "/orders/2026-01-01/orders", params={**window, "includedData": "BUYER"}).status_code == 403


def test_a_missing_scope_answers_oauth_scope_mismatch_and_the_token_lists_the_rest(tmp_path):
    with zoho_sandbox(tmp_path, doctor_missing_scope="ZohoCRM.bulk.ALL") as (sb, _):
        token = requests.post(sb.url + "/oauth/v2/token", data=token_params(), timeout=10).json()
        assert "ZohoCRM.bulk.ALL" not in token["scope"] and "ZohoCRM.modules.ALL" in token["scope"]
        headers = {"Authorization": f"Zoho-oauthtoken {token['access_token']}"}
        job = requests.get(sb.url + "/crm/bulk/v8/write/111", headers=headers, timeout=10)
        assert job.status_code == 401 and job.json()["code"] == "OAUTH_SCOPE_MISMATCH"
        assert requests.get(sb.url + CRM + "/org", headers=headers, timeout=10).status_code == 200


def test_an_edition_without_sales_orders_hides_the_module(tmp_path):
    with zoho_sandbox(tmp_path, zoho_edition_without="Sales_Orders") as (sb, _):
        headers = {"Authorization": f"Zoho-oauthtoken {mint(sb)}"}
        modules = requests.get(sb.url + CRM + "/settings/modules", headers=headers, timeout=10).json()["modules"]
        assert "Sales_Orders" not in [m["api_name"] for m in modules] and "Contacts" in [m["api_name"] for m in modules]
        fields = requests.get(sb.url + CRM + "/settings/fields", params={"module": "Sales_Orders"}, headers=headers, timeout=10)
        assert fields.status_code == 400 and fields.json()["code"] == "INVALID_MODULE"


def test_a_wrong_data_centre_does_not_know_the_client_and_the_right_one_mints(tmp_path):
    with Sandbox(port=0, config=SandboxConfig(zoho_wrong_dc="eu"), state_dir=tmp_path) as sb:
        assert requests.post(sb.url + "/oauth/v2/token", data=token_params(), timeout=10).json() == {"error": "invalid_client"}
        assert requests.post(sb.url + "/_dc/in/oauth/v2/token", data=token_params(), timeout=10).json() == {"error": "invalid_client"}
        assert "access_token" in requests.post(sb.url + "/_dc/eu/oauth/v2/token", data=token_params(), timeout=10).json()


def test_the_authorization_code_grant_gives_the_refresh_token_for_the_sandbox_code_only(tmp_path):
    with zoho_sandbox(tmp_path, custom_fields=False) as (sb, _):
        grant = {"grant_type": "authorization_code", "client_id": ZOHO_CLIENT_ID, "client_secret": ZOHO_CLIENT_SECRET}
        body = requests.post(sb.url + "/oauth/v2/token", data={**grant, "code": ZOHO_GRANT_CODE}, timeout=10).json()
        assert body["refresh_token"] == ZOHO_REFRESH_TOKEN and body["api_domain"] == sb.url and "access_token" in body
        assert requests.post(sb.url + "/oauth/v2/token", data={**grant, "code": "1000.other"}, timeout=10).json() == {"error": "invalid_code"}

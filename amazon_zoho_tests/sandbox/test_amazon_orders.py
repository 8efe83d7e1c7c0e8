"""The sandbox's LWA endpoint and Orders API v2026-01-01 behave as Amazon's model and API-FACTS §1,
§11 and §12c describe, spoken to over real HTTP."""

from __future__ import annotations

import contextlib
import json
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
import requests

from amazon_zoho import clock
from amazon_zoho.sandbox import Sandbox, SandboxConfig
from amazon_zoho.sandbox.config import LWA_CLIENT_ID, LWA_CLIENT_SECRET, LWA_REFRESH_TOKEN, MARKETPLACES
from amazon_zoho_tests.sandbox.reports_fixtures import session

ORDERS = "/orders/2026-01-01/orders"
MODEL = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "amazon" / "orders_2026-01-01.json"
US, DE, GB, FR = "ATVPDKIKX0DER", "A1PA6795UKMFR9", "A1F83G8C2ARO7P", "A13V1IB3VIYZZH"
ALL_DATA = "BUYER,RECIPIENT,PROCEEDS,EXPENSE,PROMOTION,CANCELLATION,FULFILLMENT,PACKAGES,TAX,PAYMENT,FULFILLMENT_ORDERS"
SHIPPING = ("UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED")
QUOTA_EXCEEDED = {"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource.", "details": ""}]}


@contextlib.contextmanager
def orders_sandbox(tmp_path, **knobs):
    """A sandbox selling in the US too (so US sales-tax paths are covered), rate limits off unless asked."""
    settings = {"orders_per_day": 60, "marketplaces": [US, DE, GB, FR], "rate_limits": False, **knobs}
    with Sandbox(port=0, config=SandboxConfig(**settings), state_dir=tmp_path) as sb:
        yield sb


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(**delta) -> str:
    return iso(clock.now() - timedelta(**delta))


def all_pages(s: requests.Session, sb, params: dict) -> list[dict]:
    """Every 200 body of a search, following nextToken with the other parameters resent unchanged."""
    bodies = [s.get(sb.url + ORDERS, params=params)]
    while bodies[-1].status_code == 200 and "pagination" in bodies[-1].json():
        token = bodies[-1].json()["pagination"]["nextToken"]
        bodies.append(s.get(sb.url + ORDERS, params={**params, "paginationToken": token}))
    assert all(b.status_code == 200 for b in bodies), bodies[-1].text
    return [b.json() for b in bodies]


def orders_of(pages: list[dict]) -> list[dict]:
    return [o for p in pages for o in p["orders"]]


def calls(sb) -> list[dict]:
    return requests.get(sb.url + "/_sandbox/calls", params={"service": "amazon"}, timeout=10).json()["calls"]


# -- the official model as a JSON Schema -------------------------------------------------------
_ISO_8601 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
_KEEP = ("type", "required", "enum", "minimum", "maximum", "minLength", "maxLength", "pattern", "minItems", "maxItems")


def _possible_values(description: str) -> list[str]:
    """The values a `**Possible values**:` note in a model description lists (the v2026 model states
    most of its enums this way rather than with `enum`), as an inline list or as a bulleted one."""
    found = re.search(r"\*\*Possible values?\*\*:?(.*)", description or "", re.S)
    if not found:
        return []
    text = found.group(1)
    bullets = re.findall(r"^\s*-\s*`([^`]+)`", text, re.M)
    if bullets:
        return bullets
    first = re.split(r"\.\s|\.$|\n", text.strip(), maxsplit=1)[0]
    return re.findall(r"`([^`]+)`", first)


def _to_json_schema(node: dict, definitions: dict, seen: frozenset = frozenset()) -> dict:
    """Swagger 2.0 schema -> closed JSON Schema: $refs inlined (siblings of a $ref are ignored, as
    Swagger says), no properties beyond the model's, date-times as ISO 8601, described values as enums."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return {} if name in seen else _to_json_schema(definitions[name], definitions, seen | {name})
    out = {k: node[k] for k in _KEEP if k in node}
    if "properties" in node:
        out["properties"] = {k: _to_json_schema(v, definitions, seen) for k, v in node["properties"].items()}
        out.setdefault("additionalProperties", False)
    if "items" in node:
        out["items"] = _to_json_schema(node["items"], definitions, seen)
    if node.get("format") == "date-time":
        out["pattern"] = _ISO_8601
    values = _possible_values(node.get("description", ""))
    if values and "enum" not in out:
        if out.get("type") == "array":
            out["items"] = {**out.get("items", {}), "enum": values}
        else:
            out["enum"] = values
    return out


def model_validator(definition: str) -> jsonschema.Draft7Validator:
    if not MODEL.exists():
        pytest.skip(f"official Orders v2026-01-01 model not found at {MODEL} (../shared/reference is not checked out)")
    definitions = json.loads(MODEL.read_text())["definitions"]
    schema = _to_json_schema({"$ref": f"#/definitions/{definition}"}, definitions)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def assert_valid(validator: jsonschema.Draft7Validator, body: dict) -> None:
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    where = lambda e: "/".join(map(str, e.absolute_path))  # noqa: E731
    assert not errors, "\n".join(f"{where(e)}: {e.message}" for e in errors[:10])


def test_possible_values_parser_reads_inline_and_bulleted_lists():
    assert _possible_values("x\n\n**Possible values**: `ITEM`, `TAX`. **Note:** `DELIVERY_TIP` is separate.") == ["ITEM", "TAX"]
    assert _possible_values("**Possible value**: `BUSINESS_PRICE`") == ["BUSINESS_PRICE"]
    assert _possible_values("**Possible values**:\n- `UOSS` (Union `x`)\n- `IOSS` (Import)") == ["UOSS", "IOSS"]
    assert _possible_values("no list here") == []


# -- LWA ---------------------------------------------------------------------------------------
def _lwa(sb, **overrides) -> requests.Response:
    form = {"grant_type": "refresh_token", "refresh_token": LWA_REFRESH_TOKEN, "client_id": LWA_CLIENT_ID, "client_secret": LWA_CLIENT_SECRET}
    return requests.post(sb.url + "/auth/o2/token", data={**form, **overrides}, timeout=10)


def test_lwa_refresh_grant_returns_a_bearer_token_for_an_hour(tmp_path):
    with orders_sandbox(tmp_path) as sb:
        answer = _lwa(sb)
        body = answer.json()
        assert answer.status_code == 200
        assert body["token_type"] == "bearer" and body["expires_in"] == 3600
        assert body["access_token"].startswith("Atza|") and body["refresh_token"] == LWA_REFRESH_TOKEN
        ok = requests.get(sb.url + ORDERS, params={"createdAfter": ago(hours=3)}, headers={"x-amz-access-token": body["access_token"]}, timeout=30)
        assert ok.status_code == 200


def test_lwa_bad_client_or_grant_answers_4xx_with_error_and_description(tmp_path):
    with orders_sandbox(tmp_path) as sb:
        for overrides, status, code in [
            ({"client_id": "amzn1.application-oa2-client.other"}, 401, "invalid_client"),
            ({"client_secret": "wrong"}, 401, "invalid_client"),
            ({"refresh_token": "Atzr|not-ours"}, 400, "invalid_grant"),
            ({"grant_type": ""}, 400, "invalid_request"),
        ]:
            answer = _lwa(sb, **overrides)
            assert answer.status_code == status, overrides
            assert set(answer.json()) == {"error", "error_description"}
            assert answer.json()["error"] == code and answer.json()["error_description"]


# -- SP-API authorisation ----------------------------------------------------------------------
def _unauthorized(details: str) -> dict:
    return {"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied.", "details": details}]}


def test_missing_invalid_and_expired_tokens_get_403_unauthorized(tmp_path):
    with orders_sandbox(tmp_path, lwa_token_ttl=1) as sb:
        params = {"createdAfter": ago(hours=3)}
        missing = requests.get(sb.url + ORDERS, params=params, timeout=10)
        assert (missing.status_code, missing.json()) == (403, _unauthorized("Access token is missing in the request header."))
        invalid = requests.get(sb.url + ORDERS, params=params, headers={"x-amz-access-token": "Atza|forged"}, timeout=10)
        assert (invalid.status_code, invalid.json()) == (403, _unauthorized("The access token you provided is revoked, malformed or invalid."))
        s = session(sb)
        assert s.get(sb.url + ORDERS, params=params).status_code == 200
        clock.advance(1.2)  # the knob makes the token live one second
        expired = s.get(sb.url + ORDERS, params=params)
        assert (expired.status_code, expired.json()) == (403, _unauthorized("The access token you provided has expired."))
        assert "x-amzn-RateLimit-Limit" not in expired.headers  # the model declares it on 2xx/400/404 only


# -- searchOrders: contract --------------------------------------------------------------------
def test_every_page_of_a_multi_page_search_matches_the_model(tmp_path):
    search = model_validator("SearchOrdersResponse")
    with orders_sandbox(tmp_path) as sb:
        s = session(sb)
        params = {"createdAfter": ago(days=2), "maxResultsPerPage": 20, "includedData": ALL_DATA}
        pages = all_pages(s, sb, params)
        assert len(pages) >= 5
        for body in pages:
            assert_valid(search, body)
            assert len(body["orders"]) <= 20
        bare = all_pages(s, sb, {"createdAfter": ago(days=2), "maxResultsPerPage": 100})
        for body in bare:
            assert_valid(search, body)
        assert [o["orderId"] for o in orders_of(bare)] == [o["orderId"] for o in orders_of(pages)]
        # The sample exercised the optional sections, so the contract above covered them.
        statuses = {o["fulfillment"]["fulfillmentStatus"] for o in orders_of(pages)}
        assert {"UNSHIPPED", "SHIPPED"} <= statuses
        assert any("tax" in i for o in orders_of(pages) for i in o["orderItems"])
        assert any("packages" in o for o in orders_of(pages))


def test_cancelled_orders_match_the_model_including_who_cancelled(tmp_path):
    search = model_validator("SearchOrdersResponse")
    with orders_sandbox(tmp_path, orders_per_day=200) as sb:
        s = session(sb)
        params = {"createdAfter": ago(days=6), "createdBefore": ago(days=2), "fulfillmentStatuses": "CANCELLED", "includedData": "CANCELLATION,FULFILLMENT"}
        pages = all_pages(s, sb, params)
        cancelled = orders_of(pages)
        for body in pages:
            assert_valid(search, body)
        executions = {i["cancellation"]["cancellationExecution"]["cancelledBy"] for o in cancelled for i in o["orderItems"]}
        assert executions == {"BUYER", "MERCHANT"}


def test_get_order_wraps_the_order_and_matches_the_search_view(tmp_path):
    wrapper = model_validator("GetOrderResponse")
    errors = model_validator("ErrorList")
    with orders_sandbox(tmp_path) as sb:
        s = session(sb)
        listed = orders_of(all_pages(s, sb, {"createdAfter": ago(days=3), "createdBefore": ago(days=2), "includedData": ALL_DATA}))
        for order in listed[:5]:
            answer = s.get(f"{sb.url}{ORDERS}/{order['orderId']}", params={"includedData": ALL_DATA})
            assert answer.status_code == 200 and answer.headers["x-amzn-RateLimit-Limit"] == "0.5"
            assert list(answer.json()) == ["order"]
            assert_valid(wrapper, answer.json())
            assert answer.json()["order"] == order
        for unknown in ("302-9999999-9999999", "not-an-order-id"):
            missing = s.get(f"{sb.url}{ORDERS}/{unknown}")
            assert missing.status_code == 404
            assert_valid(errors, missing.json())
            # The model declares x-amzn-RateLimit-Limit on getOrder's 404 as well as on its 200.
            assert missing.headers["x-amzn-RateLimit-Limit"] == "0.5"


# -- searchOrders: validation ------------------------------------------------------------------
def _invalid_input(answer: requests.Response) -> dict:
    assert answer.status_code == 400, answer.text
    error = answer.json()["errors"][0]
    assert error["code"] == "InvalidInput" and error["message"]
    # The model declares x-amzn-RateLimit-Limit on searchOrders' 400 too.
    assert answer.headers["x-amzn-RateLimit-Limit"] == "0.0056"
    return error


def test_created_and_last_updated_together_are_invalid_input(tmp_path):
    with orders_sandbox(tmp_path) as sb:
        s = session(sb)
        _invalid_input(s.get(sb.url + ORDERS, params={"createdAfter": ago(days=2), "lastUpdatedAfter": ago(days=2)}))
        _invalid_input(s.get(sb.url + ORDERS, params={"createdAfter": ago(days=2), "lastUpdatedBefore": ago(days=1)}))
        _invalid_input(s.get(sb.url + ORDERS, params={"lastUpdatedAfter": ago(days=2), "createdBefore": ago(days=1)}))
        _invalid_input(s.get(sb.url + ORDERS, params={"maxResultsPerPage": 10}))  # neither *After


def test_a_before_less_than_two_minutes_ago_is_invalid_input(tmp_path):
    with orders_sandbox(tmp_path) as sb:
        s = session(sb)
        for pair in (("createdAfter", "createdBefore"), ("lastUpdatedAfter", "lastUpdatedBefore")):
            error = _invalid_input(s.get(sb.url + ORDERS, params={pair[0]: ago(days=1), pair[1]: ago(seconds=60)}))
            assert "2 minutes" in error["message"] + error["details"]
            assert s.get(sb.url + ORDERS, params={pair[0]: ago(days=1), pair[1]: ago(minutes=3)}).status_code == 200


def test_page_size_must_be_between_1_and_100(tmp_path):
    with orders_sandbox(tmp_path) as sb:
        s = session(sb)
        for size in (101, 0, "ten"):
            _invalid_input(s.get(sb.url + ORDERS, params={"createdAfter": ago(days=1), "maxResultsPerPage": size}))
        assert s.get(sb.url + ORDERS, params={"createdAfter": ago(days=1), "maxResultsPerPage": 100}).status_code == 200


# -- searchOrders: pagination ------------------------------------------------------------------
def test_pagination_covers_every_order_once_and_ends_without_pagination(tmp_path):
    with orders_sandbox(tmp_path) as sb:
        s = session(sb)
        window = {"createdAfter": ago(days=3), "createdBefore": ago(days=1)}
        one_page = s.get(sb.url + ORDERS, params={**window, "maxResultsPerPage": 100}).json()
        paged = all_pages(s, sb, {**window, "maxResultsPerPage": 20})
        ids = [o["orderId"] for o in orders_of(paged)]
        assert len(ids) == len(set(ids)) and len(ids) > 100
        assert ids[:100] == [o["orderId"] for o in one_page["orders"]]
        assert "pagination" not in paged[-1] and all("pagination" in p for p in paged[:-1])
        created = [o["createdTime"] for o in orders_of(paged)]
        assert created == sorted(created)
        assert {p["createdBefore"] for p in paged} == {window["createdBefore"]}


def test_pagination_token_resend_rules(tmp_path):
    with orders_sandbox(tmp_path) as sb:
        s = session(sb)
        params = {"createdAfter": ago(days=3), "createdBefore": ago(days=1), "fulfilledBy": "MERCHANT", "maxResultsPerPage": 10}
        first = s.get(sb.url + ORDERS, params=params).json()
        token = first["pagination"]["nextToken"]
        second = s.get(sb.url + ORDERS, params={**params, "paginationToken": token})
        # The same token with the same parameters gives the same page again (a retry is safe).
        assert s.get(sb.url + ORDERS, params={**params, "paginationToken": token}).json() == second.json()
        # maxResultsPerPage and includedData may change between pages ...
        wider = s.get(sb.url + ORDERS, params={**params, "maxResultsPerPage": 15, "includedData": "BUYER", "paginationToken": token})
        assert wider.status_code == 200 and len(wider.json()["orders"]) == 15
        assert [o["orderId"] for o in wider.json()["orders"][:10]] == [o["orderId"] for o in second.json()["orders"]]
        # ... every other parameter must be resent unchanged.
        _invalid_input(s.get(sb.url + ORDERS, params={**params, "fulfilledBy": "AMAZON", "paginationToken": token}))
        _invalid_input(s.get(sb.url + ORDERS, params={**params, "createdAfter": ago(days=4), "paginationToken": token}))
        _invalid_input(s.get(sb.url + ORDERS, params={"paginationToken": token}))
        _invalid_input(s.get(sb.url + ORDERS, params={**params, "paginationToken": token[:-3] + "abc"}))


# -- searchOrders: order content ---------------------------------------------------------------
def _money(node):
    """Every Money object ({amount, currencyCode}) anywhere in a body."""
    if isinstance(node, dict):
        if set(node) == {"amount", "currencyCode"}:
            yield node
        for value in node.values():
            yield from _money(value)
    elif isinstance(node, list):
        for value in node:
            yield from _money(value)


def test_money_amounts_are_decimal_strings_in_the_marketplace_currency(tmp_path):
    with orders_sandbox(tmp_path) as sb:
        s = session(sb)
        orders = orders_of(all_pages(s, sb, {"createdAfter": ago(days=2), "includedData": ALL_DATA}))
        seen = 0
        for order in orders:
            currency = MARKETPLACES[order["salesChannel"]["marketplaceId"]][1]
            for money in _money(order):
                seen += 1
                assert isinstance(money["amount"], str) and re.fullmatch(r"-?\d+\.\d{2}", money["amount"]), money
                assert money["currencyCode"] == currency
            for item in order["orderItems"]:
                breakdown = {b["type"]: Decimal(b["subtotal"]["amount"]) for b in item.get("proceeds", {}).get("breakdowns", [])}
                if breakdown:
                    unit = Decimal(item["product"]["price"]["unitPrice"]["amount"])
                    assert breakdown["ITEM"] == unit * item["quantityOrdered"]
        assert seen > len(orders)


def test_buyer_email_only_for_merchant_fulfilled_orders_awaiting_or_in_shipment(tmp_path):
    with orders_sandbox(tmp_path) as sb:
        s = session(sb)
        orders = orders_of(all_pages(s, sb, {"createdAfter": ago(days=4), "includedData": "BUYER,RECIPIENT,FULFILLMENT"}))
        emails = 0
        for order in orders:
            status, by = order["fulfillment"]["fulfillmentStatus"], order["fulfillment"]["fulfilledBy"]
            has_email = "buyerEmail" in order.get("buyer", {})
            assert has_email == (by == "MERCHANT" and status in SHIPPING), (order["orderId"], by, status)
            if status not in SHIPPING:
                assert "buyer" not in order and "recipient" not in order, order["orderId"]
            emails += has_email
        kinds = {(o["fulfillment"]["fulfilledBy"], o["fulfillment"]["fulfillmentStatus"]) for o in orders}
        assert {("AMAZON", "SHIPPED"), ("MERCHANT", "SHIPPED"), ("MERCHANT", "UNSHIPPED")} <= kinds and emails


def test_without_included_data_orders_carry_no_buyer_recipient_or_other_datasets(tmp_path):
    base = {"orderId", "orderAliases", "createdTime", "lastUpdatedTime", "programs", "associatedOrders", "salesChannel", "orderItems"}
    with orders_sandbox(tmp_path) as sb:
        s = session(sb)
        orders = orders_of(all_pages(s, sb, {"createdAfter": ago(days=4)}))
        assert orders
        for order in orders:
            assert set(order) <= base, sorted(set(order) - base)
            for item in order["orderItems"]:
                assert set(item) <= {"orderItemId", "quantityOrdered", "measurement", "associatedOrderItems", "programs", "product"}


# -- rate limits and the call log --------------------------------------------------------------
def test_search_orders_burst_is_20_then_quota_exceeded_and_the_call_log_records_it(tmp_path):
    with orders_sandbox(tmp_path, rate_limits=True, time_scale=1) as sb:
        s = session(sb)
        params = {"createdAfter": ago(hours=3)}
        answers = [s.get(sb.url + ORDERS, params=params) for _ in range(21)]
        assert [a.status_code for a in answers] == [200] * 20 + [429]
        assert all(a.headers["x-amzn-RateLimit-Limit"] == "0.0056" for a in answers[:20])
        assert answers[-1].json() == QUOTA_EXCEEDED
        assert answers[-1].headers["x-amzn-RequestId"]
        # getOrder has its own bucket, so it still answers.
        order_id = answers[0].json()["orders"][0]["orderId"] if answers[0].json()["orders"] else "302-0000000-0000000"
        assert s.get(f"{sb.url}{ORDERS}/{order_id}").status_code in (200, 404)
        log = [(c["operation"], c["status"]) for c in calls(sb)]
        assert log[0] == ("lwa_token", 200)
        assert [entry for entry in log if entry[0] == "searchOrders"] == [("searchOrders", 200)] * 20 + [("searchOrders", 429)]
        assert log[-1][0] == "getOrder"


# -- determinism -------------------------------------------------------------------------------
def test_two_sandboxes_with_the_same_seed_return_identical_orders(tmp_path):
    # A window older than an order's whole life (14 days), so no status moves between the two calls.
    params = {"createdAfter": ago(days=18), "createdBefore": ago(days=16), "includedData": ALL_DATA}
    answers = []
    for n, seed in enumerate((7, 7, 8)):
        with orders_sandbox(tmp_path / str(n), seed=seed) as sb:
            answers.append(orders_of(all_pages(session(sb), sb, params)))
    assert answers[0] and answers[0] == answers[1]
    assert [o["orderId"] for o in answers[0]] != [o["orderId"] for o in answers[2]]

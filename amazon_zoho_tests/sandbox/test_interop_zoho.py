"""The sandbox speaks Zoho CRM v8 well enough for Zoho's own Python SDK (`zohocrmsdk8_0`): it mints a
token, finds the current user and org, reads field metadata, and parses our upsert, get and search
answers into its ActionWrapper/SuccessResponse/ResponseWrapper/APIException classes.

The SDK is pointed at the sandbox with its documented `DataCenter.Environment(url, accounts_url,
file_upload_url)` (API-FACTS §10). Nothing is switched off: `OAuthToken(find_user=True)` (the default)
makes it call `/crm/v8/users?type=CurrentUser` and `/crm/v8/org`, record calls make it fetch
`/crm/v8/settings/fields`, and the token answer's `api_domain` is the sandbox's own URL, so
`SDKConfig(update_api_domain=True)` (the default) keeps it on loopback. The SDK keeps its state in a
process-wide `Initializer`, so every test initializes it again against the sandbox it uses.
"""

from __future__ import annotations

import csv

import pytest
import requests
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.file_store import FileStore
from zohocrmsdk.src.com.zoho.crm.api import HeaderMap, ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.record import (
    ActionWrapper,
    APIException,
    BodyWrapper,
    Field,
    LineItemProduct,
    Record,
    RecordOperations,
    ResponseWrapper,
    SearchRecordsParam,
    SuccessResponse,
)
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig

from amazon_zoho.sandbox import Sandbox, SandboxConfig
from amazon_zoho.sandbox.config import ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN
from amazon_zoho.sandbox.zoho.common import ORG_ID, USER


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    for name in ("NO_PROXY", "no_proxy"):  # the SDK uses requests, which honours proxy variables
        monkeypatch.setenv(name, "127.0.0.1")


def zoho_sandbox(path) -> Sandbox:
    sb = Sandbox(port=0, config=SandboxConfig(), state_dir=path).start()
    # The project's custom fields (Amazon_SKU, Amazon_Buyer_Key, Amazon_Order_ID, ...), as its setup makes them.
    requests.post(sb.url + "/_sandbox/zoho/install_custom_fields", timeout=10).raise_for_status()
    return sb


def initialize_sdk(sb: Sandbox, home) -> None:
    home.mkdir(exist_ok=True)
    (home / "resources").mkdir(exist_ok=True)
    Initializer.initialize(
        environment=DataCenter.Environment(sb.url, sb.url + "/oauth/v2/token", sb.url),
        token=OAuthToken(client_id=ZOHO_CLIENT_ID, client_secret=ZOHO_CLIENT_SECRET, refresh_token=ZOHO_REFRESH_TOKEN),
        store=FileStore(str(home / "tokens.csv")),
        sdk_config=SDKConfig(),
        resource_path=str(home / "resources"),
    )


@pytest.fixture(scope="module")
def zoho_sb(tmp_path_factory):
    sb = zoho_sandbox(tmp_path_factory.mktemp("sandbox"))
    yield sb
    sb.stop()


@pytest.fixture
def sb(zoho_sb, tmp_path_factory):
    # One token store per module: the SDK finds the stored token and mints only once.
    initialize_sdk(zoho_sb, tmp_path_factory.getbasetemp() / "zoho_sdk")
    return zoho_sb


def upsert(module: str, records: list[Record], dup_fields: list[str] | None = None):
    body = BodyWrapper()
    body.set_data(records)
    if dup_fields:
        body.set_duplicate_check_fields(dup_fields)
    body.set_trigger([])
    return RecordOperations(module).upsert_records(body, HeaderMap())


def only_success(response, status: int = 200) -> SuccessResponse:
    assert response.get_status_code() == status
    wrapper = response.get_object()
    assert isinstance(wrapper, ActionWrapper)
    (result,) = wrapper.get_data()
    assert isinstance(result, SuccessResponse), vars(result)
    assert result.get_status().get_value() == "success" and result.get_code().get_value() == "SUCCESS"
    return result


def get_one(module: str, record_id: str) -> Record:
    response = RecordOperations(module).get_record(int(record_id), ParameterMap(), HeaderMap())
    assert response.get_status_code() == 200 and isinstance(response.get_object(), ResponseWrapper)
    (record,) = response.get_object().get_data()
    return record


def search(module: str, param, value: str):
    params = ParameterMap()
    params.add(param, value)
    return RecordOperations(module).search_records(params, HeaderMap())


def product(name: str, sku: str, price: float) -> Record:
    record = Record()
    record.add_field_value(Field.Products.product_name(), name)
    record.add_field_value(Field.Products.unit_price(), price)
    record.add_key_value("Amazon_SKU", sku)
    return record


def contact(email: str, last_name: str | None, buyer_key: str | None = None) -> Record:
    record = Record()
    record.add_field_value(Field.Contacts.email(), email)
    record.add_key_value("First_Name", "Ada")
    if last_name is not None:
        record.add_field_value(Field.Contacts.last_name(), last_name)
    if buyer_key is not None:
        record.add_key_value("Amazon_Buyer_Key", buyer_key)
    return record


# -- set-up calls the SDK makes on its own ------------------------------------------------------
def test_initialization_mints_a_token_and_finds_the_current_user_and_org(sb, tmp_path_factory):
    with open(tmp_path_factory.getbasetemp() / "zoho_sdk" / "tokens.csv", newline="") as f:
        (stored,) = list(csv.DictReader(f))
    # The SDK names a token "<current user's email>:<org zgid>" from /users?type=CurrentUser and /org.
    assert stored["user_name"] == f"{USER['email']}:{ORG_ID}"
    assert stored["api_domain"] == sb.url and stored["access_token"].startswith("1000.")
    calls = requests.get(sb.url + "/_sandbox/calls", params={"service": "zoho"}, timeout=10).json()["calls"]
    first = [(c["operation"], c["status"]) for c in calls[:3]]
    assert first == [("zoho_token", 200), ("zoho_users", 200), ("zoho_org", 200)]


# -- Products and Contacts ------------------------------------------------------------------------
def test_a_product_is_upserted_read_back_by_id_and_found_by_criteria(sb):
    inserted = only_success(upsert("Products", [product("Interop Mug", "SKU-INTEROP-MUG", 9.5)], ["Amazon_SKU"]))
    assert inserted.get_action().get_value() == "insert"
    product_id = inserted.get_details()["id"]

    updated = only_success(upsert("Products", [product("Interop Mug", "SKU-INTEROP-MUG", 11.25)], ["Amazon_SKU"]))
    assert updated.get_action().get_value() == "update" and updated.get_duplicate_field() == "Amazon_SKU"
    assert updated.get_details()["id"] == product_id

    record = get_one("Products", product_id)
    assert record.get_id() == int(product_id)
    assert record.get_key_value("Product_Name") == "Interop Mug" and record.get_key_value("Unit_Price") == 11.25
    assert record.get_key_value("Amazon_SKU") == "SKU-INTEROP-MUG"

    found = search("Products", SearchRecordsParam.criteria, "(Amazon_SKU:equals:SKU-INTEROP-MUG)")
    assert found.get_status_code() == 200 and isinstance(found.get_object(), ResponseWrapper)
    assert [r.get_id() for r in found.get_object().get_data()] == [int(product_id)]
    assert found.get_object().get_info().get_count() == 1


def test_a_contact_is_upserted_on_email_and_a_mixed_batch_parses_as_207(sb):
    first = only_success(upsert("Contacts", [contact("ada.interop@example.com", "Lovelace")]))
    contact_id = first.get_details()["id"]

    # No duplicate_check_fields: Zoho's system default for Contacts is Email.
    response = upsert("Contacts", [contact("ada.interop@example.com", "Byron"), contact("nameless@example.com", None)])

    assert response.get_status_code() == 207
    ok, failed = response.get_object().get_data()
    assert isinstance(ok, SuccessResponse) and ok.get_details()["id"] == contact_id
    assert ok.get_action().get_value() == "update" and ok.get_duplicate_field() == "Email"
    assert isinstance(failed, APIException) and failed.get_code().get_value() == "MANDATORY_NOT_FOUND"
    assert failed.get_details() == {"api_name": "Last_Name", "json_path": "$.data[1].Last_Name"}

    record = get_one("Contacts", contact_id)
    assert record.get_key_value("Last_Name") == "Byron" and record.get_key_value("Full_Name") == "Ada Byron"

    by_email = search("Contacts", SearchRecordsParam.email, "ada.interop@example.com")
    assert [r.get_id() for r in by_email.get_object().get_data()] == [int(contact_id)]
    nothing = search("Contacts", SearchRecordsParam.criteria, "(Email:equals:nobody.interop@example.com)")
    assert nothing.get_status_code() == 204 and nothing.get_object() is None


# -- what the project pushes: a sales order with lookups and line items ---------------------------
def test_a_sales_order_with_numeric_lookup_ids_and_line_items_is_accepted(sb):
    product_id = only_success(upsert("Products", [product("Interop Lamp", "SKU-INTEROP-LAMP", 20.0)], ["Amazon_SKU"])).get_details()["id"]
    contact_id = only_success(upsert("Contacts", [contact("lamp.buyer@example.com", "Buyer", "buyer-interop")], ["Amazon_Buyer_Key"])).get_details()["id"]
    order = Record()
    order.add_field_value(Field.Sales_Orders.subject(), "Amazon 028-0000000-0000001")
    order.add_key_value("Amazon_Order_ID", "028-0000000-0000001")
    buyer = Record()
    buyer.set_id(int(contact_id))  # the SDK holds ids as int and sends them as JSON numbers
    order.add_key_value("Contact_Name", buyer)
    line = Record()
    item = LineItemProduct()
    item.set_id(int(product_id))
    line.add_key_value("Product_Name", item)
    line.add_key_value("Quantity", 2.0)
    line.add_key_value("List_Price", 20.0)
    order.add_key_value("Ordered_Items", [line])

    order_id = only_success(upsert("Sales_Orders", [order], ["Amazon_Order_ID"])).get_details()["id"]

    saved = get_one("Sales_Orders", order_id)
    assert saved.get_key_value("Contact_Name").get_id() == int(contact_id)
    assert saved.get_key_value("Grand_Total") == 40.0
    (row,) = saved.get_key_value("Ordered_Items")
    assert row.get_key_value("Product_Name")["id"] == product_id and row.get_key_value("Quantity") == 2.0


# -- errors the SDK must recognise ----------------------------------------------------------------
def test_too_many_requests_and_an_invalid_token_parse_as_api_exceptions(tmp_path):
    # Its own sandbox and token store: the SDK does not re-mint after INVALID_TOKEN, so the revoked
    # token must not be the one the other tests share.
    sb = zoho_sandbox(tmp_path / "sandbox")
    try:
        initialize_sdk(sb, tmp_path / "sdk")
        # One good call first: the SDK fetches field metadata before a record call, and a 429 on that
        # fetch is raised as an SDKException instead of being returned.
        only_success(upsert("Products", [product("Warm-up", "SKU-WARM-UP", 1.0)]))
        sb.app.set_config({"fault_429_rate": 1.0, "fault_target": "zoho"})
        throttled = upsert("Products", [product("Throttled", "SKU-THROTTLED", 1.0)])
        assert throttled.get_status_code() == 429
        assert isinstance(throttled.get_object(), APIException)
        assert throttled.get_object().get_code().get_value() == "TOO_MANY_REQUESTS"

        sb.app.set_config({"fault_429_rate": 0.0, "fault_token_expiry_rate": 1.0})
        refused = search("Products", SearchRecordsParam.word, "Throttled")
        assert refused.get_status_code() == 401
        assert refused.get_object().get_code().get_value() == "INVALID_TOKEN"
    finally:
        sb.stop()

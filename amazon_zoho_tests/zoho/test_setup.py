"""Preflight reads the org's field metadata and lists everything missing; the setup command creates the
custom fields (and makes match keys unique), after which the check passes."""

import pytest
import yaml

from amazon_zoho.resources import zoho_resource
from amazon_zoho.settings import load as load_settings
from amazon_zoho.zoho import setup
from amazon_zoho.zoho.mapping import DEFAULT_PATH, load
from amazon_zoho.zoho.setup import MissingFieldsError, ensure_fields


def _client(project_env):
    return zoho_resource(load_settings(project_env)).client()


def test_preflight_lists_every_missing_field_and_the_fix(sandbox, project_env):
    mapping = load(DEFAULT_PATH)
    with pytest.raises(MissingFieldsError) as caught:
        ensure_fields(_client(project_env), mapping, "Sales_Orders", create=False)
    message = str(caught.value)
    for name in ("Amazon_Order_ID", "Amazon_Marketplace", "Sales_Channel", "Fulfillment_Channel", "Amazon_Order_Status"):
        assert f"Sales_Orders.{name}: missing (custom text field" in message
    assert "ZOHO_AUTO_SETUP=0" in message and "make zoho-setup" in message


def test_preflight_names_wrong_picklist_values_and_unknown_fields(sandbox, project_env, tmp_path):
    doc = yaml.safe_load(DEFAULT_PATH.read_text())
    doc["Sales_Orders"]["status"]["SHIPPED"] = "Shipped"
    doc["Products"]["fields"]["Brand"] = "title"
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(doc))
    mapping = load(tmp_path / "m.yaml")
    client = _client(project_env)
    with pytest.raises(MissingFieldsError, match=r"Sales_Orders.Status: picklist has no 'Shipped' \(mapping.yaml status SHIPPED\)"):
        ensure_fields(client, mapping, "Sales_Orders", create=True)
    with pytest.raises(MissingFieldsError, match="Products.Brand: no such field in Zoho"):
        ensure_fields(client, mapping, "Products", create=True)


def test_setup_command_creates_fields_makes_keys_unique_then_check_passes(sandbox, project_env, monkeypatch, capsys):
    for key, value in project_env.items():
        monkeypatch.setenv(key, value)
    client = _client(project_env)
    # An admin created Amazon SKU by hand, without "Do not allow duplicate values".
    client.create_fields("Products", [{"field_label": "Amazon SKU", "data_type": "text", "length": 100}])

    assert setup.main(["--check"]) == 1
    assert "Products.Amazon_SKU: must be unique" in capsys.readouterr().out

    assert setup.main([]) == 0
    out = capsys.readouterr().out
    assert "Amazon_SKU (made unique)" in out and "Zoho CRM is ready" in out
    fields = {f["api_name"]: f for f in client.fields("Contacts")}
    assert fields["Amazon_Buyer_Key"]["unique"] and fields["Amazon_First_Order"]["data_type"] == "date"
    assert setup.main(["--check"]) == 0


def test_setup_command_reads_real_credentials_values_not_their_variable_names(sandbox, project_env, monkeypatch, capsys):
    """With credentials set, the resource holds dg.EnvVar: the command must resolve them (README "Going live", step 5)."""
    from amazon_zoho.sandbox.config import ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN

    real = {"ZOHO_CLIENT_ID": ZOHO_CLIENT_ID, "ZOHO_CLIENT_SECRET": ZOHO_CLIENT_SECRET, "ZOHO_REFRESH_TOKEN": ZOHO_REFRESH_TOKEN,
            "ZOHO_ACCOUNTS_URL": sandbox.url}
    for key, value in {**project_env, **real}.items():
        monkeypatch.setenv(key, value)
    assert setup.main(["--check"]) == 1  # reached the org (fields missing), instead of 2: Zoho refusing "ZOHO_CLIENT_ID"
    assert "checking Zoho CRM (com)" in capsys.readouterr().out

"""Settings are validated at load: every mistake names the variable and says how to fix it, never a secret."""

import pytest

from amazon_zoho.settings import AMAZON_SECRETS, ZOHO_SECRETS, SettingsError, load

SECRET = "s3cr3t-value-do-not-print"
AMAZON = {k: f"{SECRET}-{k}" for k in AMAZON_SECRETS}
ZOHO = {k: f"{SECRET}-{k}" for k in ZOHO_SECRETS}


def error_of(env: dict) -> str:
    with pytest.raises(SettingsError) as raised:
        load(env)
    message = str(raised.value)
    assert SECRET not in message
    return message


def test_no_environment_means_sandbox():
    settings = load({})
    assert settings.amazon_sandbox and settings.zoho_sandbox
    assert settings.region == "eu" and settings.marketplace_ids == ["A1PA6795UKMFR9", "A1F83G8C2ARO7P", "A13V1IB3VIYZZH"]
    assert settings.zoho_data_center == "com" and settings.start_date == "2026-01-01"


def test_complete_credentials_mean_real_apis():
    settings = load({**AMAZON, **ZOHO, "AMAZON_MARKETPLACE_IDS": "ATVPDKIKX0DER"})
    assert not settings.amazon_sandbox and not settings.zoho_sandbox and settings.region == "na"


@pytest.mark.parametrize("secrets, label", [(AMAZON, "Amazon"), (ZOHO, "Zoho")])
def test_incomplete_credentials_name_the_missing_variables(secrets, label):
    first, *missing = secrets
    message = error_of({first: secrets[first]})
    assert label in message
    assert all(name in message for name in missing)


@pytest.mark.parametrize("secrets", [AMAZON, ZOHO])
def test_no_secret_in_any_error(secrets):
    # Valid credentials next to each kind of mistake: the message must still not echo them.
    for mistake in ({"AMAZON_MARKETPLACE_IDS": "NOPE"}, {"ZOHO_DATA_CENTER": "mars"}, {"AMAZON_ZOHO_START_DATE": "soon"}):
        error_of({**secrets, **mistake})
    partial = dict(list(secrets.items())[:2])
    error_of(partial)


def test_unknown_marketplace_id_is_named():
    assert "XXXXXXXXXXXXX" in error_of({"AMAZON_MARKETPLACE_IDS": "A1PA6795UKMFR9,XXXXXXXXXXXXX"})


def test_marketplaces_spanning_regions_need_one_region():
    message = error_of({"AMAZON_MARKETPLACE_IDS": "ATVPDKIKX0DER,A1PA6795UKMFR9"})
    assert "AMAZON_REGION" in message and "eu" in message and "na" in message


def test_explicit_region_must_match_the_marketplaces():
    assert load({"AMAZON_MARKETPLACE_IDS": "A1PA6795UKMFR9", "AMAZON_REGION": "eu"}).region == "eu"
    assert "AMAZON_REGION" in error_of({"AMAZON_MARKETPLACE_IDS": "A1PA6795UKMFR9", "AMAZON_REGION": "na"})


def test_bad_zoho_data_center():
    message = error_of({"ZOHO_DATA_CENTER": "zoho.com"})
    assert "ZOHO_DATA_CENTER" in message and "com.au" in message
    assert load({"ZOHO_DATA_CENTER": "eu"}).zoho_data_center == "eu"


@pytest.mark.parametrize("value", ["2026-13-01", "01/02/2026", "yesterday"])
def test_bad_start_date(value):
    message = error_of({"AMAZON_ZOHO_START_DATE": value})
    assert "AMAZON_ZOHO_START_DATE" in message and "YYYY-MM-DD" in message


@pytest.mark.parametrize(
    "key, value, named",
    [
        ("AMAZON_ZOHO_PII_RETENTION_DAYS", "thirty", "AMAZON_ZOHO_PII_RETENTION_DAYS"),
        ("ZOHO_CREDIT_RESERVE", "-3", "ZOHO_CREDIT_RESERVE"),
        ("ZOHO_DAILY_CREDITS", "lots", "ZOHO_DAILY_CREDITS"),
        ("NOTIFY_SMTP_PORT", "smtp", "NOTIFY_SMTP_PORT"),
        ("ZOHO_MAPPING_FILE", "/no/such/mapping.yaml", "ZOHO_MAPPING_FILE"),
    ],
)
def test_every_module_setting_is_checked_when_the_code_location_loads(key, value, named):
    from amazon_zoho.settings import validate_environment

    with pytest.raises(ValueError, match=named):
        validate_environment({key: value})

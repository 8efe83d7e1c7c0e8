"""Settings are validated at load: every mistake names the variable and says how to fix it, never a secret."""

import pytest

from amazon_zoho.settings import AMAZON_SECRETS, ZOHO_SECRETS, SettingsError, load

SECRET = "s3cr3t-value-do-not-print"
AMAZON = {k: f"{SECRET}-{k}" for k in AMAZON_SECRETS}
ZOHO = {k: f"{SECRET}-{k}" for k in ZOHO_SECRETS}


def error_of(env: dict, prefix: str = "") -> str:
    with pytest.raises(SettingsError) as raised:
        load(env, prefix=prefix)
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
        ("AMAZON_ZOHO_LOOKBACK_DAYS", "3d", "AMAZON_ZOHO_LOOKBACK_DAYS"),
        ("ZOHO_MAPPING_FILE", "/no/such/mapping.yaml", "ZOHO_MAPPING_FILE"),
        ("AMAZON_ZOHO_DUCKDB_MEMORY_LIMIT", "lots", "AMAZON_ZOHO_DUCKDB_MEMORY_LIMIT"),
        ("AMAZON_ZOHO_DUCKDB_THREADS", "-1", "AMAZON_ZOHO_DUCKDB_THREADS"),
    ],
)
def test_every_setting_is_checked_when_the_code_location_loads(key, value, named):
    from amazon_zoho.build import build_defs

    with pytest.raises(ValueError, match=named):
        build_defs(load({key: value}))


def test_a_sellers_own_variables_win_and_its_secrets_are_never_shared():
    env = {
        **AMAZON, "AMAZON_ZOHO_SCHEDULE_HOUR": "7", "AMAZON_ZOHO_PII_SALT": "shared-salt",
        "ACME_EU__AMAZON_ZOHO_WAREHOUSE": "/w/acme.duckdb", "ACME_EU__AMAZON_ZOHO_SCHEDULE_HOUR": "3",
        "GLOBEX_NA__AMAZON_MARKETPLACE_IDS": "ATVPDKIKX0DER",
        **{f"GLOBEX_NA__{k}": v for k, v in AMAZON.items()}, "GLOBEX_NA__AMAZON_ZOHO_PII_SALT": "globex-salt",
    }
    acme, globex = load(env, prefix="ACME_EU__"), load(env, prefix="GLOBEX_NA__")
    # Shared where the seller says nothing; its own where it does.
    assert (acme.schedule_hour, globex.schedule_hour) == (3, 7)
    assert acme.warehouse_path == "/w/acme.duckdb" and globex.warehouse_path == "data/amazon_zoho.duckdb"
    # API credentials: only the seller's own, so acme (none of its own) is on the sandbox. The salt is shared
    # unless a seller has its own (buyer keys must not change when a second seller joins).
    assert acme.amazon_sandbox and acme.pii_salt_variable == "AMAZON_ZOHO_PII_SALT"
    assert not globex.amazon_sandbox and globex.region == "na" and globex.pii_salt_variable == "GLOBEX_NA__AMAZON_ZOHO_PII_SALT"
    assert globex.secret_variable("AMAZON_LWA_CLIENT_ID") == "GLOBEX_NA__AMAZON_LWA_CLIENT_ID"
    # The unprefixed settings are one more seller's, read the same way.
    assert load(env).pii_salt_variable == "AMAZON_ZOHO_PII_SALT" and not load(env).amazon_sandbox


def test_each_seller_has_its_own_inbox_beside_its_warehouse():
    env = {"AMAZON_ZOHO_INBOX_DIR": "/shared/inbox", "ACME_EU__AMAZON_ZOHO_WAREHOUSE": "/w/acme/warehouse.duckdb",
           "GLOBEX_NA__AMAZON_ZOHO_INBOX_DIR": "/w/globex-drop"}
    assert load({}).inbox_dir == "data/inbox"
    assert load({"AMAZON_ZOHO_WAREHOUSE": "/srv/w.duckdb"}).inbox_dir == "/srv/inbox"
    assert load(env).inbox_dir == "/shared/inbox"
    # A shared inbox would hand a seller's file to whichever seller's sensor saw it first.
    assert load(env, prefix="ACME_EU__").inbox_dir == "/w/acme/inbox"
    assert load(env, prefix="GLOBEX_NA__").inbox_dir == "/w/globex-drop"


def test_an_error_names_the_sellers_variable():
    message = error_of({"ACME_EU__AMAZON_ZOHO_START_DATE": "soon"}, prefix="ACME_EU__")
    assert "ACME_EU__AMAZON_ZOHO_START_DATE" in message
    message = error_of({"ACME_EU__AMAZON_LWA_CLIENT_ID": "x"}, prefix="ACME_EU__")
    assert "ACME_EU__AMAZON_LWA_CLIENT_SECRET" in message


def test_secrets_stay_in_the_environment():
    settings = load({**AMAZON, **ZOHO, "AMAZON_ZOHO_PII_SALT": SECRET, "NOTIFY_WEBHOOK_URL": f"https://hooks.example/{SECRET}",
                     "NOTIFY_SMTP_PASSWORD": SECRET})
    assert SECRET not in repr(settings)

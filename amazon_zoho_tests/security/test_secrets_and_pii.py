"""Run the pipeline with credentials passed the production way (environment → dg.EnvVar) and look for
them, the access tokens minted with them, and buyer PII everywhere a user or operator can read."""

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from amazon_zoho.resources import build_resources
from amazon_zoho.sandbox.config import (
    LWA_CLIENT_ID,
    LWA_CLIENT_SECRET,
    LWA_REFRESH_TOKEN,
    ZOHO_CLIENT_ID,
    ZOHO_CLIENT_SECRET,
    ZOHO_REFRESH_TOKEN,
)
from amazon_zoho.settings import load
from amazon_zoho_tests.truth import day_ago

SECRETS = [LWA_CLIENT_SECRET, LWA_REFRESH_TOKEN, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN]
RESTRICTED_SCHEMAS = ("pii",)


@pytest.fixture
def production_style_env(sandbox, project_env, monkeypatch) -> dict:
    credentials = {
        "AMAZON_LWA_CLIENT_ID": LWA_CLIENT_ID, "AMAZON_LWA_CLIENT_SECRET": LWA_CLIENT_SECRET,
        "AMAZON_LWA_REFRESH_TOKEN": LWA_REFRESH_TOKEN, "ZOHO_CLIENT_ID": ZOHO_CLIENT_ID,
        "ZOHO_CLIENT_SECRET": ZOHO_CLIENT_SECRET, "ZOHO_REFRESH_TOKEN": ZOHO_REFRESH_TOKEN,
    }
    for key, value in credentials.items():
        monkeypatch.setenv(key, value)  # dg.EnvVar resolves from the process environment
    return {
        **project_env, **credentials,
        "AMAZON_SPAPI_ENDPOINT": sandbox.url, "AMAZON_LWA_TOKEN_URL": sandbox.url + "/auth/o2/token",
        "ZOHO_ACCOUNTS_URL": sandbox.url,
    }


def _minted_tokens(sandbox) -> list[str]:
    """Access tokens the sandbox issued during the run: secrets too, for their hour."""
    tokens = [r["token"] for table in ("lwa_tokens", "zoho_tokens") for r in sandbox.app.store.query(f"SELECT token FROM {table}")]
    assert len(tokens) >= 2, "both services must have minted a token"
    return tokens


def test_no_secret_or_buyer_pii_outside_the_restricted_schema(sandbox, production_style_env, tmp_path):
    settings = load(production_style_env)
    assert not settings.amazon_sandbox and not settings.zoho_sandbox, "this test must exercise the real-credentials path"
    from amazon_zoho.definitions import defs

    with dg.instance_for_test() as instance:
        home = Path(instance.root_directory)
        result = dg.materialize(list(defs.assets), resources=build_resources(settings), partition_key=day_ago(2).isoformat(), instance=instance)
        assert result.success
        events = "\n".join(json.dumps(dg.serialize_value(record)) for record in instance.all_logs(result.run_id))
        run_config = json.dumps(dg.serialize_value(instance.get_run_by_id(result.run_id)))
        compute_logs = "\n".join(p.read_text(errors="replace") for p in home.rglob("*") if p.is_file() and p.suffix in (".out", ".err", ".log"))
    secrets = SECRETS + _minted_tokens(sandbox)

    with duckdb.connect(production_style_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        pii = conn.execute(
            "SELECT DISTINCT unnest([buyer_email, buyer_name, address_line1, phone]) FROM pii.order_contacts"
        ).fetchall()
        pii_values = sorted({v for (v,) in pii if v and len(v) >= 6})
        tables = conn.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name NOT IN ?", [list(RESTRICTED_SCHEMAS)]
        ).fetchall()
        leaks = []
        for schema, table in tables:
            for needle in secrets + pii_values:
                hits = conn.execute(f'SELECT count(*) FROM "{schema}"."{table}" t WHERE contains(t::VARCHAR, ?)', [needle]).fetchone()[0]
                if hits:
                    leaks.append(f"{schema}.{table}: {needle!r} x{hits}")
    assert pii_values, "the run must have collected some buyer PII for this test to mean anything"
    assert not leaks, "secret or PII outside the pii schema:\n" + "\n".join(leaks[:20])
    for where, text in (("event log", events), ("run record", run_config), ("compute logs", compute_logs)):
        found = [s for s in secrets + pii_values if s in text]
        assert not found, f"{where} contains {found[:5]}"

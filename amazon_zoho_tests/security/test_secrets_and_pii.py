"""Run the pipeline with credentials passed the production way (environment → dg.EnvVar) and look for
them, the access tokens minted with them, and buyer PII everywhere a user or operator can read."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from amazon_zoho.http.errors import encodings
from amazon_zoho.ops.failure_sensor import sync_failure_notifier
from amazon_zoho.ops.notify import NotifyResource
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
# Every spelling a server can echo them in (URL-encoded form and path, JSON-escaped, base64): #14 item 3.
SPELLINGS = sorted({e for s in SECRETS for e in encodings(s)})
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
    secrets = SPELLINGS + _minted_tokens(sandbox)

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


class _Webhook(BaseHTTPRequestHandler):
    received: list[str] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        self.received.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_token_endpoint_echoing_our_form_body_leaks_no_spelling_of_any_secret(sandbox, production_style_env, capfd):
    """#14 item 3: a proxy page quoting the refresh-token request (URL-encoded, JSON-escaped) fails the run; the
    event log, compute logs, captured output, the failure notification, DuckDB and data/ hold no spelling of a secret."""
    sandbox.app.set_config({"fault_lwa_echo_body_rate": 1.0})
    settings = load(production_style_env)
    from amazon_zoho.definitions import defs

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Webhook.received = []
    try:
        with dg.instance_for_test() as instance:
            home = Path(instance.root_directory)
            result = dg.materialize(list(defs.assets), resources=build_resources(settings), partition_key=day_ago(2).isoformat(),
                                    instance=instance, raise_on_error=False)
            assert not result.success
            run = instance.get_run_by_id(result.run_id)
            failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
            notifier = NotifyResource(webhook_url=f"http://127.0.0.1:{server.server_port}/hook")
            with dg.build_run_status_sensor_context(sensor_name="sync_failure_notifier", dagster_event=failure, dagster_instance=instance,
                                                    dagster_run=run, resources={"notifier": notifier}).for_run_failure() as context:
                sync_failure_notifier(context)
            events = "\n".join(json.dumps(dg.serialize_value(record)) for record in instance.all_logs(result.run_id))
            compute_logs = "\n".join(p.read_text(errors="replace") for p in home.rglob("*") if p.is_file() and p.suffix in (".out", ".err", ".log"))
    finally:
        server.shutdown()
    captured = capfd.readouterr()
    assert sandbox.app.faults.injected["lwa_echo_body"] >= 1, "the token endpoint must have echoed the form body"
    assert "token_refresh failed with HTTP 502" in events and _Webhook.received, "the run must fail on the refresh and notify"
    data = "\n".join(p.read_text(errors="replace") for p in Path(production_style_env["AMAZON_ZOHO_ARCHIVE_DIR"]).rglob("*") if p.is_file())
    places = {"event log": events, "compute logs": compute_logs, "stdout/stderr": captured.out + captured.err,
              "notification": "\n".join(_Webhook.received), "data/": data}
    with duckdb.connect(production_style_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        for schema, table in conn.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall():
            places[f"{schema}.{table}"] = "\n".join(str(r) for r in conn.execute(f'SELECT t::VARCHAR FROM "{schema}"."{table}" t').fetchall())
    leaks = [f"{where}: {s!r}" for where, text in places.items() for s in SPELLINGS if s in text]
    assert not leaks, "secret spellings found:\n" + "\n".join(leaks[:20])

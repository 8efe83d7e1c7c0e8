"""Notifications (amazon_zoho/ops/notify.py) over real sockets: a webhook on a tiny local HTTP server, email
on a tiny local SMTP server (stdlib only), a log line when nothing is configured; the run-failure sensor
and the "no orders" check send through them. Secrets (the webhook path) never reach the log."""

import json
import logging
import socketserver
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import pytest

from amazon_zoho.ops.failure_sensor import sync_failure_notifier
from amazon_zoho.ops.notify import NotifyResource
from amazon_zoho.resources import notify_resource
from amazon_zoho.settings import Settings
from amazon_zoho.warehouse import WarehouseResource
from amazon_zoho.zoho.report import finish_run

SECRET_PATH = "/hooks/T000/B000/s3cr3t-token"


def channels(environ: dict[str, str], monkeypatch) -> NotifyResource:
    """The notifier a code location builds from these variables (settings.py -> resources.py), secrets as dg.EnvVar."""
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    resource = notify_resource(Settings.from_env(environ))
    return resource.process_config_and_initialize()  # resolves dg.EnvVar, as Dagster does for a run


@pytest.fixture
def webhook():
    """A local webhook: records JSON bodies; answers 500 when the path ends in /broken."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, json.loads(body)))
            self.send_response(500 if self.path.endswith("/broken") else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_server():
    """Just enough SMTP (RFC 5321: greeting, EHLO, MAIL, RCPT, DATA, QUIT) to receive one message."""
    messages = []

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            self.wfile.write(b"220 localhost test SMTP\r\n")
            envelope = {"rcpt": []}
            while line := self.rfile.readline():
                command = line.decode().strip()
                verb = command.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    self.wfile.write(b"250 localhost\r\n")
                elif verb == "MAIL":
                    envelope["from"] = command
                    self.wfile.write(b"250 OK\r\n")
                elif verb == "RCPT":
                    envelope["rcpt"].append(command)
                    self.wfile.write(b"250 OK\r\n")
                elif verb == "DATA":
                    self.wfile.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    data = []
                    while (part := self.rfile.readline()) not in (b".\r\n", b""):
                        data.append(part.decode())
                    messages.append({**envelope, "data": "".join(data)})
                    self.wfile.write(b"250 OK queued\r\n")
                elif verb == "QUIT":
                    self.wfile.write(b"221 Bye\r\n")
                    return
                else:
                    self.wfile.write(b"250 OK\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], messages
    server.shutdown()
    server.server_close()


def test_webhook_gets_the_message_and_a_failure_is_logged_without_the_secret(webhook, caplog, monkeypatch):
    url, received = webhook
    [ok] = channels({"NOTIFY_WEBHOOK_URL": url + SECRET_PATH}, monkeypatch).send("Zoho sync incomplete", "3 failed", {"run_id": "r1"})
    assert ok.ok and received == [(SECRET_PATH, {"text": "Zoho sync incomplete\n3 failed", "subject": "Zoho sync incomplete", "details": {"run_id": "r1"}})]

    with caplog.at_level(logging.INFO, logger="amazon_zoho.notify"):
        [failed] = NotifyResource(webhook_url=url + "/hooks/s3cr3t-token/broken").send("s", "t")
    assert not failed.ok and "HTTP 500" in failed.detail
    assert "FAILED" in caplog.text and "s3cr3t" not in caplog.text and "s3cr3t" not in failed.detail


def test_email_over_smtp(smtp_server, monkeypatch):
    port, messages = smtp_server
    env = {"NOTIFY_SMTP_HOST": "127.0.0.1", "NOTIFY_SMTP_PORT": str(port), "NOTIFY_SMTP_STARTTLS": "0",
           "NOTIFY_SMTP_FROM": "sync@example.com", "NOTIFY_SMTP_TO": "ops@example.com, boss@example.com"}
    [sent] = channels(env, monkeypatch).send("No Amazon orders on 2026-03-01", "check listings")
    assert sent.ok and sent.channel == "smtp"
    [message] = messages
    assert len(message["rcpt"]) == 2 and "sync@example.com" in message["from"]
    assert "Subject: [amazon_zoho] No Amazon orders on 2026-03-01" in message["data"] and "check listings" in message["data"]


def test_unconfigured_notifications_are_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="amazon_zoho.notify"):
        [logged] = NotifyResource().send("Run daily_refresh failed", "boom")
    assert logged.channel == "log" and "Run daily_refresh failed: boom" in caplog.text and "NOTIFY_WEBHOOK_URL" in caplog.text


def test_a_day_without_orders_and_a_failed_run_notify(webhook, monkeypatch, tmp_path):
    url, received = webhook
    notifier = channels({"NOTIFY_WEBHOOK_URL": url + SECRET_PATH}, monkeypatch)
    with WarehouseResource(database=str(tmp_path / "w.duckdb")).connect() as conn:
        sent = finish_run(conn, notifier, "run-1", date(2026, 3, 1), date(2026, 3, 3), logging.getLogger("test"))
    assert sent == ["No Amazon orders on 2026-03-01, 2026-03-02"]

    @dg.op
    def explode():
        raise RuntimeError("Zoho answered HTTP 500 three times")

    @dg.job
    def doomed():
        explode()

    with dg.instance_for_test() as instance:
        result = doomed.execute_in_process(instance=instance, raise_on_error=False)
        context = dg.build_run_status_sensor_context(
            sensor_name="sync_failure_notifier", dagster_instance=instance, dagster_run=result.dagster_run,
            dagster_event=result.get_run_failure_event(), resources={"notifier": notifier},
        ).for_run_failure()
        sync_failure_notifier(context)
    subject, body = received[-1][1]["subject"], received[-1][1]["text"]
    assert subject == "Run doomed failed" and "explode: RuntimeError: Zoho answered HTTP 500 three times" in body

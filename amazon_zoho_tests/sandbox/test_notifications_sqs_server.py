"""The embedded SQS endpoint: moto's server on loopback, started by the sandbox process beside itself (unless
AWS_ENDPOINT_URL_SQS names one) and reported at /_sandbox/aws, stopped and started again there as an outage the
pending notifications survive; and the context manager tests use on their own."""

import socket
from datetime import timedelta

import boto3
import pytest
import requests

from amazon_zoho import clock
from amazon_zoho.amazon.queue import sandbox_sqs_endpoint as sqs_endpoint
from amazon_zoho.cli.sandbox_process import sandbox
from amazon_zoho.sandbox import Sandbox, SandboxConfig
from amazon_zoho.sandbox.sqs_server import MOTO_ACCOUNT_ID, embedded_sqs, sqs_server
from amazon_zoho_tests.sandbox.notifications_fixtures import deliver, drain, queue, subscribe


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _sqs(endpoint: str):
    return boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")


def test_the_context_manager_serves_sqs_on_a_free_loopback_port_and_stops_it():
    with sqs_server() as endpoint:
        assert endpoint.startswith("http://127.0.0.1:")
        url = _sqs(endpoint).create_queue(QueueName="q")["QueueUrl"]
        arn = _sqs(endpoint).get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        assert arn == f"arn:aws:sqs:us-east-1:{MOTO_ACCOUNT_ID}:q"
    with pytest.raises(requests.ConnectionError):
        requests.get(endpoint, timeout=2)


def test_a_taken_port_is_refused_by_number_instead_of_hanging():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(SystemExit, match=f"port {port} for the embedded SQS server is taken"):
            with sqs_server(port):
                pass


def test_the_sandbox_process_starts_its_sqs_server_and_says_where(tmp_path, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL_SQS", raising=False)
    with sandbox(_free_port(), str(tmp_path / "state")) as url:
        endpoint = sqs_endpoint(url)
        assert endpoint and endpoint.startswith("http://127.0.0.1:") and endpoint != url
        assert _sqs(endpoint).create_queue(QueueName="orders")["QueueUrl"].endswith(f"/{MOTO_ACCOUNT_ID}/orders")
    with pytest.raises(requests.ConnectionError):  # stopped with the sandbox
        requests.get(endpoint, timeout=2)


def test_with_aws_endpoint_url_sqs_set_the_sandbox_reports_and_sends_there(tmp_path, monkeypatch):
    with sqs_server() as own:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", own)
        with sandbox(_free_port(), str(tmp_path / "state")) as url:
            assert sqs_endpoint(url) == own


def test_stopping_the_embedded_server_is_an_outage_the_backlog_survives(tmp_path):
    knobs = {"notification_delay_min_seconds": 0, "notification_delay_max_seconds": 0}
    with clock.pinned("2026-03-10T08:00:00+00:00", frozen=True), embedded_sqs() as server:
        with Sandbox(port=0, config=SandboxConfig(sqs_endpoint_url=server.endpoint, **knobs), state_dir=tmp_path) as sb:
            sb.app.embedded_sqs = server  # as python -m amazon_zoho.sandbox wires it
            url, arn = queue(_sqs(server.endpoint))
            subscribe(sb, arn)
            down = requests.post(sb.url + "/_sandbox/aws", json={"sqs_running": False}, timeout=10).json()
            with pytest.raises(requests.ConnectionError):
                requests.get(server.endpoint, timeout=2)
            clock.advance(timedelta(hours=2))
            failing = deliver(sb)
            up = requests.post(sb.url + "/_sandbox/aws", json={"sqs_running": True}, timeout=10).json()
            done = deliver(sb)
            bodies = drain(_sqs(server.endpoint), url)
    assert down == {"sqs_endpoint_url": server.endpoint, "sqs_embedded": True, "sqs_running": False}
    assert failing["sent"] == 0 and failing["pending"] > 0 and failing["last_error"]
    assert up["sqs_running"] is True and up["sqs_endpoint_url"] == server.endpoint
    assert done["pending"] == 0 and done["sent"] == failing["pending"] == len(bodies)


def test_a_sandbox_without_its_own_sqs_server_refuses_to_stop_one(tmp_path):
    with Sandbox(port=0, state_dir=tmp_path) as sb:
        assert requests.get(sb.url + "/_sandbox/aws", timeout=10).json() == {"sqs_endpoint_url": None, "sqs_embedded": False, "sqs_running": None}
        assert requests.post(sb.url + "/_sandbox/aws", json={"sqs_running": False}, timeout=10).status_code == 409

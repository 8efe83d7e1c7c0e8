"""The embedded SQS endpoint: moto's server on loopback, started by the sandbox process beside itself (unless
AWS_ENDPOINT_URL_SQS names one) and reported at /_sandbox/aws; and the context manager tests use on their own."""

import socket

import boto3
import pytest
import requests

from amazon_zoho.cli.sandbox_process import sandbox, sqs_endpoint
from amazon_zoho.sandbox.sqs_server import MOTO_ACCOUNT_ID, sqs_server


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

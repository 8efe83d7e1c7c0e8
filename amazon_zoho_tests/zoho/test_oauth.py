"""401 -> one refresh, single flight: N threads holding a token Zoho expired mint exactly one new token
(Zoho blocks a refresh token that mints more than 10 access tokens in 10 minutes)."""

import threading

import requests

from amazon_zoho.resources import zoho_resource
from amazon_zoho.settings import load


def _mints(url: str) -> int:
    calls = requests.get(f"{url}/_sandbox/calls", params={"service": "zoho"}, timeout=30).json()["calls"]
    return sum(1 for c in calls if c["operation"] == "zoho_token")


def test_threads_hitting_an_expired_token_mint_exactly_one(sandbox, project_env):
    client = zoho_resource(load(project_env)).client()
    client.org_id()
    assert _mints(sandbox.url) == 1
    assert requests.post(f"{sandbox.url}/_sandbox/zoho/expire_tokens", timeout=10).json()["expired"] == 1

    threads, barrier, answers, errors = 8, threading.Barrier(8), [], []

    def work():
        barrier.wait()
        try:
            answers.append(client.call("getOrg", "GET", "/crm/v8/org")[0])
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    assert not errors and answers == [200] * threads
    assert _mints(sandbox.url) == 2, "one refresh for all threads"
    assert client.tokens.refreshes == 2
    denied = requests.get(f"{sandbox.url}/_sandbox/calls", params={"service": "zoho"}, timeout=30).json()["calls"]
    assert any(c["status"] == 401 for c in denied), "the threads did hit the expired token"

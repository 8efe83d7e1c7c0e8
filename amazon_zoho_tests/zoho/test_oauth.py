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


# Runs are processes of their own: the token they share lives in a file (amazon_zoho/http/token_store.py). The limit
# it keeps us under is Zoho's: 10 access tokens per refresh token in 10 minutes, then blocked (API-FACTS.md §7).
_ONE_RUN = """
import json, sys
from amazon_zoho.resources import zoho_resource
from amazon_zoho.settings import load
client = zoho_resource(load(json.loads(sys.argv[1]))).client()
print(client.org_id())
"""


def test_runs_in_separate_processes_share_one_token(sandbox, project_env):
    import json
    import subprocess
    import sys

    runs = [subprocess.Popen([sys.executable, "-c", _ONE_RUN, json.dumps(project_env)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(4)]
    answers = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0] * 4, [err[-500:] for _, err in answers]
    assert len({out.strip() for out, _ in answers}) == 1, "every run reached the same org"
    assert _mints(sandbox.url) == 1, "four runs at once, one token"


def test_a_day_of_runs_stays_under_zohos_mint_limit(sandbox, project_env):
    # Twelve runs within minutes (intraday runs, the daily run, a backfill): each a fresh resource, as in its own process.
    for _ in range(12):
        zoho_resource(load(project_env)).client().org_id()
    assert _mints(sandbox.url) == 1


def test_without_the_shared_token_the_eleventh_run_is_blocked(sandbox, project_env):
    # What the shared token prevents: the sandbox, as Zoho, refuses the eleventh mint within 10 minutes.
    import dataclasses

    from amazon_zoho.http.errors import ApiError

    each_its_own = dataclasses.replace(load(project_env), token_cache_dir="")
    for _ in range(10):
        zoho_resource(each_its_own).client().org_id()
    try:
        zoho_resource(each_its_own).client().org_id()
    except ApiError as exc:
        assert exc.operation == "token_refresh"
    else:
        raise AssertionError("the eleventh mint in 10 minutes went through")


def test_a_shared_token_zoho_revoked_is_replaced_once_and_the_file_keeps_no_secret(sandbox, project_env, tmp_path):
    import os
    import stat

    from amazon_zoho.sandbox.config import ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN

    zoho_resource(load(project_env)).client().org_id()
    assert requests.post(f"{sandbox.url}/_sandbox/zoho/expire_tokens", timeout=10).json()["expired"] == 1
    # A later run reads the revoked token from the file, meets Zoho's 401, and mints one new token for everyone.
    later = zoho_resource(load(project_env)).client()
    assert later.call("getOrg", "GET", "/crm/v8/org")[0] == 200
    assert _mints(sandbox.url) == 2
    zoho_resource(load(project_env)).client().org_id()
    assert _mints(sandbox.url) == 2, "the run after that uses the replacement"

    [held] = list((tmp_path / "tokens").glob("zoho-*.json"))
    assert stat.S_IMODE(os.stat(held).st_mode) == 0o600
    text = held.read_text()
    assert later.tokens.token() in text
    assert ZOHO_REFRESH_TOKEN not in text and ZOHO_CLIENT_SECRET not in text


def test_a_token_cache_that_cannot_be_used_costs_mints_not_the_run(sandbox, project_env, tmp_path, caplog):
    import dataclasses

    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the cache directory should be")
    settings = dataclasses.replace(load(project_env), token_cache_dir=str(blocked))
    with caplog.at_level("WARNING"):
        for _ in range(2):
            zoho_resource(settings).client().org_id()
    assert _mints(sandbox.url) == 2, "each run its own token, as without the cache"
    assert "token cache unusable" in caplog.text


def test_a_token_file_others_could_have_written_is_ignored(sandbox, project_env, tmp_path, caplog):
    import os

    zoho_resource(load(project_env)).client().org_id()
    [held] = list((tmp_path / "tokens").glob("zoho-*.json"))
    os.chmod(held, 0o666)  # its api_domain decides where buyer data goes: trusted only from this user's private file
    with caplog.at_level("WARNING"):
        zoho_resource(load(project_env)).client().org_id()
    assert _mints(sandbox.url) == 2
    assert "not a private file" in caplog.text

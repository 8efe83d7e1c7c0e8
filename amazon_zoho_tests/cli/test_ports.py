"""`make dev PORT=… SANDBOX_PORT=…`: a machine whose :3000 or :8765 is taken is not a dead end."""

import socket
import subprocess
import sys

import pytest

from amazon_zoho.cli.sandbox_process import refuse_taken_port, sandbox


@pytest.fixture
def taken_port():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_port_another_program_holds_is_refused_with_the_variable_that_moves_it(taken_port):
    with pytest.raises(SystemExit, match=f"port {taken_port} is taken.*SANDBOX_PORT={taken_port + 1}"):
        with sandbox(taken_port, "unused"):
            pass


def test_a_free_port_passes():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refuse_taken_port(port, "the Dagster UI", "PORT")


def test_make_passes_both_ports_to_dev_and_run():
    dry = subprocess.run(["make", "-n", "dev", "run", "sandbox", "PORT=3101", "SANDBOX_PORT=8801"],
                         capture_output=True, text=True, check=True).stdout
    assert "amazon_zoho.cli.dev --port 3101 --sandbox-port 8801" in dry
    assert "amazon_zoho.cli.run --days 7  --port 8801" in dry
    assert "amazon_zoho.sandbox --port 8801" in dry


def test_dev_hands_its_port_to_dagster_dev(monkeypatch, tmp_path):
    import amazon_zoho.cli.dev as dev

    calls = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("AMAZON_ZOHO_SANDBOX_URL", raising=False)  # dev sets it; the other tests must not see it
    monkeypatch.setattr(dev, "sandbox", _fake_sandbox)
    monkeypatch.setattr(dev.subprocess, "call", lambda args: calls.append(args) or 0)
    assert dev.main(["--port", "3101", "--sandbox-port", "8801", "--verbose"]) == 0
    assert calls == [[sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml", "-p", "3101", "--verbose"]]


class _fake_sandbox:
    def __init__(self, port, *args, **kwargs):
        self.port = port

    def __enter__(self):
        assert self.port == 8801
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc):
        return False

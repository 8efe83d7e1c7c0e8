"""Starts the embedded sandbox as its own process for `make run` and `make dev`, or reuses one that
already answers on the port, and stops only what it started."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import requests


def healthy(url: str) -> bool:
    try:
        return requests.get(url + "/_sandbox/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def refuse_taken_port(port: int, what: str, variable: str) -> None:
    """Stops with the way out when another program holds the port, instead of the server's bind error
    somewhere in a log."""
    with socket.socket() as probe:
        # As the servers bind (SO_REUSEADDR): a port left in TIME_WAIT by the last run is free, a listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise SystemExit(f"port {port} is taken by another program; start {what} on another one, e.g. "
                             f"make {{run,dev,sandbox}} {variable}={port + 1}") from None


@contextlib.contextmanager
def sandbox(port: int, state_dir: str, knobs: dict[str, str] | None = None, log_path: str | None = None) -> Iterator[str]:
    url = f"http://127.0.0.1:{port}"
    if healthy(url):
        print(f"using the sandbox already running at {url}", flush=True)
        yield url
        return
    refuse_taken_port(port, "the sandbox", "SANDBOX_PORT")
    args = [sys.executable, "-m", "amazon_zoho.sandbox", "--port", str(port), "--state-dir", state_dir]
    for name, value in (knobs or {}).items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        while not healthy(url):
            if process.poll() is not None:
                raise RuntimeError(f"the sandbox exited with code {process.returncode}; see {log_path or 'its output'}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox did not answer on {url} within 60 s")
            time.sleep(0.2)
        print(f"sandbox started at {url} (state in {state_dir})", flush=True)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        if log_path:
            log.close()

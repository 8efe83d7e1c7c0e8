"""Starts the embedded sandbox as its own process for `make run` and `make dev`, or reuses one that
already answers on the port, and stops only what it started. The process starts the embedded SQS server (moto)
beside itself unless AWS_ENDPOINT_URL_SQS is set; amazon/queue.py sandbox_sqs_endpoint() says where it is (sandbox/sqs_server.py)."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

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


def process_usage(pid: int) -> dict:
    """CPU seconds (user + system) and peak resident memory of a running process, from Linux's /proc (proc(5):
    /proc/<pid>/stat fields 14-15 utime and stime in clock ticks, /proc/<pid>/status VmHWM); {} elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    # The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
    fields = stat[stat.rindex(")") + 2:].split()
    ticks = int(fields[11]) + int(fields[12])  # fields 14 and 15 of the whole line
    hwm_kb = next((int(row.split()[1]) for row in status.splitlines() if row.startswith("VmHWM:")), 0)
    return {"cpu_seconds": round(ticks / os.sysconf("SC_CLK_TCK"), 1), "peak_rss_mb": round(hwm_kb / 1024, 1)}


@contextlib.contextmanager
def sandbox(port: int, state_dir: str, knobs: dict[str, str] | None = None, log_path: str | None = None,
            usage: dict | None = None) -> Iterator[str]:
    """`usage`, when given, receives the sandbox process's CPU seconds and peak RSS just before it is stopped
    (only for a sandbox started here)."""
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
        if usage is not None:
            usage.update(process_usage(process.pid))
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        if log_path:
            log.close()

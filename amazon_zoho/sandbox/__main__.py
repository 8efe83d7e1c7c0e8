"""`python -m amazon_zoho.sandbox --port 8765`: serve the simulated Amazon and Zoho APIs on loopback, and an SQS
endpoint (moto) for the ORDER_CHANGE notifications unless one is configured (sandbox/sqs_server.py)."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys

from .. import clock
from .app import Sandbox
from .config import SandboxConfig
from .sqs_server import embedded_sqs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m amazon_zoho.sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--state-dir", default="data/sandbox", help="where the sandbox keeps its state")
    parser.add_argument("--reset", action="store_true", help="wipe the sandbox state before serving")
    parser.add_argument("--now", default=os.environ.get(clock.ENVIRONMENT_VARIABLE) or None,
                        help="pin the sandbox's clock to this instant (ISO 8601 with offset, or an INSTANT@EPOCH anchor); it runs on from there")
    parser.add_argument("--sqs-port", type=int, default=int(os.environ.get("SANDBOX_SQS_PORT") or 0),
                        help="port of the embedded SQS server on 127.0.0.1 (0 = any free port; env SANDBOX_SQS_PORT)")
    parser.add_argument("--no-sqs", action="store_true", help="start no SQS server (notifications wait in the outbox)")
    for f in dataclasses.fields(SandboxConfig):
        parser.add_argument(f"--{f.name.replace('_', '-')}", dest=f.name, default=None, help=f"knob {f.name} (env SANDBOX_{f.name.upper()})")
    args = parser.parse_args(argv)
    if args.now:
        clock.pin(args.now)
    config = SandboxConfig.from_env()
    overrides = {f.name: getattr(args, f.name) for f in dataclasses.fields(SandboxConfig) if getattr(args, f.name) is not None}
    config = config.updated(overrides)
    sandbox = Sandbox(port=args.port, config=config, state_dir=args.state_dir)
    if args.reset:
        sandbox.app.reset()
    if overrides:
        sandbox.app.set_config(overrides)
    with contextlib.ExitStack() as stack:
        try:
            endpoint = _sqs_endpoint(stack, config, args, sandbox)
            # Not persisted: the next run's server has another port.
            sandbox.app.set_config({"sqs_endpoint_url": endpoint or ""}, persist=False)
            print(f"amazon_zoho sandbox listening on {sandbox.url} (state in {args.state_dir}); SQS endpoint "
                  f"{endpoint or 'none: notifications wait in the outbox'}", flush=True)
            sandbox.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            sandbox.stop()
    return 0


def _sqs_endpoint(stack: contextlib.ExitStack, config: SandboxConfig, args, sandbox: Sandbox) -> str | None:
    """The knob, else boto3's AWS_ENDPOINT_URL_SQS, else an embedded moto server (the contract: sqs_server.py)."""
    if config.sqs_endpoint_url:
        return config.sqs_endpoint_url
    if os.environ.get("AWS_ENDPOINT_URL_SQS"):
        return os.environ["AWS_ENDPOINT_URL_SQS"]
    if args.no_sqs:
        return None
    sandbox.app.embedded_sqs = stack.enter_context(embedded_sqs(args.sqs_port))
    return sandbox.app.embedded_sqs.endpoint


if __name__ == "__main__":
    sys.exit(main())

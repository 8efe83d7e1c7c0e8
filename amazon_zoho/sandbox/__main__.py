"""`python -m amazon_zoho.sandbox --port 8765`: serve the simulated Amazon and Zoho APIs on loopback."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

from .. import clock
from .app import Sandbox
from .config import SandboxConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m amazon_zoho.sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--state-dir", default="data/sandbox", help="where the sandbox keeps its state")
    parser.add_argument("--reset", action="store_true", help="wipe the sandbox state before serving")
    parser.add_argument("--now", default=os.environ.get(clock.ENVIRONMENT_VARIABLE) or None,
                        help="pin the sandbox's clock to this instant (ISO 8601 with offset, or an INSTANT@EPOCH anchor); it runs on from there")
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
    print(f"amazon_zoho sandbox listening on {sandbox.url} (state in {args.state_dir})", flush=True)
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

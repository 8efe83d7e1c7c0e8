"""`make intraday-setup`: the SQS queue and its dead-letter queue, the Notifications API destination and the
ORDER_CHANGE subscription the intraday sensor (amazon/intraday.py) listens to. Idempotent: run it again and it finds
and reuses each. Without AMAZON_NOTIFICATIONS_QUEUE_URL it works against the sandbox (whose SQS server it creates the
queue in); with it, it checks the real queue (never creates or changes anything in your AWS account) and subscribes
the seller's real account. Exit status 0 when everything is in place, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..amazon.notifications import setup
from ..amazon.queue import QueueUnavailable
from ..http.errors import ApiError, redact
from ..settings import Settings, SettingsError
from .environment import sandbox_knobs, sandbox_port
from .sandbox_process import sandbox


def run(settings: Settings) -> int:
    from ..resources import amazon_resource, queue_resource

    if not settings.intraday.queue_url and not settings.amazon_sandbox:
        print("FAIL: Amazon credentials are set but AMAZON_NOTIFICATIONS_QUEUE_URL is not: create the SQS queue (README, "
              "'Intraday orders'), then set it")
        return 1
    amazon = amazon_resource(settings).process_config_and_initialize()
    order_queue = queue_resource(settings).process_config_and_initialize()
    try:
        for line in setup(amazon, order_queue):
            print(redact(line), flush=True)
    except (QueueUnavailable, ApiError) as exc:
        print(redact(f"FAIL: {exc}"))
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m amazon_zoho.cli.intraday_setup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=sandbox_port(), help="the sandbox's port, when no Amazon credentials are set")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"FAIL: {exc}")
        return 1
    if not settings.amazon_sandbox:
        return run(settings)
    Path("data").mkdir(exist_ok=True)
    with sandbox(args.port, "data/sandbox", sandbox_knobs(), log_path="data/sandbox.log") as url:
        os.environ.setdefault("AMAZON_ZOHO_SANDBOX_URL", url)
        return run(Settings.from_env())


if __name__ == "__main__":
    sys.exit(main())

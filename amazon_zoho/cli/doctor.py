"""`make doctor`: checks, in order and without writing anything, everything a real run needs, and says for each
problem what to do. Exit status 0 when nothing failed, 1 otherwise.

    settings → Amazon LWA token → marketplaces → each SP-API operation (its role) → SQS (the notifications queue)
    → Zoho token at the data centre → each scope → modules of the edition → fields → credit allowance

A side without credentials is checked against the sandbox (started as `make run` starts it, or the one already
running). Secrets never reach the output: errors carry status and OAuth error codes only (http/oauth.py), and
every line passes http/errors.redact.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable
from pathlib import Path

import requests

from ..amazon import doctor as amazon_doctor
from ..amazon.doctor import Check
from ..http.errors import redact
from ..settings import Settings, SettingsError
from ..zoho import doctor as zoho_doctor
from ..zoho.resource import ACCOUNTS_URLS
from .environment import sandbox_knobs, sandbox_port
from .sandbox_process import sandbox

MARK = {True: "ok  ", False: "FAIL", None: "--  "}


def run_checks(settings: Settings, orders_per_day: int = 1000, out: Callable[[str], None] = print) -> list[Check]:
    """Every check after the settings, printed as it completes; returns them all."""
    from ..resources import amazon_resource, queue_resource, zoho_resource

    checks: list[Check] = []

    def report(check: Check) -> Check:
        checks.append(check)
        out(_line(check))
        return check

    amazon = amazon_resource(settings).process_config_and_initialize()
    where = f"the sandbox at {settings.sandbox_url} (no Amazon credentials set)" if settings.amazon_sandbox else f"SP-API region {settings.region}"
    out(f"Amazon: {where}")
    client = amazon.client()
    if report(amazon_doctor.lwa_token(client)).ok:
        report(amazon_doctor.participations(client, settings.marketplace_ids))
        for check in amazon_doctor.operations(client, settings.marketplace_ids):
            report(check)
    else:
        report(Check("Amazon operations", None, "not checked: no LWA token"))
    report(amazon_doctor.notifications(queue_resource(settings).process_config_and_initialize()))

    # A token from the deployment's shared file would prove nothing about the credentials: the doctor mints its own.
    zoho = zoho_resource(dataclasses.replace(settings, token_cache_dir="")).process_config_and_initialize()
    where = (f"the sandbox at {settings.sandbox_url} (no Zoho credentials set)" if settings.zoho_sandbox
             else f"Zoho CRM, data centre {settings.zoho_data_center}")
    out(f"Zoho: {where}")
    crm = zoho.client()
    if settings.zoho_sandbox:
        other_dc = lambda dc: f"{settings.sandbox_url}/_dc/{dc}/oauth/v2/token"  # noqa: E731 - the sandbox's other data centres
    elif settings.zoho_accounts_url:
        other_dc = None  # a proxy or test endpoint: asking Zoho's own servers would bypass it
    else:
        other_dc = lambda dc: ACCOUNTS_URLS[dc] + "/oauth/v2/token"  # noqa: E731
    if not report(zoho_doctor.token(crm, settings.zoho_data_center, other_dc)).ok:
        report(Check("Zoho scopes, modules, fields", None, "not checked: no Zoho token"))
        return checks
    for check in zoho_doctor.scopes(crm):
        report(check)
    mapping = zoho.mapping()
    modules, available = zoho_doctor.modules(crm, mapping)
    report(modules)
    report(zoho_doctor.fields(crm, mapping, available, settings.zoho_auto_setup))
    report(zoho_doctor.credits(settings.zoho_daily_credits, settings.zoho_credit_reserve, orders_per_day,
                               _sandbox_budget(settings.sandbox_url) if settings.zoho_sandbox else None))
    return checks


def _sandbox_budget(url: str) -> int | None:
    try:
        return int(requests.get(url + "/_sandbox/zoho/credits", timeout=10).json()["budget"])
    except (requests.RequestException, ValueError, KeyError):
        return None


def _line(check: Check) -> str:
    text = f"  {MARK[check.ok]}  {check.name}"
    if check.todo:
        label = "what to do: " if check.ok is False else ""
        text += f"\n        {label}{check.todo}"
    return redact(text)


def diagnose(environ: dict[str, str] | None = None, orders_per_day: int = 1000, out: Callable[[str], None] = print) -> int:
    """Settings first (nothing else can be checked without them), then run_checks; the exit status."""
    try:
        settings = Settings.from_env(environ)
    except SettingsError as exc:
        out(_line(Check("settings", False, str(exc))))
        return 1
    out(_line(Check("settings", True, f"marketplaces {', '.join(settings.marketplace_ids)} (region {settings.region}), "
                                     f"Zoho data centre {settings.zoho_data_center}")))
    checks = run_checks(settings, orders_per_day, out)
    failed = [c.name for c in checks if c.ok is False]
    out(f"{len(failed)} problem(s): {', '.join(failed)}" if failed else "everything a real run needs answers; nothing was written")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m amazon_zoho.cli.doctor", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders-per-day", type=int, default=1000, help="the seller's orders a day, for the credit estimate")
    parser.add_argument("--port", type=int, default=sandbox_port(), help="the sandbox's port, for a side without credentials")
    args = parser.parse_args(argv)
    print("make doctor: checking what a real run needs (read-only: no records, reports or fields are created)", flush=True)
    try:
        settings = Settings.from_env()
    except SettingsError:
        return diagnose(orders_per_day=args.orders_per_day)
    if not (settings.amazon_sandbox or settings.zoho_sandbox):
        return diagnose(orders_per_day=args.orders_per_day)
    Path("data").mkdir(exist_ok=True)
    with sandbox(args.port, "data/sandbox", sandbox_knobs(), log_path="data/sandbox.log") as url:
        os.environ.setdefault("AMAZON_ZOHO_SANDBOX_URL", url)
        return diagnose(orders_per_day=args.orders_per_day)


if __name__ == "__main__":
    sys.exit(main())

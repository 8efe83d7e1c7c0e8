"""The environment `make run` and `make dev` give Dagster: a project-local DAGSTER_HOME with the
instance settings the project relies on (the DuckDB writer pool), and the sandbox's URL."""

import os
import shutil
from pathlib import Path

from .. import clock

INSTANCE_YAML = Path(__file__).with_name("dagster.yaml")


def prepare_dagster_home(root: Path) -> Path:
    home = Path(os.environ.get("DAGSTER_HOME") or root / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists():
        shutil.copy(INSTANCE_YAML, target)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def share_clock(instant: str | None = None) -> None:
    """Pins this process's clock at `instant` or AMAZON_ZOHO_NOW, if either is set, and hands every process
    started from here (the sandbox, Dagster's code server and runs) the anchor, so they all read one time instead
    of each starting at the instant when it starts."""
    value = instant or os.environ.get(clock.ENVIRONMENT_VARIABLE)
    if value:
        clock.pin(value)
        os.environ[clock.ENVIRONMENT_VARIABLE] = clock.anchor()


def sandbox_knobs() -> dict[str, str]:
    """Demo speed: refill rate limits 60x faster (same bucket arithmetic) unless the user chose a scale."""
    scale = os.environ.setdefault("AMAZON_ZOHO_SANDBOX_TIME_SCALE", "60")
    return {"time_scale": scale}


def sandbox_port() -> int:
    """make's SANDBOX_PORT= arrives as AMAZON_ZOHO_SANDBOX_PORT, the name the rest of the project reads."""
    return int(os.environ.get("AMAZON_ZOHO_SANDBOX_PORT") or 8765)

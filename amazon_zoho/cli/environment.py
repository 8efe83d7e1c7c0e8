"""The environment `make run` and `make dev` give Dagster: a project-local DAGSTER_HOME with the
instance settings the project relies on (the DuckDB writer pool), and the sandbox's URL."""

import os
import shutil
from pathlib import Path

INSTANCE_YAML = Path(__file__).with_name("dagster.yaml")


def prepare_dagster_home(root: Path) -> Path:
    home = Path(os.environ.get("DAGSTER_HOME") or root / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists():
        shutil.copy(INSTANCE_YAML, target)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def sandbox_knobs() -> dict[str, str]:
    """Demo speed: refill rate limits 60x faster (same bucket arithmetic) unless the user chose a scale."""
    scale = os.environ.setdefault("AMAZON_ZOHO_SANDBOX_TIME_SCALE", "60")
    return {"time_scale": scale}

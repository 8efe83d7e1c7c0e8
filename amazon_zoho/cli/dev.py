"""`make dev`: the Dagster UI on the project, with the sandbox running beside it and a DAGSTER_HOME
inside the project so run history, schedules and sensor cursors survive restarts."""

import os
import subprocess
import sys
from pathlib import Path

from .environment import prepare_dagster_home, sandbox_knobs, share_clock
from .sandbox_process import sandbox


def main() -> int:
    home = prepare_dagster_home(Path.cwd())
    share_clock()
    port = int(os.environ.get("AMAZON_ZOHO_SANDBOX_PORT", "8765"))
    with sandbox(port, "data/sandbox", sandbox_knobs(), log_path="data/sandbox.log") as url:
        os.environ.setdefault("AMAZON_ZOHO_SANDBOX_URL", url)
        print(f"DAGSTER_HOME={home}", flush=True)
        try:
            return subprocess.call([sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml", *sys.argv[1:]])
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make dev`: the Dagster UI on the project, with the sandbox running beside it and a DAGSTER_HOME
inside the project so run history, schedules and sensor cursors survive restarts.

`make dev PORT=3001 SANDBOX_PORT=8766` (or `--port`/`--sandbox-port`) when those ports are taken; anything
else on the command line goes to `dagster dev`.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

from .environment import prepare_dagster_home, sandbox_knobs, sandbox_port, share_clock
from .sandbox_process import refuse_taken_port, sandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m amazon_zoho.cli.dev", description=__doc__)
    parser.add_argument("--port", type=int, default=3000, help="the Dagster UI's port (make dev PORT=…)")
    parser.add_argument("--sandbox-port", type=int, default=sandbox_port(), help="the sandbox's port (make dev SANDBOX_PORT=…)")
    args, dagster_args = parser.parse_known_args(argv)
    home = prepare_dagster_home(Path.cwd())
    share_clock()
    refuse_taken_port(args.port, "the Dagster UI", "PORT")
    with sandbox(args.sandbox_port, "data/sandbox", sandbox_knobs(), log_path="data/sandbox.log") as url:
        os.environ.setdefault("AMAZON_ZOHO_SANDBOX_URL", url)
        print(f"DAGSTER_HOME={home}\nthe Dagster UI: http://127.0.0.1:{args.port}", flush=True)
        try:
            return subprocess.call(
                [sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml", "-p", str(args.port), *dagster_args]
            )
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())

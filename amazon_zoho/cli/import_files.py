"""`make import FILES="a.txt b.txt"` (or DIR=path): load report files downloaded from Seller Central, then rebuild
core and marts for the days they cover, in this process. No Amazon call: the rebuild job has no amazon_raw asset.

Exit status 0 when every file loaded (or was loaded before), 2 when a file was refused, 1 when the rebuild failed.
The rebuild covers every loaded import still owed one (ops.imports.rebuild_requested_at), this run's and any an
earlier `make import` or inbox tick loaded but did not get rebuilt: running it again after a failed rebuild
finishes the job. An import counts as rebuilt once the runs succeeded.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import clock
from ..amazon import imports, marketplaces
from ..amazon.inbox_sensor import IMPORT_REBUILD_JOB, split_by_partitions
from ..amazon.sensors import RANGE_END, RANGE_START, partition_runs
from ..partitions import daily_partitions
from ..resources import warehouse_resource
from ..settings import Settings
from .environment import prepare_dagster_home


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m amazon_zoho.cli.import_files", description=__doc__)
    parser.add_argument("files", nargs="*", type=Path, help="report files (.txt as Seller Central downloads them, or .gz)")
    parser.add_argument("--dir", type=Path, help="import every file in this folder (not its subfolders)")
    parser.add_argument("--marketplace", default=None,
                        help="marketplace id for files that do not name theirs, e.g. A1PA6795UKMFR9 (Amazon.de)")
    args = parser.parse_args(argv)
    if args.marketplace and args.marketplace not in marketplaces.BY_ID:
        parser.error(f"--marketplace {args.marketplace} is not a marketplace id of amazon/marketplaces.csv (e.g. A1PA6795UKMFR9)")
    paths = [*args.files, *(sorted(p for p in args.dir.iterdir() if p.is_file()) if args.dir else [])]
    if not paths:
        parser.error("no file given: FILES=\"a.txt b.txt\" or DIR=path")
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        parser.error(f"not a file: {', '.join(missing)}")

    settings = Settings.from_env()
    if settings.now:
        clock.pin(settings.now)
    results = import_paths(settings, paths, args.marketplace)
    for result in results:
        print(result.summary(), flush=True)
    warehouse = warehouse_resource(settings)
    with warehouse.connect() as conn:
        owed = imports.owed_rebuilds(conn)
    ours = {r.report_id for r in results if r.status == imports.LOADED}
    for earlier in (o for o in owed if o.report_id not in ours):
        print(f"{earlier.file_name} ({earlier.report_id}) was loaded before but never rebuilt: rebuilding its days now", flush=True)
    days = sorted({d for o in owed for d in o.days})
    wanted, outside = split_by_partitions(days, daily_partitions(settings.start_date))
    if outside:
        print(f"no partition for {', '.join(map(str, outside))} (before AMAZON_ZOHO_START_DATE or today): loaded into raw only")
    ok = rebuild(settings, wanted) if wanted else True
    if not ok:
        print("the rebuild failed: the files stay loaded and owed their rebuild; run make import again to finish it", file=sys.stderr)
        return 1
    with warehouse.connect() as conn:
        imports.mark_rebuild_requested(conn, owed)
    return 2 if any(r.status == imports.REFUSED for r in results) else 0


def import_paths(settings: Settings, paths: list[Path], marketplace_id: str | None) -> list[imports.ImportResult]:
    warehouse = warehouse_resource(settings)
    with warehouse.connect() as conn:
        return [imports.import_file(conn, p.read_bytes(), p.name, warehouse.archive_dir, marketplace_id) for p in paths]


def rebuild(settings: Settings, days: list) -> bool:
    """Core and marts for the days, one run per span of days, recorded in the project's Dagster instance."""
    import dagster as dg

    from ..build import build_defs

    prepare_dagster_home(Path.cwd())
    job = build_defs(settings).resolve_job_def(IMPORT_REBUILD_JOB)
    ok = True
    for first, last in partition_runs(days):
        print(f"rebuilding core and marts for {first}..{last}", flush=True)
        result = job.execute_in_process(
            instance=dg.DagsterInstance.get(), tags={RANGE_START: first.isoformat(), RANGE_END: last.isoformat()}, raise_on_error=False,
            # The steps' debug lines would bury the summary; warnings (a failed check, quarantined rows) still show.
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
        for event in result.all_events:
            if event.is_failure and event.event_specific_data is not None:
                print(f"FAILED {event.step_key}: {getattr(event.event_specific_data, 'error', '')}", file=sys.stderr)
        print(f"  run {result.run_id}: {'succeeded' if result.success else 'FAILED'} (make dev shows it)", flush=True)
        ok &= result.success
    return ok


if __name__ == "__main__":
    sys.exit(main())

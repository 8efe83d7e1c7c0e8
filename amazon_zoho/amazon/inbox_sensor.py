"""The inbox: report files a seller drops into data/inbox/ are imported (amazon/imports.py), then core and marts
are rebuilt for the days they cover, by a job that leaves out the amazon_raw assets, so no Amazon call happens.

RUNNING by default: a tick with an empty inbox lists one folder and returns; it never calls Amazon and opens the
warehouse only when there is a file. Processed files move to done/ or refused/ (with <name>.reason.txt), so a
tick never reads a file twice.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from .. import clock
from ..partitions import open_days
from ..warehouse import WarehouseResource
from . import imports
from .sensors import SENSOR_LOCK_WAIT, _run_in_progress, partition_runs, run_requests

IMPORT_REBUILD_JOB = "rebuild_after_import"
DONE, REFUSED = "done", "refused"
# Names a browser or copy tool gives a file it is still writing; the next tick sees the finished name.
IN_PROGRESS = (".part", ".crdownload", ".download", ".tmp", ".partial")
INTERVAL_SECONDS = 60


def rebuild_job(partitions: dg.PartitionsDefinition) -> dg.UnresolvedAssetJobDefinition:
    """Core, marts and the analyst copy for a range of days, from what raw holds: no amazon_raw asset, no Amazon call."""
    return dg.define_asset_job(
        IMPORT_REBUILD_JOB,
        selection=dg.AssetSelection.groups("core", "marts") | dg.AssetSelection.key_substring("ops/analyst_copy"),
        partitions_def=partitions,
        description="Rebuilds core and marts for the days of imported report files (make import, data/inbox); calls no API.",
    )


def pending_files(inbox: Path) -> list[Path]:
    """Files waiting in the inbox (not in done/ or refused/, not hidden, not still being written), oldest name first."""
    if not inbox.is_dir():
        return []
    return sorted(
        p for p in inbox.iterdir()
        if p.is_file() and not p.name.startswith(".") and not p.name.lower().endswith(IN_PROGRESS)
    )


def file_away(path: Path, result: imports.ImportResult) -> Path:
    """Moves a processed file to done/ or refused/ (beside it: <name>.reason.txt); never overwrites an earlier one."""
    folder = path.parent / (REFUSED if result.status == imports.REFUSED else DONE)
    folder.mkdir(exist_ok=True)
    target, n = folder / path.name, 1
    while target.exists():
        target, n = folder / f"{path.stem}.{n}{path.suffix}", n + 1
    path.replace(target)
    if result.status == imports.REFUSED:
        target.with_name(target.name + ".reason.txt").write_text(f"{result.reason}\n", encoding="utf-8")
    return target


def import_inbox(inbox: Path, warehouse: WarehouseResource, run_id: str | None = None) -> list[imports.ImportResult]:
    """Imports every pending file and files it away; a file is moved only after its import committed."""
    results = []
    with warehouse.connect() as conn:
        for path in pending_files(inbox):
            result = imports.import_file(conn, path.read_bytes(), path.name, warehouse.archive_dir, run_id=run_id)
            file_away(path, result)
            results.append(result)
    return results


def build_inbox_sensor(inbox_dir: str, partitions: dg.TimeWindowPartitionsDefinition, job) -> dg.SensorDefinition:
    inbox = Path(inbox_dir)

    @dg.sensor(
        name="amazon_report_inbox",
        description=f"Imports settlement and order report files dropped into {inbox_dir} (downloaded from Seller Central) "
        "and rebuilds core and marts for their days; refused files go to refused/ with the reason.",
        job=job,
        minimum_interval_seconds=INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def amazon_report_inbox(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
        if not pending_files(inbox):
            return dg.SkipReason(f"no file in {inbox}")
        if _run_in_progress(context):
            return dg.SkipReason("a run is in progress and holds the warehouse; importing next tick")
        try:
            results = import_inbox(inbox, warehouse.waiting_at_most(SENSOR_LOCK_WAIT))
        except duckdb.IOException as exc:
            return dg.SkipReason(f"warehouse busy ({exc}); importing next tick")
        for result in results:
            (context.log.warning if result.status == imports.REFUSED else context.log.info)(result.summary())
        # A file found again after its import committed (a tick that died before asking for the runs) asks again.
        days = sorted({d for r in results for d in [*r.days, *r.loaded_days]})
        wanted, outside = split_by_partitions(days, partitions)
        if outside:
            context.log.warning(f"days without a partition (before AMAZON_ZOHO_START_DATE, or today), loaded into raw only: {outside}")
        if not wanted:
            return dg.SkipReason(f"{len(results)} files processed, no day to rebuild")
        # Unique per tick's files: the same days asked for by a later drop must run again, not be deduplicated.
        seen = ",".join(sorted(f"{r.report_id}:{r.status}" for r in results))
        key = f"inbox:{hashlib.sha256(seen.encode()).hexdigest()[:16]}:{clock.now().isoformat()}"
        return run_requests(partition_runs(wanted), key)

    return amazon_report_inbox


def split_by_partitions(days: list[date], partitions: dg.TimeWindowPartitionsDefinition) -> tuple[list[date], list[date]]:
    """Days that have a partition now, and the rest (today's opens at midnight UTC: the daily run picks raw up then)."""
    bounds = open_days(partitions)
    inside = [d for d in days if bounds and bounds[0] <= d <= bounds[1]]
    return inside, [d for d in days if d not in inside]

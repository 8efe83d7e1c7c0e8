"""The inbox: report files a seller drops into data/inbox/ are imported (amazon/imports.py), then core and marts
are rebuilt for the days they cover, by a job that leaves out the amazon_raw assets, so no Amazon call happens.

RUNNING by default: a tick with an empty inbox lists one folder and asks the warehouse (read-only) whether an
import is still owed its rebuild; it never calls Amazon. Processed files move to done/ or refused/ (with
<name>.reason.txt), so a tick never reads a file twice. Which loaded imports have had their rebuild asked for is
kept in ops.imports.rebuild_requested_at, not in the inbox: a tick that dies after moving a file to done/ leaves
its rebuild owed, and the next tick asks for it.
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


def owes_rebuild(warehouse: WarehouseResource) -> bool:
    """Whether a loaded import still waits for its rebuild (read-only; a warehouse not made yet owes nothing)."""
    try:
        with warehouse.connect(read_only=True) as conn:
            return conn.execute("SELECT count(*) FROM ops.imports WHERE status = ? AND rebuild_requested_at IS NULL",
                                [imports.LOADED]).fetchone()[0] > 0
    except (duckdb.CatalogException, duckdb.BinderException):
        return False  # no ops.imports (or not its rebuild column) yet: nothing was imported since


def owed_rebuilds(warehouse: WarehouseResource) -> list[imports.OwedRebuild]:
    with warehouse.connect() as conn:
        return imports.owed_rebuilds(conn)


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
        waiting = warehouse.waiting_at_most(SENSOR_LOCK_WAIT)
        pending = pending_files(inbox)
        if not pending:
            try:
                if not owes_rebuild(waiting):
                    return dg.SkipReason(f"no file in {inbox}, and no import owed a rebuild")
            except duckdb.IOException as exc:
                return dg.SkipReason(f"no file in {inbox}; warehouse busy ({exc}), looking for owed rebuilds next tick")
        if _run_in_progress(context):
            return dg.SkipReason("a run is in progress and holds the warehouse; importing next tick")
        try:
            results = import_inbox(inbox, waiting) if pending else []
            owed = owed_rebuilds(waiting)
        except duckdb.IOException as exc:
            return dg.SkipReason(f"warehouse busy ({exc}); importing next tick")
        for result in results:
            (context.log.warning if result.status == imports.REFUSED else context.log.info)(result.summary())
        ours = {r.report_id for r in results if r.status == imports.LOADED}
        for earlier in (o for o in owed if o.report_id not in ours):
            # Loaded by a tick (or make import) that died or failed before its rebuild was asked for.
            context.log.warning(f"import {earlier.report_id} ({earlier.file_name}) was loaded but its rebuild never asked for; asking now")
        days = sorted({d for o in owed for d in o.days})
        wanted, outside = split_by_partitions(days, partitions)
        if outside:
            context.log.warning(f"days without a partition (before AMAZON_ZOHO_START_DATE, or today), loaded into raw only: {outside}")
        if not wanted:
            try:
                with waiting.connect() as conn:
                    imports.mark_rebuild_requested(conn, owed)  # their days have no partition: raw is all they get
            except duckdb.IOException:
                pass  # still owed: the next tick logs them again
            return dg.SkipReason(f"{len(results)} files processed, no day to rebuild")
        # Unique per tick's imports: the same days asked for by a later drop must run again, not be deduplicated.
        seen = ",".join(sorted([*(f"{r.report_id}:{r.status}" for r in results), *(o.sha256 for o in owed)]))
        key = f"inbox:{hashlib.sha256(seen.encode()).hexdigest()[:16]}:{clock.now().isoformat()}"
        requests = run_requests(partition_runs(wanted), key)
        # Marked last, just before the requests are handed back: a tick that dies before here leaves them owed.
        try:
            with waiting.connect() as conn:
                imports.mark_rebuild_requested(conn, owed)
        except duckdb.IOException as exc:
            return dg.SkipReason(f"warehouse busy ({exc}) before the rebuild of {len(owed)} imports was recorded; asking next tick")
        return requests

    return amazon_report_inbox


def split_by_partitions(days: list[date], partitions: dg.TimeWindowPartitionsDefinition) -> tuple[list[date], list[date]]:
    """Days that have a partition now, and the rest (today's opens at midnight UTC: the daily run picks raw up then)."""
    bounds = open_days(partitions)
    inside = [d for d in days if bounds and bounds[0] <= d <= bounds[1]]
    return inside, [d for d in days if d not in inside]

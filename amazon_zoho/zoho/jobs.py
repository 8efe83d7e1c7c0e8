"""Jobs beside the push assets: a re-drive of everything still owed to Zoho (dead letters, deferred
and unconfirmed records), a dry run that shows what a push of some days would do without calling Zoho, and a check
of the whole id map against Zoho (verify.py)."""

from datetime import date, timedelta

import dagster as dg
import pydantic

from .. import clock
from ..warehouse import WarehouseResource, sql
from .mapping import MODULE_ORDER
from .report import history_markdown, record_sync_run
from .resource import ZohoCrmResource
from .steps import PREVIEW
from .sync import Push, prepare, sync_module
from .verify import verify_ids


class RedriveConfig(dg.Config):
    write_api: str = pydantic.Field(default="auto", pattern="^(auto|upsert|bulk)$", description="auto, upsert or bulk (see the push assets)")
    bulk_poll_seconds: float = 2.0


@dg.op(pool="duckdb_writer", retry_policy=dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.FULL))
def zoho_redrive_op(context: dg.OpExecutionContext, config: RedriveConfig, zoho: ZohoCrmResource, warehouse: WarehouseResource) -> None:
    """Retries every record still owed to Zoho, whatever its day: products, contacts, then sales orders."""
    today = clock.today()
    with warehouse.connect() as conn:
        push = Push(conn, zoho.client(), zoho.mapping(), zoho.budget(), run_id=context.run_id, path=config.write_api,
                    auto_setup=zoho.auto_setup, poll_seconds=config.bulk_poll_seconds, log=context.log.info, salt=warehouse.pii_salt,
                    fields_max_age_minutes=zoho.fields_max_age_minutes)
        metadata = {}
        for module in MODULE_ORDER:
            outcome = sync_module(push, module, today, today)  # an empty window: the backlog only
            left = record_sync_run(conn, context.run_id, "redrive", outcome)
            metadata[module] = dg.MetadataValue.json({**outcome.as_metadata(), "dead_letters_left": left})
            context.log.info(f"re-drive {module}: {outcome.as_metadata()}, {left} dead letters left")
        metadata["sync_history"] = dg.MetadataValue.md("\n\n".join(f"**{m}**\n\n{history_markdown(conn, m)}" for m in MODULE_ORDER))
    context.add_output_metadata(metadata)


@dg.job(name="zoho_redrive", description="Retries every dead-lettered, deferred or unconfirmed Zoho record, whatever its day.")
def zoho_redrive_job():
    zoho_redrive_op()


class DryRunConfig(dg.Config):
    start: str = pydantic.Field(default="", description="First day (YYYY-MM-DD, UTC); empty = yesterday")
    end: str = pydantic.Field(default="", description="Last day, inclusive; empty = start")


@dg.op(pool="duckdb_writer")
def zoho_dry_run_op(context: dg.OpExecutionContext, config: DryRunConfig, zoho: ZohoCrmResource, warehouse: WarehouseResource) -> None:
    """What pushing these days would do, per record (insert, update, unchanged, unmappable), without calling Zoho."""
    first = date.fromisoformat(config.start) if config.start else clock.today() - timedelta(days=1)
    last = date.fromisoformat(config.end) if config.end else first
    mapping = zoho.mapping()  # only the mapping: a dry run never calls Zoho
    with warehouse.connect() as conn:
        for module in MODULE_ORDER:
            prepare(conn, mapping, module, first, last + timedelta(days=1), warehouse.pii_salt)
            PREVIEW.run(conn, {"run_id": context.run_id, "module": module})
        summary = conn.execute(sql(__file__, "preview_summary.sql"), {"run_id": context.run_id}).fetchall()
    lines = [f"Dry run {first}..{last}: nothing was sent to Zoho. Every record is in `ops.zoho_sync_preview` (run_id = {context.run_id}).", "",
             "| module | decision | records | examples (changed fields or reason) |", "|---|---|---|---|"]
    for module, decision, records, examples in summary:
        text = (examples or "").replace("|", "/")
        lines.append(f"| {module} | {decision} | {records} | {text[:400] + (' …' if len(text) > 400 else '')} |")
    counts = {f"{m}.{d}": n for m, d, n, _ in summary}
    context.log.info("\n".join(lines))
    context.add_output_metadata({"preview": dg.MetadataValue.md("\n".join(lines)), **counts})


@dg.job(name="zoho_dry_run", description="Shows what a Zoho push of some days would insert, update or leave unchanged, without calling Zoho.")
def zoho_dry_run_job():
    zoho_dry_run_op()


@dg.op(pool="duckdb_writer")
def zoho_verify_ids_op(context: dg.OpExecutionContext, zoho: ZohoCrmResource, warehouse: WarehouseResource) -> None:
    """Reads back every record the id map points at (100 per call, 1 credit each) and clears the entries whose Zoho
    record holds another key or is gone; the next push or re-drive sends those again by key (issue #14 item 2)."""
    client, mapping, budget = zoho.client(), zoho.mapping(), zoho.budget()
    metadata = {}
    with warehouse.connect() as conn:
        for module in MODULE_ORDER:
            outcome = verify_ids(conn, client, mapping[module], budget, context.run_id, log=context.log.info)
            for note in outcome.notes:
                (context.log.warning if outcome.cleared or outcome.unread else context.log.info)(note)
            metadata[module] = dg.MetadataValue.json(outcome.as_metadata())
            context.log.info(f"verify {module}: {outcome.as_metadata()}")
        budget.book(conn, client, context.run_id)
    metadata["zoho_credits_used"] = client.credits_used
    metadata["ids_cleared"] = sum(m.value["ids_cleared"] for m in metadata.values() if isinstance(m, dg.JsonMetadataValue))
    context.add_output_metadata(metadata)


@dg.job(name="zoho_verify_ids", description="Checks every Zoho id in the id map against the record Zoho holds there and clears "
        "those pointing at another record, so the next push re-sends them by key (installs upgraded from before issue #14 item 2).")
def zoho_verify_ids_job():
    zoho_verify_ids_op()

"""Zoho CRM push: products and contacts first, then sales orders whose line items point at them."""

import json
from datetime import timedelta

import dagster as dg
import pydantic

from ..core import late_days
from ..ops.notify import NotifyResource
from ..ops.zoho_retention import clear_unmapped_fields
from ..partitions import daily_writer, day_range
from ..warehouse import WarehouseResource
from ..warehouse.figures import window_figures
from .report import finish_run, history_markdown, record_sync_run
from .resource import ZohoCrmResource
from .sync import Push, sync_module


class ZohoPushConfig(dg.Config):
    write_api: str = pydantic.Field(
        default="auto",
        description="auto: upsert (1 credit per 10 records) or Bulk Write (500 per job of ≤25,000), whichever costs fewer credits; "
        "or force upsert / bulk.",
        pattern="^(auto|upsert|bulk)$",
    )
    bulk_poll_seconds: float = pydantic.Field(default=2.0, description="Shortest wait between Bulk Write status polls (zoho/bulk.py next_poll).")


# Failed when the run left records Zoho refused (or our mapping could not build): a run that wrote nothing still
# materializes, so that the records that can land do and a re-run stays idempotent; the check's ERROR is what shows
# in the run's status that it did not all land, with what Zoho said (issue #14).
ACCEPTED_CHECK = "all_records_accepted"


def _accepted_check(key: list[str]) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(ACCEPTED_CHECK, asset=key, description="Every record this run sent was accepted by Zoho; "
                             "failed lists what Zoho said (see ops.zoho_dead_letters).")


def build(partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The three push assets over `partitions`, products and contacts before the sales orders that point at them."""
    common = dict(group_name="zoho", kinds={"zoho", "duckdb"}, owners=["team:sales-ops"], **daily_writer(partitions, retry_delay=10))
    keys = {"products": ["zoho", "products"], "contacts": ["zoho", "contacts"], "sales_orders": ["zoho", "sales_orders"]}
    return [
        dg.asset(key=keys["products"], deps=[["core", "products"]], check_specs=[_accepted_check(keys["products"])], **common)(zoho_products),
        # After ops/pii_retention: buyer details past the retention are gone before the push reads them.
        dg.asset(key=keys["contacts"], deps=[["core", "customers"], ["core", "orders"], ["ops", "pii_retention"]],
                 check_specs=[_accepted_check(keys["contacts"])],
                 **common)(zoho_contacts),
        dg.asset(key=keys["sales_orders"], deps=[["zoho", "products"], ["zoho", "contacts"], ["core", "order_lines"], ["ops", "pii_retention"]],
                 check_specs=[_accepted_check(keys["sales_orders"])], **common)(zoho_sales_orders),
    ]


def zoho_products(context: dg.AssetExecutionContext, config: ZohoPushConfig, zoho: ZohoCrmResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Upserts every SKU sold in the window into Zoho CRM Products, matched on Amazon_SKU."""
    return _push(context, config, zoho, warehouse, "Products")


def zoho_contacts(context: dg.AssetExecutionContext, config: ZohoPushConfig, zoho: ZohoCrmResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Upserts the window's buyers into Zoho CRM Contacts, matched on the pseudonymous Amazon_Buyer_Key."""
    return _push(context, config, zoho, warehouse, "Contacts")


def zoho_sales_orders(
    context: dg.AssetExecutionContext, config: ZohoPushConfig, zoho: ZohoCrmResource, warehouse: WarehouseResource, notifier: NotifyResource
) -> dg.MaterializeResult:
    """Upserts the window's orders into Zoho CRM Sales_Orders with Ordered_Items, matched on Amazon_Order_ID."""
    result = _push(context, config, zoho, warehouse, "Sales_Orders")
    # The last module of the push: the run's notifications (records failed or deferred, days without orders).
    window = context.partition_time_window
    with warehouse.connect() as conn:
        finish_run(conn, notifier, context.run_id, window.start.date(), window.end.date(), context.log)
    return result


def _push(
    context: dg.AssetExecutionContext, config: ZohoPushConfig, zoho: ZohoCrmResource, warehouse: WarehouseResource, module: str
) -> dg.MaterializeResult:
    window = context.partition_time_window
    start, end = window.start.date(), window.end.date()
    consumer = f"zoho.{module}"
    with warehouse.connect() as conn:
        # Days core rebuilt for late order changes since this push sent them (core/late_days.py): one span with the
        # window, since Zoho skips every unchanged record of the days between without a call.
        late = late_days.late_days(conn, consumer, start, end)
        start, end = min([start, *late]), max([end, *(d + timedelta(days=1) for d in late)])
        partition_range = day_range(start, end)
        push = Push(conn, zoho.client(), zoho.mapping(), zoho.budget(), run_id=context.run_id, path=config.write_api,
                    auto_setup=zoho.auto_setup, poll_seconds=config.bulk_poll_seconds, log=context.log.info, salt=warehouse.pii_salt,
                    fields_max_age_minutes=zoho.fields_max_age_minutes)
        # A field taken out of mapping.yaml is cleared in Zoho, not left with its last value (ops/zoho_retention.py).
        # Under the push's budget: LIMIT_REACHED here leaves the budget exhausted, and the push defers too.
        unmapped = clear_unmapped_fields(conn, push.client, push.mapping, module, budget=push.budget, run_id=context.run_id)
        outcome = sync_module(push, module, start, end)
        late_days.record(conn, consumer, [*late, *late_days.days_of(window.start.date(), window.end.date())], context.run_id)
        dead_letters = record_sync_run(conn, context.run_id, partition_range, outcome)
        history = history_markdown(conn, module)
        records_held = conn.execute(
            "SELECT count(*) FROM ops.zoho_sync_state WHERE module = ? AND zoho_id IS NOT NULL", [module]
        ).fetchone()[0]
    for note in unmapped.notes:
        context.log.warning(f"clearing unmapped {module} fields {unmapped.fields}: {note}")
    if unmapped.errors:
        context.log.warning(f"Zoho refused to clear unmapped {module} fields {unmapped.fields} (retried next run): {unmapped.errors[:5]}")
    if outcome.failed:
        context.log.warning(f"{outcome.failed} {module} records failed ({outcome.errors}); see ops.zoho_dead_letters. Zoho said: "
                            + " | ".join(outcome.refusals))
    accepted = dg.AssetCheckResult(
        check_name=ACCEPTED_CHECK, passed=outcome.failed == 0, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"failed": outcome.failed, "errors_by_code": json.dumps(outcome.errors, sort_keys=True),
                  "zoho_said": "\n".join(outcome.refusals), "held_unchanged_rejects": outcome.held, "dead_letters_total": dead_letters},
    )
    return dg.MaterializeResult(
        check_results=[accepted],
        metadata={
            **window_figures(context, {
                **outcome.as_metadata(),
                "days_pushed": partition_range,
                "late_days_pushed": dg.MetadataValue.text(", ".join(map(str, late)) or "none"),
                "unmapped_fields_cleared": dg.MetadataValue.text(", ".join(unmapped.fields) or "none"),
                "unmapped_field_records_cleared": unmapped.records,
                "unmapped_field_records_deferred": unmapped.deferred,
            }, table_rows=records_held),
            "dead_letters_total": dead_letters,
            "sync_history": dg.MetadataValue.md(history),
        }
    )

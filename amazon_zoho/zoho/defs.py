"""Push: Zoho CRM products, contacts and sales orders; the re-drive and dry-run jobs; failure notifications."""

import dagster as dg

from ..partitions import daily_partitions
from .assets import zoho_contacts, zoho_products, zoho_sales_orders
from .jobs import zoho_dry_run_job, zoho_redrive_job
from .sensors import sync_failure_notifier

zoho_push_job = dg.define_asset_job(
    "zoho_push",
    selection=dg.AssetSelection.groups("zoho"),
    partitions_def=daily_partitions,
    description="Pushes the warehouse's products, contacts and sales orders of some days to Zoho CRM, without calling Amazon.",
)

defs = dg.Definitions(
    assets=[zoho_products, zoho_contacts, zoho_sales_orders],
    jobs=[zoho_push_job, zoho_redrive_job, zoho_dry_run_job],
    sensors=[sync_failure_notifier],
)

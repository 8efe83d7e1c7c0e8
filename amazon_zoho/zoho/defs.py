"""Push: Zoho CRM products, contacts and sales orders; the re-drive, dry-run and id-verification jobs."""

import dagster as dg

from . import assets
from .jobs import zoho_dry_run_job, zoho_redrive_job, zoho_verify_ids_job


def build(partitions: dg.PartitionsDefinition) -> dg.Definitions:
    zoho_push_job = dg.define_asset_job(
        "zoho_push",
        selection=dg.AssetSelection.groups("zoho"),
        partitions_def=partitions,
        description="Pushes the warehouse's products, contacts and sales orders of some days to Zoho CRM, without calling Amazon.",
    )
    return dg.Definitions(assets=assets.build(partitions), jobs=[zoho_push_job, zoho_redrive_job, zoho_dry_run_job, zoho_verify_ids_job])

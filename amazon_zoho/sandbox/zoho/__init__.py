"""Simulated Zoho: accounts OAuth and CRM v8 (records, upsert, search, field settings, bulk write)."""

from . import bulk_write, control, oauth, records, settings


def register(app) -> None:
    # Each module owns its routes and tables.
    for module in (oauth, records, settings, bulk_write, control):
        module.register(app)

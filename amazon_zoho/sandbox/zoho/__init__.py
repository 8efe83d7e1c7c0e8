"""Simulated Zoho: accounts OAuth and CRM v8 (records, upsert, search, field settings, bulk write)."""

from importlib import import_module

_MODULES = ("oauth", "records", "settings", "bulk_write", "control")


def register(app) -> None:
    for name in _MODULES:
        try:
            module = import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        module.register(app)

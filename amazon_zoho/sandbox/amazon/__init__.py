"""Simulated Amazon: LWA, Orders API v2026-01-01 (and the deprecated v0 for comparisons), Reports API
2021-06-30 with order flat files and settlement reports, over data generated from the seed."""

from importlib import import_module

# Each module owns its routes and tables; a module not written yet is skipped so the rest still serve.
_MODULES = ("lwa", "orders", "orders_v0", "reports", "truth")


def register(app) -> None:
    for name in _MODULES:
        try:
            module = import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        module.register(app)

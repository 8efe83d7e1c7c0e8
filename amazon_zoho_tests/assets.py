"""The project's assets as a test materializes them: unbound, taken from the code location's Definitions."""

import dagster as dg

from amazon_zoho.definitions import defs


def asset(*path: str) -> dg.AssetsDefinition:
    """The (multi-)asset that materializes `path`, without resources, so a test binds its own."""
    key = dg.AssetKey(list(path))
    return next(a for a in defs.assets if key in a.keys)


def figure(metadata, name: str):
    """A figure of a materialization's metadata, whether the run covered one day (`name`) or a range
    (`range_<name>`, warehouse/figures.py)."""
    entry = metadata[name] if name in metadata else metadata[f"range_{name}"]
    return getattr(entry, "value", entry)

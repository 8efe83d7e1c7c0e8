"""The asset key Dagster runs an asset under: ours, or ours behind a seller's prefix (deploy/production)."""

import dagster as dg


def resolve(context: dg.AssetExecutionContext, logical: tuple[str, ...]) -> dg.AssetKey:
    """The key of this step's asset whose path ends with `logical`, e.g. ("core", "orders")."""
    matches = [k for k in context.assets_def.keys if tuple(k.path[-len(logical):]) == logical]
    if len(matches) != 1:
        raise KeyError(f"{'/'.join(logical)} is not one of this step's assets: {[k.to_user_string() for k in context.assets_def.keys]}")
    return matches[0]

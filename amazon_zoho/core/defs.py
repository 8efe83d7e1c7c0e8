"""Canonical tables built by SQL from raw."""

import dagster as dg

from . import order_assets, settlement_assets


def build(partitions: dg.PartitionsDefinition) -> dg.Definitions:
    return dg.Definitions(assets=[*order_assets.build(partitions), *settlement_assets.build(partitions)])

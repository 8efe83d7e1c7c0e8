"""Marts for analysts: daily sales, fees, settlement reconciliation, unsettled orders, product performance."""

import dagster as dg

from . import assets


def build(partitions: dg.PartitionsDefinition) -> dg.Definitions:
    return dg.Definitions(assets=assets.build(partitions))

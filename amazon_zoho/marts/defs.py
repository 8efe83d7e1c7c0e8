"""Marts for analysts: daily sales, fees, settlement reconciliation, unsettled orders, product performance."""

import dagster as dg

from .assets import mart_assets

defs = dg.Definitions(assets=mart_assets)

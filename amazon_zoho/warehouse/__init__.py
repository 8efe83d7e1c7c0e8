"""The DuckDB warehouse as every layer's assets use it: the resource and its schema, the SQL runner, and what
turns SQL into Dagster metadata (checks.py: asset checks as queries; docs.py: descriptions and column schemas
from the DDL's comments; preview.py: markdown previews; keys.py: an asset's key behind a seller's prefix)."""

from .resource import WarehouseResource, execute_script, run_sql, sql

__all__ = ["WarehouseResource", "execute_script", "run_sql", "sql"]

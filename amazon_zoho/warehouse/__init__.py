"""The DuckDB warehouse: its resource, its schema, and the SQL runner assets use."""

from .resource import WarehouseResource, sql

__all__ = ["WarehouseResource", "sql"]

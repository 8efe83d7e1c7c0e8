"""The DuckDB warehouse: its resource, its schema, and the SQL runner assets use."""

from .resource import WarehouseResource, execute_script, run_sql, sql

__all__ = ["WarehouseResource", "execute_script", "run_sql", "sql"]

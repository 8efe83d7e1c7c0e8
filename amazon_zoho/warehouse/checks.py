"""Asset checks as SQL: each check is a query in sql/checks/ that returns the offending rows (none = pass).

A failed check says how many rows offend and shows the first ones, so the UI answers "which and why"
without opening DuckDB. Blocking checks stop the run before Zoho reads bad rows.
"""

from dataclasses import dataclass

import dagster as dg
import duckdb

from .keys import resolve
from .preview import markdown_preview
from .resource import sql


@dataclass(frozen=True)
class Check:
    asset: tuple[str, ...]
    name: str
    description: str
    blocking: bool = False
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR
    # A SQL condition on the offending rows: when every row meets it, the failure is only a WARN
    # (e.g. a settlement whose gap is explained by lines we quarantined, with file and line number).
    warn_if_all: str | None = None

    @property
    def key(self) -> dg.AssetKey:
        return dg.AssetKey(list(self.asset))

    def spec(self) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(self.name, asset=self.key, description=self.description, blocking=self.blocking)


def specs(checks: list[Check]) -> list[dg.AssetCheckSpec]:
    return [c.spec() for c in checks]


def evaluate(conn: duckdb.DuckDBPyConnection, package_file: str, check: Check, params: dict, key: dg.AssetKey) -> dg.AssetCheckResult:
    """Runs sql/checks/<table>_<name>.sql beside `package_file` and turns its rows into a check result on `key`."""
    query = sql(package_file, f"checks/{check.asset[-1]}_{check.name}.sql").strip().rstrip(";")
    [statement] = conn.extract_statements(query)
    used = {k: v for k, v in params.items() if k in statement.named_parameters}
    conn.execute(f"CREATE OR REPLACE TEMP TABLE check_rows AS {query}", used or None)
    failures = conn.execute("SELECT count(*) FROM check_rows").fetchone()[0]
    severity = check.severity
    if failures and check.warn_if_all:
        unexplained = conn.execute(f"SELECT count(*) FROM check_rows WHERE NOT ({check.warn_if_all})").fetchone()[0]
        severity = dg.AssetCheckSeverity.WARN if unexplained == 0 else severity
    metadata = {"failing_rows": failures}
    if failures:
        metadata["sample"] = dg.MetadataValue.md(markdown_preview(conn, "FROM check_rows LIMIT 10"))
    return dg.AssetCheckResult(asset_key=key, check_name=check.name, passed=failures == 0, severity=severity, metadata=metadata)


def results_for(context, conn, package_file: str, checks: list[Check], asset: tuple[str, ...], params: dict) -> list[dg.AssetCheckResult]:
    """The results of `checks` on `asset`, under the key this run knows it by (keys.resolve)."""
    key = resolve(context, asset)
    return [evaluate(conn, package_file, c, params, key) for c in checks if c.asset == asset]

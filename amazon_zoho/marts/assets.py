"""Marts for analysts: one SQL file each in sql/ (sql/<name>.sql) and one row each in MARTS below.

Add a mart: write sql/<name>.sql and add its Mart row to MARTS; nothing else lists marts. The file holds the
mart's whole definition. For a view, `CREATE OR REPLACE VIEW marts.<name> AS ...` and its COMMENT ONs; for a table,
`CREATE TABLE IF NOT EXISTS marts.<name>` and its COMMENT ONs, then its build for one partition window: the
statements using $start and $end (delete the window, insert it). The warehouse applies every file's DDL with its
own (warehouse/resource.py schema_ddl: after core, each mart after the marts it reads); the COMMENT ONs are the
data dictionary, from which each asset's description and column schema are generated (warehouse/docs.py).

Which shape, by grain: tables (daily_sales, fees) have a grain of a day or a settlement period, so their asset
deletes the window and inserts it, like core. Views (reconciliation, line matches, deposits, unsettled orders,
product performance) answer across partitions (an order bought on day D settles on D+14 and is refunded on D+30),
so a view is never stale against core and costs nothing to store; their asset checks them against the window just
built and reports what they show for it. Checks are queries in sql/checks/<name>_<check>.sql.
"""

from dataclasses import dataclass, field, replace
from pathlib import Path

import dagster as dg

from ..core import late_days
from ..partitions import daily_writer
from ..warehouse import WarehouseResource, execute_script
from ..warehouse.checks import Check, results_for, specs
from ..warehouse.docs import spec_docs
from ..warehouse.figures import window_figures
from ..warehouse.preview import markdown_preview
from ..warehouse.resource import ddl_and_build

ORDERS, LINES, SETTLEMENTS, SETTLEMENT_LINES, PRODUCTS = (
    ["core", "orders"], ["core", "order_lines"], ["core", "settlements"], ["core", "settlement_lines"], ["core", "products"],
)
WARN = dg.AssetCheckSeverity.WARN
# Each mart's SQL file, sql/<name>.sql (warehouse/resource.py MARTS_SQL finds the same folder by path).
SQL_DIR = Path(__file__).parent / "sql"


@dataclass(frozen=True)
class Mart:
    name: str
    deps: list
    # Which rows belong to the partition window: a SQL condition on the mart's own columns.
    window: str
    preview: str
    owner: str = "team:finance"
    # Asset checks, each a query in sql/checks/<name>_<check>.sql (_check below).
    checks: list = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return ("marts", self.name)

    @property
    def asset_checks(self) -> list[Check]:
        return [replace(c, asset=self.key) for c in self.checks]

    @property
    def file(self) -> Path:
        return SQL_DIR / f"{self.name}.sql"

    @property
    def build(self) -> str:
        """The statements of the mart's file that rebuild one window ($start, $end); none for a view."""
        return ddl_and_build(self.file.read_text())[1]

    @property
    def table(self) -> bool:
        return bool(self.build)

    @property
    def by_purchase_day(self) -> bool:
        """A table of orders by purchase day: it follows core's rebuilds of days with late changes."""
        return self.table and (ORDERS in self.deps or LINES in self.deps)


def _check(name: str, description: str, severity=dg.AssetCheckSeverity.ERROR) -> Check:
    """A check on the mart whose row it is in: sql/checks/<mart>_<name>.sql returns the offending rows."""
    return Check((), name, description, severity=severity)


MARTS = [
    Mart("daily_sales", [ORDERS, LINES], "purchase_date >= $start AND purchase_date < $end",
         "purchase_date, sales_channel, currency, orders, units_ordered, buyer_paid, sales_ex_tax", owner="team:data",
         checks=[_check("ties_to_core", "Orders, buyer_paid and tax per day equal core.orders to the cent.")]),
    Mart("daily_sales_local", [ORDERS, LINES, ["marts", "daily_sales"]], "purchase_local_date >= $start AND purchase_local_date < $end",
         "purchase_local_date, sales_channel, time_zone, currency, orders, buyer_paid, sales_ex_tax", owner="team:data",
         checks=[_check("ties_to_daily_sales", "Over all days, the same orders and money per marketplace as the UTC-day mart.")]),
    Mart("fees", [SETTLEMENTS, SETTLEMENT_LINES], "end_date >= $start AND end_date < $end",
         "settlement_id, posted_date, amount_description, currency, amount, lines",
         checks=[_check("ties_to_core", "Fees per settlement equal the fee lines of core.settlement_lines.")]),
    Mart("settlement_reconciliation", [ORDERS, LINES, SETTLEMENT_LINES], "purchase_date >= $start AND purchase_date < $end",
         "order_id, currency, status, sold, settled_sale, fees, refunds, net_settled, difference, reconciliation_status",
         checks=[_check("orders_reconcile", "Orders of the window that settled do so to the cent (difference = 0).", WARN)]),
    Mart("settlement_line_matches", [SETTLEMENT_LINES, LINES],
         "settlement_id IN (SELECT settlement_id FROM core.settlements WHERE end_date >= $start AND end_date < $end)",
         "settlement_id, line_number, transaction_type, amount_description, line_class, amount, matched_to",
         checks=[_check("order_lines_matched", "Every line of an order we hold matches one of its order lines.", WARN)]),
    Mart("settlement_deposits", [SETTLEMENTS, SETTLEMENT_LINES],
         "settlement_id IN (SELECT settlement_id FROM core.settlements WHERE end_date >= $start AND end_date < $end)",
         "settlement_id, currency, deposit, lines_total, difference, sales, refunds, fees, reserve"),
    Mart("unsettled_orders", [ORDERS, SETTLEMENTS, SETTLEMENT_LINES], "purchase_date >= $start AND purchase_date < $end",
         "order_id, marketplace_id, status, order_total, currency, age_days, overdue",
         checks=[_check("none_overdue", "No order that shipped inside a loaded settlement period is missing from it.", WARN)]),
    Mart("product_performance", [LINES, PRODUCTS, SETTLEMENT_LINES],
         "sku IN (SELECT sku FROM core.order_lines WHERE purchase_date >= $start AND purchase_date < $end)",
         "sku, marketplace_id, currency, units_ordered, item_sales, fees, refunds, net_settled", owner="team:data"),
]


def _build(mart: Mart, partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    docs = spec_docs(*mart.key)

    @dg.asset(
        key=list(mart.key),
        deps=mart.deps,
        group_name="marts",
        **daily_writer(partitions),
        kinds={"duckdb"},
        owners=[mart.owner],
        check_specs=specs(mart.asset_checks),
        **docs,
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        """Rebuilds (table) or checks (view) the mart for the partition window."""
        window = context.partition_time_window
        params = {"start": window.start.date(), "end": window.end.date()}
        relation = f"marts.{mart.name}"
        late: list = []
        with warehouse.connect() as conn:
            if mart.table:
                conn.begin()
                if mart.by_purchase_day:
                    # Days core rebuilt for late order changes since this mart built them (core/late_days.py).
                    late = late_days.late_days(conn, f"marts.{mart.name}", params["start"], params["end"])
                for start, end in [*late_days.windows(late), (params["start"], params["end"])]:
                    execute_script(conn, mart.build, {"start": start, "end": end})
                if mart.by_purchase_day:
                    late_days.record(conn, f"marts.{mart.name}", [*late, *late_days.days_of(params["start"], params["end"])], context.run_id)
                conn.commit()
            total = conn.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
            in_window = conn.execute(f"SELECT count(*) FROM {relation} WHERE {mart.window}", params).fetchone()[0]
            preview = markdown_preview(conn, f"SELECT {mart.preview} FROM {relation} WHERE {mart.window} LIMIT 10", params)
            checks = results_for(context, conn, __file__, mart.asset_checks, mart.key, params) if mart.checks else []
        return dg.MaterializeResult(
            metadata={
                **window_figures(context, {"rows": in_window, "preview": dg.MetadataValue.md(preview)}, table_rows=total),
                "relation": "table" if mart.table else "view",
                **({"late_days_rebuilt": dg.MetadataValue.text(", ".join(map(str, late)) or "none")} if mart.by_purchase_day else {}),
            },
            check_results=checks,
        )

    return _asset


def build(partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """One asset per mart in MARTS, over `partitions`."""
    return [_build(m, partitions) for m in MARTS]

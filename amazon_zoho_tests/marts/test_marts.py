"""The marts tie out to core and to the sandbox's truth, to the cent."""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import duckdb


def _rows(built, query: str, params=None) -> list[tuple]:
    with duckdb.connect(str(built.warehouse), read_only=True) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        return conn.execute(query, params or []).fetchall()


def test_daily_sales_are_what_buyers_paid_per_day_marketplace_and_currency(built):
    expected = defaultdict(Decimal)
    for o in built.orders.values():
        if o["status"] not in ("PENDING", "CANCELLED"):
            expected[(o["createdTime"][:10], o["marketplaceId"], o["currency"])] += Decimal(o["grandTotal"])
    mart = {(str(d), m, c): paid for d, m, c, paid in _rows(built, "SELECT purchase_date, marketplace_id, currency, buyer_paid FROM marts.daily_sales")}
    assert mart == dict(expected)
    [(orders,)] = _rows(built, "SELECT sum(orders) FROM marts.daily_sales")
    assert orders == len(built.orders)


def test_daily_sales_by_local_day_follow_each_marketplace_s_calendar(built):
    """Each order counts on the day its marketplace's clock showed (zoneinfo, from the IANA database, is the
    outside witness), and moving orders between days neither creates nor loses any."""
    from zoneinfo import ZoneInfo

    zones = dict(_rows(built, "SELECT marketplace_id, time_zone FROM core.marketplaces"))
    expected = defaultdict(Decimal)
    moved = 0
    for o in built.orders.values():
        created = datetime.fromisoformat(o["createdTime"].replace("Z", "+00:00"))
        local_day = created.astimezone(ZoneInfo(zones[o["marketplaceId"]])).date()
        moved += local_day != created.date()
        if o["status"] not in ("PENDING", "CANCELLED"):
            expected[(str(local_day), o["marketplaceId"], o["currency"])] += Decimal(o["grandTotal"])
    mart = {(str(d), m, c): paid for d, m, c, paid in _rows(
        built, "SELECT purchase_local_date, marketplace_id, currency, buyer_paid FROM marts.daily_sales_local")}
    assert {k: v for k, v in mart.items() if v} == {k: v for k, v in expected.items() if v}
    assert moved > 0, "the data must hold orders whose local day is not their UTC day, or this test proves nothing"
    [(orders,)] = _rows(built, "SELECT sum(orders) FROM marts.daily_sales_local")
    assert orders == len(built.orders)
    local_days = dict(_rows(built, "SELECT order_id, purchase_local_date FROM core.orders"))
    assert {oid: local_days[oid] for oid in built.orders} == {
        oid: datetime.fromisoformat(o["createdTime"].replace("Z", "+00:00")).astimezone(ZoneInfo(zones[o["marketplaceId"]])).date()
        for oid, o in built.orders.items()}, "core.orders.purchase_local_date is the marketplace's calendar day"


def test_every_settlement_line_is_matched_to_an_order_line_or_classified(built):
    rows = _rows(built, "SELECT matched_to, line_class, order_id IS NULL, count(*) FROM marts.settlement_line_matches GROUP BY ALL")
    [(lines,)] = _rows(built, "SELECT count(*) FROM core.settlement_lines")
    assert sum(n for *_, n in rows) == lines, "one row per settlement line"
    assert {m for m, *_ in rows} <= {"order_line", "order_not_in_core", "account"}, "a line of an order we hold always finds its item"
    account = {c for m, c, _, _ in rows if m == "account"}
    assert account and account <= {"reserve", "subscription", "transfer", "adjustment", "service_fee", "fee"}
    # Orders bought before the first day of the warehouse settle too: known by id, not in core.
    assert all(no_order is False for m, _, no_order, _ in rows if m == "order_not_in_core")


def test_settled_orders_reconcile_to_the_cent_and_the_rest_say_why(built):
    by_status = dict(_rows(built, "SELECT reconciliation_status, count(*) FROM marts.settlement_reconciliation GROUP BY 1"))
    assert by_status.get("settled", 0) > 0 and "difference" not in by_status
    [(off,)] = _rows(built, "SELECT count(*) FROM marts.settlement_reconciliation WHERE reconciliation_status = 'settled' AND difference <> 0")
    assert off == 0
    # Net settled per order is the sum of its lines; summed over orders and account lines, the deposits.
    [(orders_net, account, deposits)] = _rows(built, """
        SELECT (SELECT sum(net_settled) FROM marts.settlement_reconciliation),
               (SELECT sum(amount) FROM core.settlement_lines WHERE order_id IS NULL),
               (SELECT sum(total_amount) FROM core.settlements)""")
    assert orders_net + account == deposits
    cancelled = _rows(built, "SELECT DISTINCT reconciliation_status FROM marts.settlement_reconciliation WHERE status = 'cancelled'")
    assert cancelled == [("nothing_to_settle",)]


def test_settlement_deposits_split_every_cent(built):
    rows = _rows(built, "SELECT deposit, lines_total, difference, sales + refunds + withheld_tax + fees + service_fees + subscription + reserve + other"
                        " FROM marts.settlement_deposits")
    assert rows and all(d == t == parts and diff == 0 for d, t, diff, parts in rows)


def test_unsettled_orders_are_the_priced_orders_without_an_order_settlement_line(built):
    unsettled = {r[0]: r[1] for r in _rows(built, "SELECT order_id, age_days FROM marts.unsettled_orders")}
    expected = {r[0] for r in _rows(built, """
        SELECT order_id FROM core.orders WHERE order_total IS NOT NULL AND status NOT IN ('cancelled', 'pending', 'unfulfillable')
        EXCEPT SELECT order_id FROM core.settlement_lines WHERE transaction_type = 'Order'""")}
    assert unsettled and set(unsettled) == expected
    assert all(age >= 1 for age in unsettled.values())
    assert _rows(built, "SELECT count(*) FROM marts.unsettled_orders WHERE overdue")[0][0] == 0


def test_fees_by_type_and_period_equal_the_fee_lines(built):
    [(mart, lines)] = _rows(built, """
        SELECT (SELECT sum(amount) FROM marts.fees),
               (SELECT sum(amount) FROM core.settlement_lines WHERE line_class IN ('fee', 'service_fee', 'subscription'))""")
    assert mart == lines and mart < 0
    types = {r[0] for r in _rows(built, "SELECT DISTINCT amount_description FROM marts.fees")}
    assert {"Commission", "FBAPerUnitFulfillmentFee", "Subscription Fee"} <= types


def test_product_performance_adds_up_to_core(built):
    [(units, paid, net)] = _rows(built, "SELECT sum(units_ordered), sum(buyer_paid), sum(net_settled) FROM marts.product_performance")
    [(core_units, core_paid, core_net)] = _rows(built, """
        SELECT (SELECT sum(quantity_ordered - quantity_cancelled) FROM core.order_lines JOIN core.orders USING (order_id)
                WHERE status NOT IN ('cancelled', 'unfulfillable')),
               (SELECT sum(line_total) FROM core.order_lines),
               (SELECT sum(amount) FROM core.settlement_lines WHERE sku IS NOT NULL)""")
    assert (units, paid, net) == (core_units, core_paid, core_net)

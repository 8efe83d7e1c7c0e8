"""Zoho payloads from a hand-made warehouse: valid JSON holding the record's unique key, and byte for byte the
same whatever order the warehouse rows were written in (a payload that changes with row order changes its hash,
and a changed hash is pushed to Zoho again); and a sales order's Grand_Total, by Zoho's formula, is Amazon's total."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import example, given, settings, strategies as st

from amazon_zoho.amazon import marketplaces as marketplace_table
from amazon_zoho.zoho.mapping import DEFAULT_PATH, KEY_SOURCE, load
from amazon_zoho.zoho.sync import prepare
from amazon_zoho_tests.zoho.helpers import money, zoho_grand_total

from .support import BY_COUNTRY, DAY, budget

MAPPING = load(DEFAULT_PATH)
MARKETPLACES = [BY_COUNTRY[c] for c in ("DE", "GB", "US", "CA")]
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=15)
maybe_text = st.one_of(st.none(), text)
# Few instants, so that one buyer's orders often share a purchase time (a cart Amazon split into several orders).
MORNING = datetime(DAY.year, DAY.month, DAY.day, 9, tzinfo=timezone.utc)
purchase_times = st.sampled_from([MORNING, MORNING + timedelta(hours=1), MORNING + timedelta(hours=2)])


def pending(conn, module: str) -> dict[str, str]:
    prepare(conn, MAPPING, module, DAY, DAY + timedelta(days=1))
    return dict(conn.execute("SELECT record_key, payload FROM pending").fetchall())


def clear(conn) -> None:
    for table in ("core.products", "core.order_lines", "core.orders", "pii.order_contacts", "ops.zoho_sync_state", "ops.zoho_dead_letters"):
        conn.execute(f"DELETE FROM {table}")


def assert_valid(payloads: dict[str, str], module: str) -> None:
    key = MAPPING[module].key
    assert MAPPING[module].fields[key] == KEY_SOURCE[module]
    for record_key, payload in payloads.items():
        record = json.loads(payload)
        assert isinstance(record, dict) and record[key] == record_key


# -- Products -----------------------------------------------------------------------------------------------
@st.composite
def products(draw) -> list[tuple]:
    keys = draw(st.lists(st.tuples(st.text("ABC-123", min_size=1, max_size=4), st.sampled_from(MARKETPLACES)), min_size=1,
                         max_size=8, unique_by=lambda k: (k[0], k[1].marketplace_id)))
    prices = st.one_of(st.none(), st.integers(0, 10**8).map(lambda c: Decimal(c).scaleb(-2)))
    return [(sku, m.marketplace_id, draw(maybe_text), draw(maybe_text), m.currency, draw(prices)) for sku, m in keys]


def write_products(conn, rows: list[tuple]) -> None:
    clear(conn)
    conn.executemany("INSERT INTO core.products (sku, marketplace_id, asin, title, currency, latest_price) VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.executemany(
        "INSERT INTO core.order_lines (order_id, order_item_id, purchase_date, marketplace_id, sku, quantity_ordered) VALUES (?, '1', ?, ?, ?, 1)",
        [(f"O-{n}", DAY, marketplace_id, sku) for n, (sku, marketplace_id, *_) in enumerate(rows)],
    )


@settings(max_examples=budget(25), deadline=None)
@given(rows=products(), data=st.data())
def test_product_payloads_are_valid_keyed_and_independent_of_row_order(conn, rows, data):
    write_products(conn, rows)
    first = pending(conn, "Products")
    write_products(conn, data.draw(st.permutations(rows)))
    again = pending(conn, "Products")

    assert set(first) == {sku for sku, *_ in rows}
    assert_valid(first, "Products")
    assert again == first


# -- Contacts -----------------------------------------------------------------------------------------------
@st.composite
def contact_orders(draw) -> list[dict]:
    return [{
        "order_id": f"O-{n}", "marketplace": draw(st.sampled_from(MARKETPLACES)), "buyer_key": draw(st.sampled_from(["b1", "b2", None])),
        "ts": draw(purchase_times), "name": draw(maybe_text), "email": draw(st.one_of(st.none(), st.emails())),
        "line1": draw(maybe_text), "city": draw(maybe_text), "postal_code": draw(maybe_text),
    } for n in range(draw(st.integers(1, 6)))]


def write_contacts(conn, orders: list[dict]) -> None:
    clear(conn)
    conn.executemany(
        "INSERT INTO core.orders (order_id, marketplace_id, sales_channel, purchase_date, purchase_ts, order_status, status, currency, buyer_key, line_count)"
        " VALUES (?, ?, ?, ?, ?, 'SHIPPED', 'SHIPPED', ?, ?, 1)",
        [(o["order_id"], o["marketplace"].marketplace_id, o["marketplace"].sales_channel, DAY, o["ts"], o["marketplace"].currency,
          o["buyer_key"]) for o in orders],
    )
    conn.executemany(
        "INSERT INTO pii.order_contacts (order_id, buyer_key, buyer_name, buyer_email, address_line1, city, postal_code, country_code, fetched_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())",
        [(o["order_id"], o["buyer_key"], o["name"], o["email"], o["line1"], o["city"], o["postal_code"], o["marketplace"].country)
         for o in orders],
    )


@settings(max_examples=budget(25), deadline=None)
@given(orders=contact_orders())
def test_contact_payloads_are_valid_and_keyed(conn, orders):
    write_contacts(conn, orders)
    payloads = pending(conn, "Contacts")
    assert set(payloads) == {o["buyer_key"] or f"amazon-customer-{o['marketplace'].marketplace_id}" for o in orders}
    assert_valid(payloads, "Contacts")


@st.composite
def written_twice(draw, orders=contact_orders()) -> tuple[list[dict], list[dict]]:
    """The same orders, and the same orders written in another order."""
    rows = draw(orders)
    return rows, draw(st.permutations(rows))


def _distinct_times(orders: list[dict]) -> bool:
    times = [(o["buyer_key"] or o["marketplace"].marketplace_id, o["ts"]) for o in orders]
    return len(times) == len(set(times))


@settings(max_examples=budget(25), deadline=None)
@given(case=written_twice(contact_orders().filter(_distinct_times)))
def test_contact_payloads_do_not_depend_on_row_order_when_purchase_times_differ(conn, case):
    rows, shuffled = case
    write_contacts(conn, rows)
    first = pending(conn, "Contacts")
    write_contacts(conn, shuffled)
    assert pending(conn, "Contacts") == first


SPLIT_CART = [  # one checkout Amazon split into two orders, shipped to two addresses (a gift): same buyer, same time
    {"order_id": "O-0", "marketplace": BY_COUNTRY["DE"], "buyer_key": "b1", "ts": MORNING, "name": "Max Mustermann",
     "email": "a@marketplace.amazon.de", "line1": "Hauptstr. 1", "city": "Berlin", "postal_code": "10115"},
    {"order_id": "O-1", "marketplace": BY_COUNTRY["DE"], "buyer_key": "b1", "ts": MORNING, "name": "Max Mustermann",
     "email": "a@marketplace.amazon.de", "line1": "Ring 2", "city": "Köln", "postal_code": "50667"},
]


@settings(max_examples=budget(25), deadline=None)
@given(case=written_twice())
@example(case=(SPLIT_CART, SPLIT_CART[::-1]))
def test_contact_payloads_do_not_depend_on_row_order(conn, case):
    rows, shuffled = case
    write_contacts(conn, rows)
    first = pending(conn, "Contacts")
    write_contacts(conn, shuffled)
    assert pending(conn, "Contacts") == first


# -- Sales orders: the money ----------------------------------------------------------------------------------
# Any priced order Amazon can send, on a marketplace whose prices include tax or not, in a currency with or
# without cents: Zoho's Grand_Total over the payload (helpers.zoho_grand_total, Zoho's formula) is order_total.
TAX_CONVENTION = {m.marketplace_id: m.prices_include_tax for m in marketplace_table.load()}
MONEY_MARKETPLACES = [BY_COUNTRY[c] for c in ("DE", "GB", "US", "CA", "JP")]


@st.composite
def priced_orders(draw) -> tuple:
    marketplace = draw(st.sampled_from(MONEY_MARKETPLACES))
    unit = Decimal(1) if marketplace.currency == "JPY" else Decimal("0.01")
    amount = st.integers(0, 10**6).map(lambda n: n * unit)

    def up_to(most: Decimal) -> Decimal:
        return draw(st.integers(0, int(most / unit))) * unit

    lines = []
    for _ in range(draw(st.integers(1, 4))):
        item, shipping = draw(amount), draw(st.one_of(st.just(Decimal(0)), amount))
        item_tax, shipping_tax, promotion = up_to(item), up_to(shipping), -up_to(item)
        lines.append((draw(st.integers(1, 7)), item, item_tax + shipping_tax, shipping, shipping_tax, promotion))
    tip = draw(st.one_of(st.just(Decimal(0)), amount))  # charged on the order, on no line
    return marketplace, lines, tip


def write_priced_order(conn, marketplace, lines: list[tuple], tip: Decimal) -> Decimal:
    clear(conn)
    included = TAX_CONVENTION[marketplace.marketplace_id]
    totals = [item + shipping + promotion + (0 if included else tax) for _, item, tax, shipping, _, promotion in lines]
    order_total = sum(totals) + tip
    sums = [sum(line[i] for line in lines) for i in (1, 2, 3, 5)]
    conn.execute(
        "INSERT INTO core.orders (order_id, marketplace_id, sales_channel, purchase_date, purchase_ts, order_status, status, currency, line_count,"
        " order_total, item_subtotal, tax_total, shipping_total, discount_total, prices_include_tax)"
        " VALUES ('O-1', ?, ?, ?, ?, 'SHIPPED', 'shipped', ?, ?, ?, ?, ?, ?, ?, ?)",
        [marketplace.marketplace_id, marketplace.sales_channel, DAY, MORNING, marketplace.currency, len(lines), order_total, *sums, included])
    conn.executemany(
        "INSERT INTO core.order_lines (order_id, order_item_id, purchase_date, marketplace_id, sku, quantity_ordered, currency, item_amount,"
        " item_tax, shipping, shipping_tax, promotion_discount, line_total) VALUES ('O-1', ?, ?, ?, 'S', ?, ?, ?, ?, ?, ?, ?, ?)",
        [(str(n), DAY, marketplace.marketplace_id, qty, marketplace.currency, item, tax, shipping, shipping_tax, promotion, total)
         for n, ((qty, item, tax, shipping, shipping_tax, promotion), total) in enumerate(zip(lines, totals))])
    conn.execute("INSERT INTO ops.zoho_sync_state (module, record_key, zoho_id, status, synced_at) VALUES ('Products', 'S', '1', 'synced', now()),"
                 " ('Contacts', ?, '2', 'synced', now())", [f"amazon-customer-{marketplace.marketplace_id}"])
    return order_total


@settings(max_examples=budget(50), deadline=None)
@given(order=priced_orders())
@example(order=(BY_COUNTRY["DE"], [(3, Decimal("10.00"), Decimal("1.60"), Decimal(0), Decimal(0), Decimal(0))], Decimal(0)))
@example(order=(BY_COUNTRY["JP"], [(7, Decimal(1000), Decimal(0), Decimal(500), Decimal(0), Decimal(-999))], Decimal(300)))
def test_sales_order_grand_total_is_the_order_total(conn, order):
    marketplace, lines, tip = order
    order_total = write_priced_order(conn, marketplace, lines, tip)
    prepare(conn, MAPPING, "Sales_Orders", DAY, DAY + timedelta(days=1))
    [(payload, error)] = conn.execute("SELECT payload, mapping_error FROM pending").fetchall()
    record = json.loads(payload)
    assert error is None
    assert zoho_grand_total(record) == order_total
    places = 0 if marketplace.currency == "JPY" else 2
    for item in record["Ordered_Items"]:
        price, discount = money(item["List_Price"]), money(item["Discount"])
        assert price == round(price, places) and 0 <= discount <= item["Quantity"] * price
    assert money(record["Adjustment"]) == round(money(record["Adjustment"]), places)

"""Settlement booking in process: the reserve a period holds is the reserve the next one releases, the amounts an item
shows agree with its own tax properties, and a settlement file follows a change of volume (no cache outlives it)."""

from __future__ import annotations

from amazon_zoho import clock
from amazon_zoho.sandbox.amazon import datagen
from amazon_zoho.sandbox.amazon.report_downloads import settlements
from amazon_zoho.sandbox.amazon.settlement_file import render_settlement
from amazon_zoho.sandbox.amazon.settlement_lines import period_lines
from amazon_zoho.sandbox.amazon.settlement_schedule import period_index
from amazon_zoho.sandbox.app import SandboxApp
from amazon_zoho.sandbox.config import SandboxConfig

SEED, ORDERS_PER_DAY = 42, 30


def _reserve(lines, description):
    return sum(line.amount for line in lines if line.description == description)


def test_the_reserve_a_period_releases_is_the_one_its_predecessor_held():
    # The release is booked from the last days' shipments alone; the hold from the whole period. They must agree.
    for marketplace_id in SandboxConfig().marketplaces:
        last = period_index(SEED, marketplace_id, clock.now())
        booked = {k: period_lines(SEED, ORDERS_PER_DAY, marketplace_id, k) for k in range(last - 5, last + 1)}
        for k in range(last - 4, last + 1):
            held = _reserve(booked[k - 1], "Current Reserve Amount")
            assert held < 0, (marketplace_id, k)
            assert _reserve(booked[k], "Previous Reserve Amount Balance") == -held, (marketplace_id, k)


def test_an_items_shown_amounts_agree_with_its_tax_properties():
    config = SandboxConfig(seed=SEED, orders_per_day=ORDERS_PER_DAY)
    day = clock.now().date()
    for marketplace_id in config.marketplaces:
        for order in datagen.orders_for_day(config, marketplace_id, day):
            for item in order.items:
                before, inside = item.shown(False), item.shown(True)
                assert (before.item, before.shipping, before.unit_price) == (item.item_net, item.shipping_net, item.unit_net)
                assert (before.item_tax, before.shipping_tax, before.gift_wrap_tax) == (item.item_tax, item.shipping_tax, item.gift_wrap_tax)
                assert inside.item == item.item_net + datagen._tax(item.item_net, item.rate)
                assert inside.tax == before.tax and inside.tax_on_discounts == before.tax_on_discounts


def test_a_settlement_file_follows_a_change_of_volume():
    app = SandboxApp()
    app.set_config({"orders_per_day": 5, "rate_limits": False}, persist=False)
    report_id = max(settlements(app, app.now()), key=lambda v: v.created).report_id
    few, _ = render_settlement(app, report_id)
    app.set_config({"orders_per_day": 9}, persist=False)
    more, _ = render_settlement(app, report_id)
    app.set_config({"orders_per_day": 5}, persist=False)
    assert few != more and render_settlement(app, report_id)[0] == few

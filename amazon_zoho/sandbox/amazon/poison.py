"""The null-proceeds fault: a version of an order in a priced status arrives with `"proceeds": null` (order and items).

Which versions are hit is decided by (order id, lastUpdatedTime), not by per-request dice: searchOrders and getOrder
show a poisoned version the same way every time, as Amazon would, and the order's next version (a new
lastUpdatedTime) is judged afresh, so it usually arrives whole. The knob is `fault_null_proceeds_rate`: the share of
priced versions hit. Proceeds are optional in the model (Order.proceeds, shared/reference/amazon/orders_2026-01-01.json), which is what
lets a real response carry a null there.
"""

from __future__ import annotations

import hashlib


def null_proceeds(app, orders: list[dict]) -> None:
    """Sets `proceeds` to null, the order's and its items', on the share `fault_null_proceeds_rate` of the priced
    versions in `orders`."""
    rate = app.config.fault_null_proceeds_rate
    if rate <= 0:
        return
    for order in orders:
        if order.get("proceeds") and _die(order) < rate:
            order["proceeds"] = None
            for item in order.get("orderItems") or []:
                if "proceeds" in item:
                    item["proceeds"] = None
            app.faults.injected["null_proceeds"] += 1


def _die(order: dict) -> float:
    """A number in [0, 1) fixed by the order id and the version's lastUpdatedTime."""
    digest = hashlib.sha256(f"{order['orderId']}|{order.get('lastUpdatedTime')}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64

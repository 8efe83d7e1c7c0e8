"""A Zoho sales order's Grand_Total recomputed from what it holds, with Zoho's inventory formulas, to compare with
Amazon's total (core.orders.order_total): the tie-out `make bench` reports and the tests assert.

Per line Total = Quantity x List_Price, Total_After_Discount = Total - Discount, Net_Total = that + Tax; Sub_Total =
the sum of Net_Total; Grand_Total = Sub_Total - Discount + Tax + Adjustment (sources cited in
amazon_zoho/sandbox/zoho/line_items.py, which computes the same for the sandbox; this copy is independent of it).
Every amount is already in whole cents (or yen), so nothing is rounded here.
"""

from __future__ import annotations

from decimal import Decimal


def money(value) -> Decimal:
    """A JSON number from Zoho as the exact decimal it stands for (null = 0)."""
    return Decimal(str(value)) if value is not None else Decimal(0)


def zoho_grand_total(order: dict) -> Decimal:
    sub_total = sum((money(i.get("Quantity")) * money(i.get("List_Price")) - money(i.get("Discount")) + money(i.get("Tax"))
                     for i in order["Ordered_Items"]), Decimal(0))
    return sub_total - money(order.get("Discount")) + money(order.get("Tax")) + money(order.get("Adjustment"))


def mismatches(orders: list[dict], totals: dict[str, Decimal | None]) -> list[str]:
    """Amazon order ids of the priced sales orders whose stored or recomputed Grand_Total is not Amazon's total."""
    return [
        o["Amazon_Order_ID"] for o in orders
        if totals.get(o["Amazon_Order_ID"]) is not None
        and not money(o["Grand_Total"]) == zoho_grand_total(o) == totals[o["Amazon_Order_ID"]]
    ]

"""Simulated Amazon: LWA, Orders API v2026-01-01 (and the deprecated v0 for comparisons), Reports API
2021-06-30 with order flat files and settlement reports, Sellers API v1 (marketplace participations), Notifications
API v1 with ORDER_CHANGE delivered to SQS, over data generated from the seed."""

from . import lwa, notification_delivery, notifications, orders, orders_v0, reports, sellers, truth


def register(app) -> None:
    # Each module owns its routes and tables.
    for module in (lwa, orders, orders_v0, reports, sellers, truth, notifications, notification_delivery):
        module.register(app)

-- ORDER_CHANGE notifications received in one sensor tick (`incoming_notifications`, one row per NotificationId with
-- how often this tick saw it) into ops.notifications. A NotificationId already recorded only counts its deliveries:
-- SQS delivers at least once and Amazon may publish one twice (API-FACTS §12d: deduplicate on NotificationId).
-- An order of a marketplace this seller does not sync is recorded with the reason and never fetched.
INSERT INTO ops.notifications (
    notification_id, order_id, marketplace_id, change_type, order_status, purchase_date, changed_at, published_at,
    received_at, deliveries, skipped_reason
)
SELECT
    i.notification_id,
    i.order_id,
    i.marketplace_id,
    i.change_type,
    i.order_status,
    i.purchase_date,
    i.changed_at,
    i.published_at,
    i.received_at,
    i.deliveries,
    CASE
        WHEN i.marketplace_id IS NOT NULL AND NOT list_contains(CAST($marketplace_ids AS VARCHAR[]), i.marketplace_id)
            THEN 'marketplace ' || i.marketplace_id || ' is not in AMAZON_MARKETPLACE_IDS'
    END AS skipped_reason
FROM incoming_notifications i
ON CONFLICT (notification_id) DO UPDATE SET deliveries = deliveries + excluded.deliveries;

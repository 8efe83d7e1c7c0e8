-- ops (intraday, issue #15): the ORDER_CHANGE notifications the intraday sensor took off the SQS queue, and the
-- messages it refused. A message leaves the queue only after its row here is committed (at-least-once); the
-- primary key makes a duplicate delivery a no-op (Amazon: deduplicate on NotificationId, API-FACTS §12d).
CREATE TABLE IF NOT EXISTS ops.notifications (
    notification_id VARCHAR PRIMARY KEY,
    order_id        VARCHAR NOT NULL,
    marketplace_id  VARCHAR,
    change_type     VARCHAR NOT NULL,
    order_status    VARCHAR,
    purchase_date   DATE,
    changed_at      TIMESTAMPTZ,
    published_at    TIMESTAMPTZ,
    received_at     TIMESTAMPTZ NOT NULL,
    deliveries      INTEGER NOT NULL DEFAULT 1,
    fetched_at      TIMESTAMPTZ,
    fetched_by      VARCHAR,
    skipped_reason  VARCHAR
);
COMMENT ON TABLE ops.notifications IS 'ORDER_CHANGE notifications received (amazon/intraday.py), one row per NotificationId however often SQS delivered it. fetched_at NULL: the order is still to be fetched from the Orders API; the intraday sensor then asks for runs over the purchase days whose raw orders moved past what Zoho was sent.';
COMMENT ON COLUMN ops.notifications.deliveries IS 'How many times SQS delivered this notification (duplicates and redeliveries after a failed delete add one).';
COMMENT ON COLUMN ops.notifications.fetched_by IS 'getOrder or searchOrders:lastUpdated: how the changed order was fetched into raw.order_versions.';
COMMENT ON COLUMN ops.notifications.skipped_reason IS 'Why the order was not fetched (a marketplace this seller does not sync, Amazon refusing the order); NULL when fetched.';
COMMENT ON COLUMN ops.notifications.changed_at IS 'OrderChangeTrigger.TimeOfOrderChange: when the order changed at Amazon (latency is measured from here).';

CREATE TABLE IF NOT EXISTS ops.notification_rejects (
    message_id     VARCHAR PRIMARY KEY,
    body_sha256    VARCHAR NOT NULL,
    body_start     VARCHAR NOT NULL,
    reason         VARCHAR NOT NULL,
    dead_lettered  BOOLEAN NOT NULL,
    received_at    TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE ops.notification_rejects IS 'Messages of the notifications queue that are not an ORDER_CHANGE notification we can act on, with the reason; each is moved to the dead-letter queue (dead_lettered) with that reason as a message attribute.';
COMMENT ON COLUMN ops.notification_rejects.body_start IS 'The first 500 characters of the body, for a person to read (ORDER_CHANGE carries no buyer name, e-mail or address: API-FACTS §12d).';

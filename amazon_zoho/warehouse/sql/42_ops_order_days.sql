-- ops (late order changes): which purchase days each order-path asset built, and how fresh its source was then,
-- so a daily run rebuilds every earlier day whose raw data moved on, with or without the order-updates sensor.
CREATE TABLE IF NOT EXISTS ops.order_day_builds (
    consumer      VARCHAR NOT NULL,
    purchase_date DATE NOT NULL,
    raw_through   TIMESTAMPTZ,
    run_id        VARCHAR,
    built_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (consumer, purchase_date)
);
COMMENT ON TABLE ops.order_day_builds IS 'One row per order-path asset (core_orders, a mart table, a Zoho push) and purchase day it built: a later partition run of that asset rebuilds the day again once its source moved past raw_through (core/late_days.py).';
COMMENT ON COLUMN ops.order_day_builds.consumer IS 'The asset that built the day: core_orders, marts.<name> or zoho.<module>.';
COMMENT ON COLUMN ops.order_day_builds.purchase_date IS 'The purchase day (partition) built.';
COMMENT ON COLUMN ops.order_day_builds.raw_through IS 'The newest fetched_at of raw.order_versions for the day when it was built (core_orders), or the raw_through of the core_orders build it read (marts, Zoho). NULL: the day had no orders then.';
COMMENT ON COLUMN ops.order_day_builds.run_id IS 'The Dagster run that built it.';
COMMENT ON COLUMN ops.order_day_builds.built_at IS 'When it was built.';

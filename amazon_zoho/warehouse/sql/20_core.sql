-- core: canonical, typed, one row per business key. Money is DECIMAL(18, 2) in the currency named beside it,
-- timestamps are TIMESTAMPTZ (UTC). The comments below are the data dictionary: Dagster's column schema
-- metadata is generated from them (amazon_zoho/warehouse/docs.py), so edit them here and nowhere else.
-- Columns added after a table's first release are also added with ALTER ... IF NOT EXISTS, so existing
-- warehouse files gain them; every INSERT into core names its columns (BY NAME), so order does not matter.
BEGIN TRANSACTION;  -- one commit for the whole file: hundreds of COMMENTs cost one WAL flush, not one each

CREATE TABLE IF NOT EXISTS core.marketplaces (
    marketplace_id     VARCHAR PRIMARY KEY,
    country_code       VARCHAR NOT NULL,
    currency           VARCHAR NOT NULL,
    sales_channel      VARCHAR NOT NULL,
    decimal_comma      BOOLEAN NOT NULL,
    posted_date_format VARCHAR NOT NULL,
    prices_include_tax BOOLEAN,
    proceeds_include_tax BOOLEAN
);
ALTER TABLE core.marketplaces ADD COLUMN IF NOT EXISTS prices_include_tax BOOLEAN;
ALTER TABLE core.marketplaces ADD COLUMN IF NOT EXISTS proceeds_include_tax BOOLEAN;
ALTER TABLE core.marketplaces ADD COLUMN IF NOT EXISTS time_zone VARCHAR;
-- Its rows are amazon_zoho/amazon/marketplaces.csv, inserted by the warehouse resource after this file runs.
COMMENT ON TABLE core.marketplaces IS 'Reference: each Amazon marketplace''s currency, tax convention and how its settlement files write numbers and dates (from amazon_zoho/amazon/marketplaces.csv).';
COMMENT ON COLUMN core.marketplaces.marketplace_id IS 'Amazon marketplace id, e.g. A1PA6795UKMFR9 (Amazon.de).';
COMMENT ON COLUMN core.marketplaces.country_code IS 'ISO 3166 country of the marketplace.';
COMMENT ON COLUMN core.marketplaces.currency IS 'ISO 4217 currency the marketplace sells and settles in; orders in any other currency are quarantined.';
COMMENT ON COLUMN core.marketplaces.sales_channel IS 'The marketplace''s name as Amazon writes it (salesChannel.marketplaceName).';
COMMENT ON COLUMN core.marketplaces.time_zone IS 'IANA time zone of the marketplace''s calendar (Amazon''s advertising reports), e.g. Europe/Paris: the local purchase date of an order.';
COMMENT ON COLUMN core.marketplaces.decimal_comma IS 'True when settlement files write amounts with a decimal comma (95,00).';
COMMENT ON COLUMN core.marketplaces.posted_date_format IS 'strftime format of the settlement file''s local posted-date column.';
COMMENT ON COLUMN core.marketplaces.prices_include_tax IS 'Tax convention of the all-orders flat-file report: true when item-price, shipping-price and gift-wrap-price contain their tax (EU, UK, JP, MX: VAT/GST-inclusive prices, as Amazon documents), false in the US and Canada, where sales tax is added on top. Evidence in amazon/marketplaces.csv.';
COMMENT ON COLUMN core.marketplaces.proceeds_include_tax IS 'Tax convention of Orders API v2026-01-01 proceeds: true when the ITEM, SHIPPING, GIFT_WRAP ... breakdowns contain the TAX breakdown, false when TAX is added to them (every marketplace by default: the model and its examples, amazon/marketplaces.csv).';

CREATE TABLE IF NOT EXISTS core.orders (
    order_id            VARCHAR PRIMARY KEY,
    marketplace_id      VARCHAR NOT NULL,
    sales_channel       VARCHAR,
    purchase_date       DATE NOT NULL,
    purchase_ts         TIMESTAMPTZ NOT NULL,
    last_update_ts      TIMESTAMPTZ,
    fulfillment_channel VARCHAR,
    order_status        VARCHAR,
    status              VARCHAR,
    currency            VARCHAR,
    order_total         DECIMAL(18, 2),
    item_subtotal       DECIMAL(18, 2),
    tax_total           DECIMAL(18, 2),
    shipping_total      DECIMAL(18, 2),
    discount_total      DECIMAL(18, 2),
    gift_wrap_total     DECIMAL(18, 2),
    cod_fee_total       DECIMAL(18, 2),
    other_total         DECIMAL(18, 2),
    delivery_tip        DECIMAL(18, 2),
    delivery_tip_status VARCHAR,
    prices_include_tax  BOOLEAN,
    version_source      VARCHAR,
    buyer_key           VARCHAR,
    line_count          INTEGER NOT NULL,
    ship_country        VARCHAR,
    shipped_ts          TIMESTAMPTZ,
    latest_delivery_ts  TIMESTAMPTZ
);
ALTER TABLE core.orders ADD COLUMN IF NOT EXISTS status VARCHAR;
ALTER TABLE core.orders ADD COLUMN IF NOT EXISTS prices_include_tax BOOLEAN;
ALTER TABLE core.orders ADD COLUMN IF NOT EXISTS shipped_ts TIMESTAMPTZ;
ALTER TABLE core.orders ADD COLUMN IF NOT EXISTS latest_delivery_ts TIMESTAMPTZ;
ALTER TABLE core.orders ADD COLUMN IF NOT EXISTS gift_wrap_total DECIMAL(18, 2);
ALTER TABLE core.orders ADD COLUMN IF NOT EXISTS cod_fee_total DECIMAL(18, 2);
ALTER TABLE core.orders ADD COLUMN IF NOT EXISTS other_total DECIMAL(18, 2);
ALTER TABLE core.orders ADD COLUMN IF NOT EXISTS delivery_tip DECIMAL(18, 2);
ALTER TABLE core.orders ADD COLUMN IF NOT EXISTS delivery_tip_status VARCHAR;
ALTER TABLE core.orders ADD COLUMN IF NOT EXISTS version_source VARCHAR;
ALTER TABLE core.orders ADD COLUMN IF NOT EXISTS purchase_local_date DATE;
COMMENT ON TABLE core.orders IS 'One row per Amazon order, latest version wins. Money in the order currency (DECIMAL); buyer_key is pseudonymous.';
COMMENT ON COLUMN core.orders.order_id IS 'Amazon order id (3-7-7 digits), the key.';
COMMENT ON COLUMN core.orders.marketplace_id IS 'Marketplace the order was placed on (core.marketplaces).';
COMMENT ON COLUMN core.orders.sales_channel IS 'Marketplace name as Amazon sends it, e.g. Amazon.de.';
COMMENT ON COLUMN core.orders.purchase_date IS 'UTC calendar day of purchase_ts: the daily partition the order belongs to.';
COMMENT ON COLUMN core.orders.purchase_local_date IS 'Calendar day of purchase_ts in the marketplace''s own time zone (core.marketplaces.time_zone): the day the seller''s calendar, and marts.daily_sales_local, count it on.';
COMMENT ON COLUMN core.orders.purchase_ts IS 'When the buyer placed the order (createdTime), UTC.';
COMMENT ON COLUMN core.orders.last_update_ts IS 'Amazon''s lastUpdatedTime of the version stored here, UTC.';
COMMENT ON COLUMN core.orders.fulfillment_channel IS 'AFN = fulfilled by Amazon (FBA), MFN = merchant fulfilled (FBM).';
COMMENT ON COLUMN core.orders.order_status IS 'Amazon fulfillmentStatus as sent: PENDING, UNSHIPPED, PARTIALLY_SHIPPED, SHIPPED, CANCELLED, UNFULFILLABLE, PENDING_AVAILABILITY.';
COMMENT ON COLUMN core.orders.status IS 'Normalized status, stable across API versions: pending, unshipped, partially_shipped, shipped, cancelled, unfulfillable (unknown for a value we have not seen).';
COMMENT ON COLUMN core.orders.currency IS 'ISO 4217 currency of every amount of the order.';
COMMENT ON COLUMN core.orders.order_total IS 'What the buyer paid: proceeds.grandTotal as Amazon sent it, = the sum of the lines'' line_total + delivery_tip (orders that do not add up are quarantined). NULL while PENDING or once CANCELLED (Amazon sends no prices then).';
COMMENT ON COLUMN core.orders.item_subtotal IS 'Sum of item prices x quantities of the lines not cancelled (proceeds ITEM breakdown, or the sum of the lines'' when the order carries no breakdowns); includes tax where prices_include_tax.';
COMMENT ON COLUMN core.orders.tax_total IS 'Tax amount Amazon reports (proceeds TAX breakdown), never computed from a rate. Contained in the other amounts where prices_include_tax, added on top otherwise.';
COMMENT ON COLUMN core.orders.shipping_total IS 'Shipping charged to the buyer (proceeds SHIPPING breakdown).';
COMMENT ON COLUMN core.orders.discount_total IS 'Promotion discounts on items and shipping, negative (proceeds DISCOUNT breakdown).';
COMMENT ON COLUMN core.orders.gift_wrap_total IS 'Gift wrap charged to the buyer (proceeds GIFT_WRAP breakdown; gift-wrap-price in the order report).';
COMMENT ON COLUMN core.orders.cod_fee_total IS 'Cash-on-delivery fee charged to the buyer (proceeds COD_FEE breakdown; Amazon documents COD for JP). The order report has no column for it.';
COMMENT ON COLUMN core.orders.other_total IS 'Other charges to the buyer (proceeds OTHER breakdown). The order report has no column for them.';
COMMENT ON COLUMN core.orders.delivery_tip IS 'Delivery tip (proceeds DELIVERY_TIP): order level only, "charged separately and not attributed to a specific item", so it is in order_total but in no line. The order report has no column for it.';
COMMENT ON COLUMN core.orders.delivery_tip_status IS 'PENDING or FINALIZED: the tip is processed after checkout and may still change (ORDER_CHANGE DeliveryTipChange).';
COMMENT ON COLUMN core.orders.prices_include_tax IS 'Tax convention of this order''s amounts, from core.marketplaces and the API its stored version came from (order report: prices_include_tax; Orders API: proceeds_include_tax). true: order_total = item_subtotal + shipping_total + gift_wrap_total + cod_fee_total + other_total + discount_total + delivery_tip; false: tax_total is added as well.';
COMMENT ON COLUMN core.orders.version_source IS 'Which API the stored version came from: orders_api (searchOrders or getOrder) or order_report (the all-orders flat file; raw.order_versions.source report). The order report has no column for delivery tips, COD fees or other charges, so a report version lacks them (its total is what its rows add up to) until an Orders API version replaces it.';
COMMENT ON COLUMN core.orders.buyer_key IS 'Pseudonymous buyer: salted hash of the buyer email. NULL for FBA orders, which carry no email. Never the email itself.';
COMMENT ON COLUMN core.orders.line_count IS 'Number of order items (rows in core.order_lines).';
COMMENT ON COLUMN core.orders.ship_country IS 'Delivery country (ISO 3166); the rest of the address lives only in pii.order_contacts.';
COMMENT ON COLUMN core.orders.shipped_ts IS 'When the order shipped: the package ship time, else the first version we saw SHIPPED. NULL until then.';
COMMENT ON COLUMN core.orders.latest_delivery_ts IS 'End of the delivery window Amazon promised (deliverByWindow.latestDateTime); starts the PII retention clock.';

CREATE TABLE IF NOT EXISTS core.order_lines (
    order_id           VARCHAR NOT NULL,
    order_item_id      VARCHAR NOT NULL,
    purchase_date      DATE NOT NULL,
    marketplace_id     VARCHAR NOT NULL,
    sku                VARCHAR,
    asin               VARCHAR,
    title              VARCHAR,
    quantity_ordered   INTEGER NOT NULL,
    quantity_shipped   INTEGER,
    currency           VARCHAR,
    unit_price         DECIMAL(18, 2),
    item_amount        DECIMAL(18, 2),
    item_tax           DECIMAL(18, 2),
    shipping_tax       DECIMAL(18, 2),
    shipping           DECIMAL(18, 2),
    promotion_discount DECIMAL(18, 2),
    line_total         DECIMAL(18, 2),
    gift_wrap          DECIMAL(18, 2),
    gift_wrap_tax      DECIMAL(18, 2),
    cod_fee            DECIMAL(18, 2),
    cod_fee_tax        DECIMAL(18, 2),
    other_charges      DECIMAL(18, 2),
    other_tax          DECIMAL(18, 2),
    shipping_discount  DECIMAL(18, 2),
    discount_tax       DECIMAL(18, 2),
    quantity_cancelled INTEGER,
    cancelled          BOOLEAN,
    PRIMARY KEY (order_id, order_item_id)
);
ALTER TABLE core.order_lines ADD COLUMN IF NOT EXISTS shipping_tax DECIMAL(18, 2);
ALTER TABLE core.order_lines ADD COLUMN IF NOT EXISTS gift_wrap DECIMAL(18, 2);
ALTER TABLE core.order_lines ADD COLUMN IF NOT EXISTS gift_wrap_tax DECIMAL(18, 2);
ALTER TABLE core.order_lines ADD COLUMN IF NOT EXISTS cod_fee DECIMAL(18, 2);
ALTER TABLE core.order_lines ADD COLUMN IF NOT EXISTS cod_fee_tax DECIMAL(18, 2);
ALTER TABLE core.order_lines ADD COLUMN IF NOT EXISTS other_charges DECIMAL(18, 2);
ALTER TABLE core.order_lines ADD COLUMN IF NOT EXISTS other_tax DECIMAL(18, 2);
ALTER TABLE core.order_lines ADD COLUMN IF NOT EXISTS shipping_discount DECIMAL(18, 2);
ALTER TABLE core.order_lines ADD COLUMN IF NOT EXISTS discount_tax DECIMAL(18, 2);
ALTER TABLE core.order_lines ADD COLUMN IF NOT EXISTS quantity_cancelled INTEGER;
ALTER TABLE core.order_lines ADD COLUMN IF NOT EXISTS cancelled BOOLEAN;
COMMENT ON TABLE core.order_lines IS 'One row per order item. Tax is the amount Amazon sent, never a rate.';
COMMENT ON COLUMN core.order_lines.order_id IS 'The order (core.orders.order_id).';
COMMENT ON COLUMN core.order_lines.order_item_id IS 'Amazon orderItemId; with order_id, the key. Settlement rows carry it as order_item_code.';
COMMENT ON COLUMN core.order_lines.purchase_date IS 'The order''s purchase_date (the partition).';
COMMENT ON COLUMN core.order_lines.marketplace_id IS 'The order''s marketplace.';
COMMENT ON COLUMN core.order_lines.sku IS 'Seller SKU (sellerSku).';
COMMENT ON COLUMN core.order_lines.asin IS 'Amazon product id (ASIN).';
COMMENT ON COLUMN core.order_lines.title IS 'Product title as listed on the marketplace.';
COMMENT ON COLUMN core.order_lines.quantity_ordered IS 'Units ordered, as Amazon sent it (cancelled units included: see quantity_cancelled); never negative (negative quantities are quarantined).';
COMMENT ON COLUMN core.order_lines.quantity_shipped IS 'Units shipped so far (quantityFulfilled).';
COMMENT ON COLUMN core.order_lines.currency IS 'ISO 4217 currency of the line''s amounts.';
COMMENT ON COLUMN core.order_lines.unit_price IS 'Price of one unit as listed (includes tax where the order''s prices_include_tax).';
COMMENT ON COLUMN core.order_lines.item_amount IS 'Item price x quantity (item proceeds ITEM breakdown). 0 on a line cancelled in an order that stands (NULL, like every amount, when the whole order is pending or cancelled).';
COMMENT ON COLUMN core.order_lines.item_tax IS 'All tax on this line as Amazon sent it (item proceeds TAX breakdown: tax on the item plus tax on its shipping, gift wrap, COD fee and other charges, less tax on discounts). An amount, never a rate. 0 on a line cancelled in an order that stands (NULL, like every amount, when the whole order is pending or cancelled).';
COMMENT ON COLUMN core.order_lines.shipping_tax IS 'The part of item_tax that is tax on shipping (TAX detailedBreakdowns SHIPPING).';
COMMENT ON COLUMN core.order_lines.shipping IS 'Shipping charged for this line (item proceeds SHIPPING breakdown).';
COMMENT ON COLUMN core.order_lines.promotion_discount IS 'Promotion discounts on this line, item and shipping promotions together, negative (item proceeds DISCOUNT breakdown).';
COMMENT ON COLUMN core.order_lines.line_total IS 'What the buyer paid for the line: item proceedsTotal as Amazon sent it, = item_amount + shipping + gift_wrap + cod_fee + other_charges + promotion_discount (+ item_tax where tax is added on top); lines that do not add up are quarantined with their order. 0 on a line cancelled in an order that stands (NULL, like every amount, when the whole order is pending or cancelled).';
COMMENT ON COLUMN core.order_lines.gift_wrap IS 'Gift wrap charged for this line (item proceeds GIFT_WRAP breakdown; gift-wrap-price in the order report).';
COMMENT ON COLUMN core.order_lines.gift_wrap_tax IS 'The part of item_tax that is tax on gift wrap (TAX detailedBreakdowns GIFT_WRAP; gift-wrap-tax in the order report).';
COMMENT ON COLUMN core.order_lines.cod_fee IS 'Cash-on-delivery fee charged for this line (item proceeds COD_FEE breakdown).';
COMMENT ON COLUMN core.order_lines.cod_fee_tax IS 'The part of item_tax that is tax on the COD fee (TAX detailedBreakdowns COD_FEE).';
COMMENT ON COLUMN core.order_lines.other_charges IS 'Other charges for this line (item proceeds OTHER breakdown).';
COMMENT ON COLUMN core.order_lines.other_tax IS 'The part of item_tax that is tax on other charges (TAX detailedBreakdowns OTHER).';
COMMENT ON COLUMN core.order_lines.shipping_discount IS 'The part of promotion_discount that is a shipping promotion, negative (DISCOUNT detailedBreakdowns SHIPPING; ship-promotion-discount in the order report).';
COMMENT ON COLUMN core.order_lines.discount_tax IS 'The part of item_tax that is tax on discounts, normally negative (TAX detailedBreakdowns DISCOUNT).';
COMMENT ON COLUMN core.order_lines.quantity_cancelled IS 'Units of the line cancelled: quantity_ordered - quantityFulfilled - quantityUnfulfilled when Amazon sent fulfilment quantities, all of them when the order is cancelled, else 0.';
COMMENT ON COLUMN core.order_lines.cancelled IS 'True when the whole line is cancelled (every unit, or the order): inside an order that stands its amounts are 0 and it counts in no total, while the other lines of its order still do.';

CREATE TABLE IF NOT EXISTS core.customers (
    buyer_key        VARCHAR PRIMARY KEY,
    marketplace_id   VARCHAR,
    first_order_date DATE,
    last_order_date  DATE,
    order_count      INTEGER
);
COMMENT ON TABLE core.customers IS 'One row per pseudonymous buyer (merchant-fulfilled orders carry a buyer email; FBA orders do not).';
COMMENT ON COLUMN core.customers.buyer_key IS 'Pseudonymous buyer key (core.orders.buyer_key).';
COMMENT ON COLUMN core.customers.marketplace_id IS 'Marketplace of the buyer''s first order.';
COMMENT ON COLUMN core.customers.first_order_date IS 'purchase_date of the buyer''s first order.';
COMMENT ON COLUMN core.customers.last_order_date IS 'purchase_date of the buyer''s latest order.';
COMMENT ON COLUMN core.customers.order_count IS 'Number of orders in core.orders with this buyer_key.';

CREATE TABLE IF NOT EXISTS core.products (
    sku            VARCHAR NOT NULL,
    marketplace_id VARCHAR NOT NULL,
    asin           VARCHAR,
    title          VARCHAR,
    currency       VARCHAR,
    latest_price   DECIMAL(18, 2),
    last_sold_date DATE,
    PRIMARY KEY (sku, marketplace_id)
);
COMMENT ON TABLE core.products IS 'SKU to ASIN with title and the latest unit price seen per marketplace.';
COMMENT ON COLUMN core.products.sku IS 'Seller SKU; with marketplace_id, the key.';
COMMENT ON COLUMN core.products.marketplace_id IS 'Marketplace the SKU sold on.';
COMMENT ON COLUMN core.products.asin IS 'ASIN of the SKU''s latest sale.';
COMMENT ON COLUMN core.products.title IS 'Title of the SKU''s latest sale.';
COMMENT ON COLUMN core.products.currency IS 'Currency of latest_price.';
COMMENT ON COLUMN core.products.latest_price IS 'Unit price of the latest priced sale.';
COMMENT ON COLUMN core.products.last_sold_date IS 'purchase_date of the latest order with this SKU.';

CREATE TABLE IF NOT EXISTS core.settlements (
    settlement_id  VARCHAR PRIMARY KEY,
    report_id      VARCHAR NOT NULL,
    marketplace_id VARCHAR,
    period_start   TIMESTAMPTZ,
    period_end     TIMESTAMPTZ,
    deposit_date   TIMESTAMPTZ,
    total_amount   DECIMAL(18, 2),
    currency       VARCHAR,
    end_date       DATE NOT NULL
);
COMMENT ON TABLE core.settlements IS 'One row per settlement (the summary row of its report): period, deposit date and deposit total.';
COMMENT ON COLUMN core.settlements.settlement_id IS 'Amazon settlement id, the key.';
COMMENT ON COLUMN core.settlements.report_id IS 'The report it came from (raw.settlement_reports; the file is archived under data/archive): of the report ids Amazon listed it under, the one created last.';
COMMENT ON COLUMN core.settlements.marketplace_id IS 'Marketplace the settlement pays out for.';
COMMENT ON COLUMN core.settlements.period_start IS 'Start of the settlement period, UTC.';
COMMENT ON COLUMN core.settlements.period_end IS 'End of the settlement period, UTC.';
COMMENT ON COLUMN core.settlements.deposit_date IS 'When Amazon deposits (or charges) total_amount, UTC.';
COMMENT ON COLUMN core.settlements.total_amount IS 'The deposit: total-amount of the summary row. Equals the sum of the settlement''s lines unless lines are quarantined (asset check lines_sum_to_deposit).';
COMMENT ON COLUMN core.settlements.currency IS 'ISO 4217 currency of the deposit and of every line.';
COMMENT ON COLUMN core.settlements.end_date IS 'UTC day the report''s period ended: the daily partition the settlement belongs to.';

CREATE TABLE IF NOT EXISTS core.settlement_lines (
    settlement_id      VARCHAR NOT NULL,
    report_id          VARCHAR NOT NULL,
    line_number        INTEGER NOT NULL,
    transaction_type   VARCHAR,
    order_id           VARCHAR,
    adjustment_id      VARCHAR,
    shipment_id        VARCHAR,
    marketplace_name   VARCHAR,
    marketplace_id     VARCHAR,
    amount_type        VARCHAR,
    amount_description VARCHAR,
    line_class         VARCHAR,
    amount             DECIMAL(18, 2) NOT NULL,
    currency           VARCHAR,
    posted_ts          TIMESTAMPTZ,
    order_item_code    VARCHAR,
    sku                VARCHAR,
    quantity_purchased INTEGER,
    promotion_id       VARCHAR,
    end_date           DATE NOT NULL,
    PRIMARY KEY (report_id, line_number)
);
ALTER TABLE core.settlement_lines ADD COLUMN IF NOT EXISTS marketplace_id VARCHAR;
ALTER TABLE core.settlement_lines ADD COLUMN IF NOT EXISTS line_class VARCHAR;
COMMENT ON TABLE core.settlement_lines IS 'Every detail row of every settlement, amounts typed from the marketplace''s local number format and classified (line_class).';
COMMENT ON COLUMN core.settlement_lines.settlement_id IS 'The settlement (core.settlements.settlement_id).';
COMMENT ON COLUMN core.settlement_lines.report_id IS 'The report file; with line_number, the key.';
COMMENT ON COLUMN core.settlement_lines.line_number IS '1-based line in the archived file (header = 1, summary = 2): find the row by hand with this.';
COMMENT ON COLUMN core.settlement_lines.transaction_type IS 'As Amazon sends it: Order, Refund, other-transaction, ServiceFee, ...';
COMMENT ON COLUMN core.settlement_lines.order_id IS 'Amazon order id for Order/Refund rows; NULL for account-level rows.';
COMMENT ON COLUMN core.settlement_lines.adjustment_id IS 'Amazon adjustment id (refunds, reimbursements).';
COMMENT ON COLUMN core.settlement_lines.shipment_id IS 'Amazon shipment id of Order rows.';
COMMENT ON COLUMN core.settlement_lines.marketplace_name IS 'Marketplace name as written in the file.';
COMMENT ON COLUMN core.settlement_lines.marketplace_id IS 'Marketplace of the settlement.';
COMMENT ON COLUMN core.settlement_lines.amount_type IS 'As Amazon sends it: ItemPrice, ItemWithheldTax, Promotion, ItemFees, other-transaction, ...';
COMMENT ON COLUMN core.settlement_lines.amount_description IS 'As Amazon sends it: Principal, Shipping, Tax, Commission, FBAPerUnitFulfillmentFee, Subscription Fee, Current Reserve Amount, ...';
COMMENT ON COLUMN core.settlement_lines.line_class IS 'What the money is: principal, shipping, tax, withheld_tax, promotion, other_charge, fee, service_fee, subscription, reserve, transfer, adjustment, or other (not recognised; an asset check warns).';
COMMENT ON COLUMN core.settlement_lines.amount IS 'Signed amount in the settlement currency: positive is paid to the seller, negative is charged.';
COMMENT ON COLUMN core.settlement_lines.currency IS 'ISO 4217 currency (the settlement''s).';
COMMENT ON COLUMN core.settlement_lines.posted_ts IS 'When Amazon posted the amount (posted-date-time, or posted-date in older files), read in the marketplace''s date format, UTC.';
COMMENT ON COLUMN core.settlement_lines.order_item_code IS 'Amazon orderItemId of the line (core.order_lines.order_item_id).';
COMMENT ON COLUMN core.settlement_lines.sku IS 'Seller SKU of the line.';
COMMENT ON COLUMN core.settlement_lines.quantity_purchased IS 'Units on Order rows.';
COMMENT ON COLUMN core.settlement_lines.promotion_id IS 'Promotion id of Promotion rows.';
COMMENT ON COLUMN core.settlement_lines.end_date IS 'The settlement''s end_date (the partition).';
COMMIT;

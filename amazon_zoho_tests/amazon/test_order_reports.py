"""Order reports: windows, reuse of in-flight reports, FATAL and CANCELLED, and parsing rows by header name."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from amazon_zoho.amazon import order_reports
from amazon_zoho.amazon.order_reports import REPORT_WINDOW, _load_document, load_orders_from_reports, report_windows
from amazon_zoho.amazon.reports import ORDERS_BY_DATE, ReportFailed, ReportOutcome, ReportSpec, create_report, run_reports
from amazon_zoho.warehouse import WarehouseResource
from amazon_zoho_tests.truth import day_ago


def midnight(day) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


@pytest.fixture
def amazon(resources):
    return resources["amazon"]


@pytest.fixture
def spec(amazon) -> ReportSpec:
    return ReportSpec(ORDERS_BY_DATE, midnight(day_ago(4)), midnight(day_ago(2)), tuple(amazon.marketplace_ids))


def test_a_year_is_thirteen_windows_of_at_most_thirty_days():
    start = datetime(2025, 11, 1, tzinfo=timezone.utc)
    windows = report_windows(start, start + timedelta(days=365))
    assert len(windows) == 13
    assert windows[0][0] == start and windows[-1][1] == start + timedelta(days=365)
    assert all(b - a <= REPORT_WINDOW and b == c for (a, b), (c, _) in zip(windows, windows[1:] + [(windows[-1][1], None)]))


def test_a_report_still_in_queue_is_reused_not_requested_again(sandbox, amazon, spec):
    client = amazon.client()
    sandbox.app.set_config({"report_processing_seconds": 600})  # 0.6 s at time_scale 1000: still queued below
    waiting = create_report(client, spec)

    [outcome] = run_reports(client, amazon.session(), [spec], time_scale=1000)

    assert outcome.report_id == waiting and outcome.reused and outcome.status == "DONE"
    assert client.calls["createReport"] == 1


def test_fatal_is_requested_again_after_a_wait(sandbox, amazon, spec):
    client = amazon.client()
    sandbox.app.set_config({"fault_report_fatal_rate": 1.0})

    def heal_after_first_create(response, *args, **kwargs):
        if response.request.method == "POST" and response.url.endswith("/reports"):
            sandbox.app.set_config({"fault_report_fatal_rate": 0.0})

    amazon.session().hooks["response"].append(heal_after_first_create)
    [outcome] = run_reports(client, amazon.session(), [spec], time_scale=1000)

    assert outcome.status == "DONE" and outcome.attempt == 2 and client.calls["createReport"] == 2
    [(failed_id, reason)] = outcome.fatal
    assert failed_id != outcome.report_id and "internal error" in reason


def test_fatal_every_time_fails_with_amazons_reason(sandbox, amazon, spec):
    sandbox.app.set_config({"fault_report_fatal_rate": 1.0})
    with pytest.raises(ReportFailed, match="FATAL 3 times.*internal error"):
        run_reports(amazon.client(), amazon.session(), [spec], time_scale=1000)


def test_cancelled_means_no_data_not_an_error(sandbox, amazon, resources):
    sandbox.app.set_config({"fault_report_cancelled_rate": 1.0})
    start = midnight(day_ago(8))
    loaded = load_orders_from_reports(
        amazon.client(), amazon.session(), resources["warehouse"], amazon.marketplace_ids, start, start + timedelta(days=5), "run"
    )
    assert (loaded.reports, loaded.cancelled, loaded.orders, loaded.buyer_lookups) == (1, 1, 0, 0)
    with resources["warehouse"].connect(read_only=True) as conn:
        assert conn.execute("SELECT status FROM ops.report_requests").fetchall() == [("CANCELLED",)]


# -- parsing, on files written here --------------------------------------------------------------------------
DE = "A1PA6795UKMFR9"
HEADER = ["sales-channel", "amazon-order-id", "purchase-date", "last-updated-date", "order-status", "fulfillment-channel",
          "sku", "asin", "product-name", "item-status", "quantity", "currency", "item-price", "item-tax",
          "shipping-price", "shipping-tax", "item-promotion-discount", "ship-postal-code", "ship-country", "some-new-column"]


def row(order_id, sku="SKU-1", price="19.98", status="Shipped", **over) -> str:
    values = {"sales-channel": "Amazon.de", "amazon-order-id": order_id, "purchase-date": "2026-11-02T10:00:00+00:00",
              "last-updated-date": "2026-11-04T08:00:00+00:00", "order-status": status, "fulfillment-channel": "Amazon",
              "sku": sku, "asin": "B000TEST01", "product-name": "Küchenwaage", "item-status": status, "quantity": "2",
              "currency": "EUR", "item-price": price, "item-tax": "3.19", "shipping-price": "0.00", "shipping-tax": "0.00",
              "item-promotion-discount": "-2.00", "ship-postal-code": "10115", "ship-country": "DE", "some-new-column": "x", **over}
    return "\t".join(values[c] for c in HEADER)


@pytest.fixture(params=[None, 2], ids=["one part", "parts of 2 lines"])
def conn(tmp_path, request, monkeypatch):
    """A warehouse connection; the file shaped in one part, or a part per 2 lines (a big report's orders are shaped in
    parts, each its own transaction, order_reports.REPORT_PART_LINES): the same orders, quarantine and versions either way."""
    if request.param:
        monkeypatch.setattr(order_reports, "REPORT_PART_LINES", request.param)
    with WarehouseResource(database=str(tmp_path / "w.duckdb")).connect() as conn:
        yield conn


def load(conn, text: str) -> tuple[int, int, int, list]:
    spec = ReportSpec(ORDERS_BY_DATE, datetime(2026, 11, 1, tzinfo=timezone.utc), datetime(2026, 11, 6, tzinfo=timezone.utc), (DE,))
    return _load_document(conn, text, ReportOutcome(spec, "R1", "DONE", "D1", False, 1), "run")


def test_columns_are_read_by_name_and_an_order_spans_its_lines(conn):
    text = "\n".join(["\t".join(HEADER), row("302-1", "SKU-1"), row("302-1", "SKU-2", price="5.00"), row("302-2")]) + "\n"

    assert load(conn, text)[:3] == (2, 0, 2)

    order = json.loads(conn.execute("SELECT payload FROM raw.order_versions WHERE order_id = '302-1'").fetchone()[0])
    assert order["salesChannel"] == {"channelName": "AMAZON", "marketplaceId": DE, "marketplaceName": "Amazon.de"}
    assert [i["orderItemId"] for i in order["orderItems"]] == ["302-1-1", "302-1-2"]  # no order-item-id column: position
    first = order["orderItems"][0]
    assert first["product"]["price"]["unitPrice"] == {"amount": "9.99", "currencyCode": "EUR"}  # item-price is the line total
    assert first["proceeds"]["proceedsTotal"]["amount"] == "17.98"  # VAT included in DE: 19.98 - 2.00 discount
    assert order["proceeds"]["grandTotal"] == {"amount": "20.98", "currencyCode": "EUR"}  # + 5.00 - 2.00
    assert order["fulfillment"] == {"fulfillmentStatus": "SHIPPED", "fulfilledBy": "AMAZON", "fulfillmentServiceLevel": None}


def test_unreadable_lines_are_quarantined_with_their_order_and_the_rest_lands(conn):
    text = "\n".join([
        "\t".join(HEADER),
        row("302-1"),
        row("302-2", price="12,5x"),
        row("302-2", sku="SKU-2"),
        row("302-3", **{"sales-channel": "Amazon.it"}),
        "Amazon.de\t302-4\ttoo few cells",
        row("302-5", status="Canceled"),
    ]) + "\n"

    loaded, quarantined, new, _ = load(conn, text)

    held = conn.execute("SELECT record_key, line_number, reason, raw_text FROM ops.quarantine ORDER BY line_number").fetchall()
    assert (loaded, new) == (2, 2) and quarantined == len(held) == 4
    assert held[0][:2] == ("302-2", 3) and "item-price is not a decimal: 12,5x" in held[0][2]
    assert held[1][:2] == ("302-2", 4) and "line 3 of the same order" in held[1][2]
    assert held[2][:2] == ("302-3", 5) and "Amazon.it is not one of the requested marketplaces" in held[2][2]
    assert "<redacted>" in held[0][3] and not [h for h in held if "10115" in h[3]], "no postal code outside pii"
    assert held[3][:2] == ("302-4", 6) and "expected 20 tab-separated columns as in the header, found 3" in held[3][2]
    cancelled = conn.execute("SELECT payload ->> '$.fulfillment.fulfillmentStatus', payload ->> '$.proceeds' FROM raw.order_versions "
                             "WHERE order_id = '302-5'").fetchone()
    assert cancelled == ("CANCELLED", None)  # as the API shows a cancelled order: no proceeds


def test_a_load_that_crashes_between_parts_and_runs_again_leaves_what_one_clean_load_does(tmp_path, monkeypatch):
    """Each part of a report is its own transaction (order_reports._load_text; issue #17): a crash after some parts keeps
    those, and loading the file again adds nothing twice, so raw and the quarantine end as one clean load leaves them."""
    monkeypatch.setattr(order_reports, "REPORT_PART_LINES", 2)
    text = "\n".join(["\t".join(HEADER), *[row(f"302-{n}") for n in range(1, 9)], row("302-9", price="x"), row("302-9", sku="SKU-2")]) + "\n"
    tables = "SELECT order_id, source, payload FROM raw.order_versions ORDER BY ALL", "SELECT record_key, line_number, reason FROM ops.quarantine ORDER BY ALL"

    with WarehouseResource(database=str(tmp_path / "clean.duckdb")).connect() as conn:
        assert load(conn, text)[:3] == (8, 2, 8)
        clean = [conn.execute(q).fetchall() for q in tables]

    real, runs = order_reports.INSERT_REPORT_VERSIONS, []

    class CrashesOnThirdPart:
        def run(self, conn, params=None):
            runs.append(1)
            if len(runs) == 3:
                raise RuntimeError("killed")
            real.run(conn, params)

    with WarehouseResource(database=str(tmp_path / "crashed.duckdb")).connect() as conn:
        monkeypatch.setattr(order_reports, "INSERT_REPORT_VERSIONS", CrashesOnThirdPart())
        with pytest.raises(RuntimeError, match="killed"):
            load(conn, text)
        conn.rollback()
        [kept] = conn.execute("SELECT count(*) FROM raw.order_versions").fetchone()
        assert 0 < kept < 8  # the parts before the crash were committed
        monkeypatch.setattr(order_reports, "INSERT_REPORT_VERSIONS", real)
        assert load(conn, text)[:2] == (8, 2)
        assert [conn.execute(q).fetchall() for q in tables] == clean


def test_a_file_without_the_columns_we_key_on_is_quarantined_whole(conn):
    assert load(conn, "order-id\tsku\n1\tA\n") == (0, 1, 0, [])
    [(reason,)] = conn.execute("SELECT reason FROM ops.quarantine").fetchall()
    assert "amazon-order-id" in reason


def test_a_report_without_a_required_column_is_quarantined_by_name_and_the_run_goes_on(sandbox, resources, project_env):
    """A file of another layout (here without purchase-date, which places an order in its day) is refused whole, by
    name, in ops.quarantine and the asset's metadata; nothing of it reaches raw and no buyer is looked up for it.
    (This used to fail the step: the buyer lookup queried a table the refused file never made, rolling the
    quarantine row back with it.)"""
    import dagster as dg
    import duckdb

    from amazon_zoho_tests.assets import asset, figure

    sandbox.app.set_config({"fault_report_dropped_columns": "purchase-date"})
    first, last = day_ago(6), day_ago(2)  # five days: the report path
    result = dg.materialize([asset("amazon_raw", "raw_orders")], resources=resources,
                            tags={"dagster/asset_partition_range_start": first.isoformat(), "dagster/asset_partition_range_end": last.isoformat()})
    assert result.success
    [event] = result.get_asset_materialization_events()[:1]
    metadata = event.materialization.metadata
    assert figure(metadata, "path") == "reports" and figure(metadata, "quarantined") >= 1 and figure(metadata, "buyer_lookups") == 0
    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        reasons = [r for (r,) in conn.execute("SELECT reason FROM ops.quarantine WHERE source = 'order_report'").fetchall()]
        from_reports = conn.execute("SELECT count(*) FROM raw.order_versions WHERE source IN ('report', 'getOrder')").fetchone()[0]
    assert reasons and all("header lacks required columns ['purchase-date']" in r for r in reasons)
    assert from_reports == 0

"""A late-change scan stores its orders a chunk at a time from a spool file, in the one transaction that records the
scan (issue #17: a lookback at 10,000 orders a day held 50,863 orders in memory at once). Chunked or not, the scan
finds the same orders, stores the same versions and reports the same changed days; no store call gets more than a
chunk."""

from datetime import timedelta

import duckdb

from amazon_zoho import clock
from amazon_zoho.amazon import order_updates
from amazon_zoho.resources import build_resources
from amazon_zoho.settings import load


def _scan(project_env, tmp_path, name):
    resources = build_resources(load({**project_env, "AMAZON_ZOHO_WAREHOUSE": str(tmp_path / f"{name}.duckdb")}))
    amazon, warehouse = resources["amazon"], resources["warehouse"]
    now = clock.now()
    scan = order_updates.scan_updates(amazon.client(), warehouse, amazon.marketplace_ids, now - timedelta(days=2), now, "test")
    with duckdb.connect(warehouse.database, read_only=True) as conn:
        versions = conn.execute("SELECT order_id, payload_hash FROM raw.order_versions ORDER BY ALL").fetchall()
        recorded = conn.execute("SELECT orders_seen, new_versions, changed_days FROM ops.order_update_scans").fetchall()
    return scan, versions, recorded


def test_a_scan_stores_its_orders_a_chunk_at_a_time_with_the_same_outcome(sandbox, project_env, tmp_path, monkeypatch):
    whole, whole_versions, whole_recorded = _scan(project_env, tmp_path, "whole")

    stored: list[int] = []
    real = order_updates.store_orders

    def counting(conn, fetched, *args, **kwargs):
        stored.append(len(fetched))
        return real(conn, fetched, *args, **kwargs)

    monkeypatch.setattr(order_updates, "STORE_CHUNK", 7)
    monkeypatch.setattr(order_updates, "store_orders", counting)
    chunked, chunked_versions, chunked_recorded = _scan(project_env, tmp_path, "chunked")

    assert whole.orders_seen > 3 * 7 and len(stored) > 3 and max(stored) <= 7 and sum(stored) == whole.orders_seen
    assert (chunked.orders_seen, chunked.new_versions, chunked.changed_days) == (whole.orders_seen, whole.new_versions, whole.changed_days)
    assert chunked_versions == whole_versions and len(whole_versions) == whole.new_versions
    assert chunked_recorded == whole_recorded and len(chunked_recorded) == 1

"""The push holds a page of records in Python, never the window (issue #17): the records to send stay in DuckDB
(`to_send`) and are read PAGE_ROWS at a time on the upsert path, one Bulk Write job at a time on the bulk path (their
keys: DuckDB writes the payloads into the job's CSVs), and their payloads are built SLICE_RECORDS at a time. The limits
are made small here, so a day of the test sandbox spans several pages, jobs and slices, and every read of `to_send` is
counted: a push that fetched the whole window at once (as it did before) fails."""

from datetime import timedelta

import pytest

from amazon_zoho.zoho import bulk, sync
from amazon_zoho.zoho.mapping import MODULE_ORDER
from amazon_zoho_tests.truth import day_ago
from amazon_zoho_tests.zoho.helpers import assert_zoho_matches_warehouse, load_day, push, pushed, query

PAGE = 7
JOB = 9
SLICE = 11


@pytest.fixture
def reads(monkeypatch) -> list[tuple[str, int, int]]:
    """(row type, rows, rows with a payload) of every read the push makes from DuckDB into Python, with small pages and jobs."""
    seen: list[tuple[str, int, int]] = []
    real = sync.fetch

    def counting(conn, row_type, query, params=None):
        rows = real(conn, row_type, query, params)
        seen.append((row_type.__name__, len(rows), sum(1 for r in rows if getattr(r, "send_payload", None) is not None)))
        return rows

    monkeypatch.setattr(sync, "fetch", counting)
    monkeypatch.setattr(sync, "PAGE_ROWS", PAGE)
    monkeypatch.setattr(bulk, "MAX_JOB_RECORDS", JOB)
    monkeypatch.setattr(sync, "SLICE_RECORDS", SLICE)
    return seen


@pytest.mark.parametrize(("write_api", "limit"), [("upsert", PAGE), ("bulk", JOB)])
def test_the_push_reads_a_page_or_a_job_at_a_time_never_the_window(sandbox, resources, project_env, reads, write_api, limit):
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    load_day(resources, day)

    metadata = pushed(push(resources, day, write_api))

    [(orders,)] = query(warehouse, "SELECT count(*) FROM core.orders")
    assert orders > 3 * limit  # the window spans several pages or jobs
    sent = [n for kind, n, _ in reads if kind == "ToSend"]
    assert sum(sent) >= orders and max(sent) <= limit
    # A Bulk Write job's payloads go from DuckDB into its CSVs (bulk_files.py): Python reads none of them when Zoho accepts all.
    payloads = sum(p for kind, _, p in reads if kind == "ToSend")
    assert payloads == (0 if write_api == "bulk" else sum(sent))
    assert metadata["sales_orders"]["path"] == write_api and metadata["sales_orders"]["inserted"] == orders
    assert all(m["largest_page_records"] <= limit and m["failed"] == 0 for m in metadata.values())
    # Paging changes how much is held at once, not what Zoho ends up holding.
    assert_zoho_matches_warehouse(sandbox.url, warehouse)


def test_payloads_built_a_slice_at_a_time_are_those_built_at_once(sandbox, resources, monkeypatch):
    """sync.prepare builds `classified` and `to_send` a slice of the records at a time (issue #17): the same records,
    payloads and decisions as in one go, for every module, and `to_send` numbered 1..n without gaps for the pages."""
    day = day_ago(2)
    load_day(resources, day)
    mapping = resources["zoho"].mapping()
    slices: list[int] = []
    real_slices = sync._slices
    monkeypatch.setattr(sync, "_slices", lambda *a: slices.append(real_slices(*a)) or slices[-1])

    def built(module: str, records: int) -> tuple[list, list, list[int]]:
        monkeypatch.setattr(sync, "SLICE_RECORDS", records)
        with resources["warehouse"].connect() as conn:
            sync.prepare(conn, mapping, module, day, day + timedelta(days=1))
            return (conn.execute("SELECT * FROM classified ORDER BY record_key").fetchall(),
                    conn.execute("SELECT * EXCLUDE (seq) FROM to_send ORDER BY record_key").fetchall(),
                    [seq for (seq,) in conn.execute("SELECT seq FROM to_send ORDER BY seq").fetchall()])

    for module in MODULE_ORDER:
        if module == "Sales_Orders":
            push(resources, day, modules=("products", "contacts"))  # else every order waits for its products: none to send
        whole, sliced = built(module, 10**9), built(module, 3)
        assert slices[-2] == 1 and slices[-1] > 3
        assert sliced[0] == whole[0] and sliced[1] == whole[1] and len(whole[1]) > 3
        assert sliced[2] == list(range(1, len(whole[2]) + 1))

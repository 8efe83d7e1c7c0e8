"""The id map checked against Zoho (issue #14 item 2, "verify the id map against Zoho when in doubt"): an install
whose map was corrupted before answers were matched by what they say (ids swapped between records, sales orders'
line items pointing at the wrong products) is found out by the job zoho_verify_ids and repaired by the next push;
an intact map costs only the reads and changes nothing. Against the sandbox Zoho (GET /crm/v8/{module}?ids=)."""

import math
from collections import Counter

import duckdb

from amazon_zoho.http.errors import ApiError
from amazon_zoho.warehouse import WarehouseResource
from amazon_zoho.zoho.budget import CreditBudget
from amazon_zoho.zoho.client import CreditsExhausted
from amazon_zoho.zoho.mapping import load
from amazon_zoho.zoho.verify import verify_ids
from amazon_zoho_tests.truth import day_ago
from amazon_zoho_tests.zoho.helpers import (
    assert_zoho_matches_warehouse,
    credits_used,
    execute_job,
    load_day,
    no_duplicates,
    push,
    pushed,
    query,
    records,
    zoho_calls,
)

STATE = "SELECT module, record_key, zoho_id, payload_hash, status, lines_hash FROM ops.zoho_sync_state ORDER BY ALL"


def _swap(warehouse: str, module: str, a: str, b: str) -> None:
    """What a 207 one result short did to the map before the fix: two records each given the other's id."""
    with duckdb.connect(warehouse) as conn:
        conn.execute(
            "UPDATE ops.zoho_sync_state s SET zoho_id = o.zoho_id FROM ops.zoho_sync_state o "
            "WHERE s.module = $m AND o.module = $m AND ((s.record_key = $a AND o.record_key = $b) OR (s.record_key = $b AND o.record_key = $a))",
            {"m": module, "a": a, "b": b},
        )


def _skus_by_line(url: str) -> dict[str, list[str]]:
    """Each Zoho sales order's line items, as the Amazon_SKU of the product each one points at."""
    sku_of = {p["id"]: p["Amazon_SKU"] for p in records(url, "Products")}
    return {o["Amazon_Order_ID"]: sorted(sku_of.get(i["Product_Name"]["id"], "?") for i in o["Ordered_Items"]) for o in records(url, "Sales_Orders")}


def _metadata(result) -> dict:
    [event] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    return {k: v.value for k, v in event.event_specific_data.metadata.items()}


def test_swapped_ids_are_found_cleared_and_repaired_by_the_next_push(sandbox, resources, project_env):
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    load_day(resources, day)
    push(resources, day, write_api="upsert")
    lines = {}
    for order_id, sku in query(warehouse, "SELECT order_id, sku FROM core.order_lines ORDER BY ALL"):
        lines.setdefault(order_id, []).append(sku)
    # Two products sold on different orders, so that swapping them sends orders to the wrong products.
    first, second = sorted({s for skus in lines.values() for s in skus})[:2]

    # An install corrupted before the fix: two products swapped in the map, and the orders built from that map,
    # so their line items point at the other product in Zoho. The products themselves stay "unchanged".
    _swap(warehouse, "Products", first, second)
    push(resources, day, write_api="upsert")
    wrong = {k for k, skus in _skus_by_line(sandbox.url).items() if skus != sorted(lines[k])}
    assert wrong, "the corruption is real: some orders' line items point at the other product"
    orders = [k for (k,) in query(warehouse, "SELECT record_key FROM ops.zoho_sync_state WHERE module = 'Sales_Orders' ORDER BY 1")][:2]
    _swap(warehouse, "Sales_Orders", *orders)
    push(resources, day, write_api="upsert")  # a normal run repairs nothing: every payload is "unchanged"
    assert {k for k, skus in _skus_by_line(sandbox.url).items() if skus != sorted(lines[k])} == wrong

    before, calls = credits_used(sandbox.url), len(zoho_calls(sandbox.url))
    result = execute_job("zoho_verify_ids", resources)

    assert result.success
    found = query(warehouse, "SELECT module, record_key, outcome FROM ops.zoho_id_checks ORDER BY ALL")
    assert found == sorted([("Products", first, "mismatch"), ("Products", second, "mismatch"),
                            ("Sales_Orders", orders[0], "mismatch"), ("Sales_Orders", orders[1], "mismatch")])
    assert query(warehouse, "SELECT count(*) FROM ops.zoho_sync_state WHERE status = 'id_mismatch' AND zoho_id IS NULL AND payload_hash IS NULL") == [(4,)]
    metadata = _metadata(result)
    assert metadata["ids_cleared"] == 4 and metadata["Products"]["ids_mismatched"] == 2
    made = [c["operation"] for c in zoho_calls(sandbox.url)[calls:] if c["operation"] != "zoho_token"]
    assert made == ["zoho_get_records"] * 3 and credits_used(sandbox.url) - before == 3, "one read per module (≤100 ids each), 1 credit each"

    push(resources, day, write_api="upsert")

    assert_zoho_matches_warehouse(sandbox.url, warehouse)  # every id in the map is the record holding its key
    assert _skus_by_line(sandbox.url) == {k: sorted(v) for k, v in lines.items()}, "every line item points at its own product"
    no_duplicates(sandbox.url)
    assert query(warehouse, "SELECT count(*) FROM ops.zoho_sync_state WHERE status <> 'synced'") == [(0,)]


def test_an_intact_map_costs_only_the_reads_and_changes_nothing(sandbox, resources, project_env):
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    load_day(resources, day)
    push(resources, day)
    state = query(warehouse, STATE)
    held = {m: records(sandbox.url, m) for m in ("Products", "Contacts", "Sales_Orders")}
    before = credits_used(sandbox.url)

    result = execute_job("zoho_verify_ids", resources)

    assert result.success and _metadata(result)["ids_cleared"] == 0
    entries = dict(query(warehouse, "SELECT module, count(*) FROM ops.zoho_sync_state WHERE zoho_id IS NOT NULL GROUP BY 1"))
    assert credits_used(sandbox.url) - before == sum(math.ceil(n / 100) for n in entries.values())
    assert query(warehouse, STATE) == state
    assert query(warehouse, "SELECT count(*) FROM ops.zoho_id_checks") == [(0,)]
    assert {m: records(sandbox.url, m) for m in held} == held, "reads write nothing"


def test_ids_in_doubt_after_an_answer_that_does_not_fit_are_read_back_in_the_same_run(sandbox, resources, project_env):
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    load_day(resources, day)
    push(resources, day, write_api="upsert")
    first, second = [k for (k,) in query(warehouse, "SELECT record_key FROM ops.zoho_sync_state WHERE module = 'Products' ORDER BY 1")][:2]
    _swap(warehouse, "Products", first, second)
    with duckdb.connect(warehouse) as conn:  # the products are sent again (as after a mapping change)
        conn.execute("UPDATE ops.zoho_sync_state SET payload_hash = NULL WHERE module = 'Products'")
    sandbox.app.set_config({"fault_zoho_short_answer_rate": 1.0})  # every answer of 2+ records is one short

    products = pushed(push(resources, day, write_api="upsert", modules=("products",)))["products"]

    assert products["ids_cleared"] == 2 and products["ids_verified"] > 2
    assert query(warehouse, "SELECT record_key FROM ops.zoho_id_checks WHERE module = 'Products' ORDER BY 1") == [(first,), (second,)]
    assert query(warehouse, "SELECT count(*) FROM ops.zoho_sync_state WHERE module = 'Products' AND record_key IN (?, ?) AND zoho_id IS NOT NULL",
                 [first, second]) == [(0,)], "no sales order of this run looks up a product id in doubt that Zoho contradicts"
    sandbox.app.set_config({"fault_zoho_short_answer_rate": 0.0})
    push(resources, day, write_api="upsert")
    assert_zoho_matches_warehouse(sandbox.url, warehouse)
    no_duplicates(sandbox.url)


class _Reader:
    """A Zoho that refuses a whole read by id (400) when one id is unknown, which Zoho's docs leave open."""

    def __init__(self, held: dict[str, str]):
        self.held, self.calls, self.credits_used = held, Counter(), 0

    def records_by_id(self, module, ids, fields):
        self.calls["getRecords"] += 1
        self.credits_used += 1
        if set(ids) - set(self.held):
            raise ApiError("zoho", "getRecords", 400, '{"code":"INVALID_DATA"}')
        return [{"id": i, fields[0]: self.held[i]} for i in ids]

    def drain_ledger(self):
        return []


def _map(tmp_path, entries: list[tuple[str, str]]):
    resource = WarehouseResource(database=str(tmp_path / "w.duckdb"))
    with resource.connect() as conn:
        conn.executemany("INSERT INTO ops.zoho_sync_state (module, record_key, zoho_id, payload_hash, status, synced_at) "
                         "VALUES ('Products', ?, ?, 'h', 'synced', now())", entries)
    return resource


def test_a_read_refused_for_an_unknown_id_is_read_again_in_halves(tmp_path):
    resource = _map(tmp_path, [(f"SKU-{n}", str(n)) for n in range(8)])
    client = _Reader({str(n): f"SKU-{n}" for n in range(8) if n != 5})
    with resource.connect() as conn:
        checked = verify_ids(conn, client, load()["Products"], CreditBudget(), log=lambda _: None)
        assert (checked.checked, checked.missing, checked.mismatched) == (8, 1, 0)
        assert client.calls["getRecords"] == 7, "8 ids, one unknown: the whole read, then halves down to it"
        assert conn.execute("SELECT record_key, status FROM ops.zoho_sync_state WHERE zoho_id IS NULL").fetchall() == [("SKU-5", "id_mismatch")]
        assert conn.execute("SELECT outcome, found_key FROM ops.zoho_id_checks").fetchall() == [("missing", None)]


def test_reads_the_budget_does_not_allow_are_left_and_said(tmp_path):
    resource = _map(tmp_path, [("SKU-1", "1"), ("SKU-2", "2")])
    client = _Reader({"1": "SKU-2", "2": "SKU-1"})
    notes = []
    with resource.connect() as conn:
        checked = verify_ids(conn, client, load()["Products"], CreditBudget(daily=100, reserve=100), log=notes.append)
        assert (checked.checked, checked.unread, client.calls["getRecords"]) == (0, 2, 0)
        assert "credit budget" in notes[0]
        assert conn.execute("SELECT count(*) FROM ops.zoho_sync_state WHERE zoho_id IS NOT NULL").fetchall() == [(2,)]


def test_limit_reached_stops_the_reads_and_says_so(tmp_path):
    resource = _map(tmp_path, [("SKU-1", "1")])

    class _Spent(_Reader):
        def records_by_id(self, module, ids, fields):
            raise CreditsExhausted("zoho", "getRecords", 429, '{"code":"LIMIT_REACHED"}')

    budget, notes = CreditBudget(), []
    with resource.connect() as conn:
        checked = verify_ids(conn, _Spent({}), load()["Products"], budget, log=notes.append)
    assert (checked.unread, checked.cleared, budget.exhausted) == (1, 0, True) and "LIMIT_REACHED" in notes[0]

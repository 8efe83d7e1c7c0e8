"""The dry run (job zoho_dry_run) shows per record what a push would do, insert, update (with the fields
that would change) or unchanged, in ops.zoho_sync_preview and the run's metadata, without one call to Zoho."""

import yaml

from amazon_zoho.zoho.mapping import DEFAULT_PATH
from amazon_zoho_tests.assets import figure
from amazon_zoho_tests.truth import day_ago
from amazon_zoho_tests.zoho.helpers import configured, execute_job, load_day, push, query, zoho_calls


def _dry_run(resources, day):
    config = {"ops": {"zoho_dry_run_op": {"config": {"start": day.isoformat()}}}}
    result = execute_job("zoho_dry_run", resources, run_config=config)
    assert result.success
    [event] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    preview = event.event_specific_data.metadata["preview"].value
    return result.run_id, preview


def test_dry_run_shows_inserts_updates_and_unchanged_without_calling_zoho(sandbox, resources, project_env, tmp_path):
    day, warehouse = day_ago(2), project_env["AMAZON_ZOHO_WAREHOUSE"]
    load_day(resources, day)
    calls = len(zoho_calls(sandbox.url))

    run_id, preview = _dry_run(resources, day)

    assert len(zoho_calls(sandbox.url)) == calls, "a dry run calls nothing"
    decisions = dict(query(warehouse, "SELECT decision, count(*) FROM ops.zoho_sync_preview WHERE run_id = ? GROUP BY ALL", [run_id]))
    orders = query(warehouse, "SELECT count(*) FROM core.orders WHERE order_status <> 'PENDING'")[0][0]
    so = dict(query(warehouse, "SELECT decision, count(*) FROM ops.zoho_sync_preview WHERE run_id = ? AND module = 'Sales_Orders' GROUP BY ALL", [run_id]))
    assert set(decisions) == {"insert"} and so == {"insert": orders}, "orders whose products are new preview as inserts, not as waiting"
    assert "| Sales_Orders | insert |" in preview and "nothing was sent to Zoho" in preview

    pushed = push(resources, day)
    inserted = sum(figure(e.materialization.metadata, "inserted") for e in pushed.get_asset_materialization_events())
    assert inserted == sum(decisions.values()), "the push did what the dry run said"

    doc = yaml.safe_load(DEFAULT_PATH.read_text())
    [(status,)] = query(warehouse, "SELECT mode(order_status) FROM core.orders WHERE order_status <> 'PENDING'")
    doc["Sales_Orders"]["status"][status] = "Approved" if doc["Sales_Orders"]["status"][status] != "Approved" else "Created"
    (tmp_path / "mapping.yaml").write_text(yaml.safe_dump(doc))  # sorted keys: reordering alone changes nothing
    calls = len(zoho_calls(sandbox.url))

    run_id, preview = _dry_run(configured(project_env, ZOHO_MAPPING_FILE=str(tmp_path / "mapping.yaml")), day)

    assert len(zoho_calls(sandbox.url)) == calls
    rows = query(warehouse, "SELECT module, decision, changed_fields FROM ops.zoho_sync_preview WHERE run_id = ?", [run_id])
    changed = query(warehouse, "SELECT count(*) FROM core.orders WHERE order_status = ?", [status])[0][0]
    assert {d for m, d, _ in rows if m != "Sales_Orders"} == {"unchanged"}, "only the orders' Status changed"
    assert {d for m, d, _ in rows if m == "Sales_Orders"} <= {"unchanged", "update"}
    assert all(fields == ["Status"] for _, d, fields in rows if d == "update")
    assert sum(1 for _, d, _ in rows if d == "update") == changed > 0

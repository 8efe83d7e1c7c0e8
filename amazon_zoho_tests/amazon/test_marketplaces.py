"""amazon_zoho/amazon/marketplaces.csv is the one place for marketplace facts: it agrees with what Amazon publishes,
every consumer reads it or is checked against it here, and adding a marketplace is adding one row."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

import amazon_zoho.zoho
from amazon_zoho import settings
from amazon_zoho.amazon import marketplaces
from amazon_zoho.amazon.marketplaces import Marketplace, MarketplaceTableError
from amazon_zoho.amazon.resource import REGION_ENDPOINTS
from amazon_zoho.sandbox.config import CURRENCIES, MARKETPLACES as SIMULATED, SandboxConfig
from amazon_zoho.warehouse import WarehouseResource, resource
from amazon_zoho_tests.properties import support

# Amazon's official models (amzn/selling-partner-api-models, API-FACTS.md names the commit), beside the clone.
MODELS = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "amazon"
# Models whose examples use real marketplace ids. The Finances model's do not (ATIV93840DER, AXXXXXXXXXER).
MODELS_WITH_REAL_IDS = ("orders_2026-01-01.json", "reports_2021-06-30.json", "notifications_v1.json", "OrderChangeNotification.json")
# A marketplace Amazon does not have: XA is a user-assigned ISO 3166 code, XTS the ISO 4217 code for testing.
NEW_ROW = "A1NEWMARKETXA,XA,eu,Amazon.example,XTS,true,false,true,%d.%m.%Y,Europe/Paris"
NEW_ID = NEW_ROW.split(",")[0]


def _model(name: str) -> dict:
    path = MODELS / name
    if not path.exists():
        pytest.skip(f"Amazon's {name} not found in {MODELS} (../shared/reference is not checked out)")
    return json.loads(path.read_text())


def _objects(node) -> list[dict]:
    """Every JSON object inside `node`, itself included."""
    if isinstance(node, dict):
        return [node] + [o for value in node.values() for o in _objects(value)]
    if isinstance(node, list):
        return [o for value in node for o in _objects(value)]
    return []


def _extended(tmp_path: Path, row: str = NEW_ROW) -> Path:
    """A copy of the table with one more row: what a newcomer's edit looks like."""
    path = tmp_path / "marketplaces.csv"
    path.write_text(marketplaces.TABLE.read_text() + row + "\n")
    return path


# (a) The table against Amazon's own material.


def test_every_marketplace_id_in_amazons_models_is_in_the_table():
    ids = set()
    for name in MODELS_WITH_REAL_IDS:
        for node in _objects(_model(name)):
            for key, value in node.items():
                if key.lower() == "marketplaceid" and isinstance(value, str):
                    ids.add(value)
                if key.lower() == "marketplaceids":
                    listed = value.get("value") or value.get("x-example") if isinstance(value, dict) else value
                    ids.update(v for v in listed or () if isinstance(v, str))
    assert len(ids) >= 7, ids  # US, CA, DE, UK, BR, JP, TR
    assert ids <= set(marketplaces.BY_ID), ids - set(marketplaces.BY_ID)


def test_sales_channel_and_currency_agree_with_the_orders_model_examples():
    # Orders API v2026-01-01 examples (../shared/reference/amazon/orders_2026-01-01.json): an order's
    # salesChannel {marketplaceId, marketplaceName} and the currencyCode of its amounts.
    seen = {}
    for node in _objects(_model("orders_2026-01-01.json")):
        channel = node.get("salesChannel")
        if isinstance(channel, dict) and "marketplaceId" in channel:
            currencies = {o["currencyCode"] for o in _objects(node) if isinstance(o.get("currencyCode"), str)}
            seen[channel["marketplaceId"]] = (channel["marketplaceName"], currencies)
    assert len(seen) >= 5, seen
    for marketplace_id, (name, currencies) in seen.items():
        row = marketplaces.BY_ID[marketplace_id]
        assert row.sales_channel == name and currencies == {row.currency}, (marketplace_id, name, currencies)


def test_regions_are_the_sp_api_hosts():
    # API-FACTS.md §1 "Regional hosts" (Amazon's spapiclient.py) and https://developer-docs.amazon.com/sp-api/docs/sp-api-endpoints
    assert set(REGION_ENDPOINTS) == set(marketplaces.REGIONS)
    assert all(REGION_ENDPOINTS[r] == f"https://sellingpartnerapi-{r}.amazon.com" for r in marketplaces.REGIONS)


# (b) Every consumer agrees with the table.


def test_settings_accept_every_marketplace_in_its_region():
    assert settings.MARKETPLACE_REGIONS == {m.marketplace_id: m.region for m in marketplaces.MARKETPLACES}
    for m in marketplaces.MARKETPLACES:
        assert settings.load({"AMAZON_MARKETPLACE_IDS": m.marketplace_id}).region == m.region


def test_a_fresh_warehouse_has_the_table_as_core_marketplaces(tmp_path):
    with WarehouseResource(database=str(tmp_path / "w.duckdb")).connect() as conn:
        assert _core_marketplaces(conn) == _expected(marketplaces.MARKETPLACES)


def _core_marketplaces(conn) -> set[tuple]:
    return set(conn.execute(
        "SELECT marketplace_id, country_code, currency, sales_channel, prices_include_tax, proceeds_include_tax, decimal_comma, posted_date_format "
        "FROM core.marketplaces"
    ).fetchall())


def _expected(rows) -> set[tuple]:
    return {(m.marketplace_id, m.country_code, m.currency, m.sales_channel, m.prices_include_tax, m.proceeds_include_tax, m.decimal_comma,
             m.posted_date_format) for m in rows}


def test_the_sandbox_sells_in_table_marketplaces_with_the_tables_facts():
    for marketplace_id, simulated in SIMULATED.items():
        row = marketplaces.BY_ID[marketplace_id]
        assert (simulated.country, simulated.currency, simulated.sales_channel, simulated.prices_include_tax, simulated.proceeds_include_tax,
                simulated.decimal_comma, simulated.posted_date_format) == (
            row.country_code, row.currency, row.sales_channel, row.prices_include_tax, row.proceeds_include_tax, row.decimal_comma,
            row.posted_date_format)
        assert simulated.currency in CURRENCIES, f"sandbox/config.py CURRENCIES needs {simulated.currency}"
    assert len({s.order_prefix for s in SIMULATED.values()}) == len(SIMULATED), "order-id prefixes name the marketplace"
    # The project's default seller (no AMAZON_MARKETPLACE_IDS) is the sandbox's default seller.
    assert set(SandboxConfig().marketplaces) <= set(SIMULATED)
    assert settings.SANDBOX_MARKETPLACES == ",".join(SandboxConfig().marketplaces)


def test_the_sandbox_names_what_it_cannot_simulate():
    with pytest.raises(ValueError, match="A1VC38T7YXB528.*marketplaces.csv"):
        SandboxConfig().updated({"marketplaces": ["A1VC38T7YXB528"]})  # Japan: in the table, not simulated


def test_the_zoho_mapping_currencies_are_marketplace_currencies():
    # mapping.yaml lists the currencies enabled in the user's Zoho org (a setting, not a marketplace fact): the shipped
    # file must name only currencies some marketplace uses (a typo would dead-letter every order of that currency),
    # and every currency the sandbox sells in, or the demo would dead-letter its orders.
    listed = yaml.safe_load((Path(amazon_zoho.zoho.__file__).parent / "mapping.yaml").read_text())["currencies"]
    assert set(listed) <= {m.currency for m in marketplaces.MARKETPLACES}
    assert {s.currency for s in SIMULATED.values()} <= set(listed)


# (c) Adding a marketplace is one new row.


def test_a_new_row_reaches_settings_and_core_marketplaces(tmp_path, monkeypatch):
    table = _extended(tmp_path)
    assert marketplaces.by_id(table)[NEW_ID] == Marketplace(NEW_ID, "XA", "eu", "Amazon.example", "XTS", True, False, True, "%d.%m.%Y", "Europe/Paris")
    monkeypatch.setattr(settings, "MARKETPLACE_REGIONS", marketplaces.regions(table))  # as settings.py builds it
    assert settings.load({"AMAZON_MARKETPLACE_IDS": f"A1PA6795UKMFR9,{NEW_ID}"}).region == "eu"
    assert resource.schema_digest(table) != resource.schema_digest(), "existing warehouses re-seed"
    conn = duckdb.connect(":memory:")
    for _, ddl in resource.schema_ddl():
        conn.execute(ddl)
    resource.seed_marketplaces(conn, table)
    assert _core_marketplaces(conn) == _expected(marketplaces.load(table))


def test_a_new_rows_settlement_lines_load_instead_of_being_quarantined(tmp_path):
    # The failure one place prevents: a marketplace settings accept but core.marketplaces lacks has every
    # settlement line quarantined (its amounts read in no known format, its currency known to no marketplace).
    new = support.Marketplace(NEW_ID, "XA", "XTS", "Amazon.example", True)
    when = datetime(2026, 1, 10, 8, 30, tzinfo=timezone.utc)
    text = support.tsv([
        support.summary_row("S-new", "12,50", "XTS", when, when, when),
        support.detail_row("S-new", 1, support.LINE_KINDS[0], "12,50", when, new),
    ])
    with WarehouseResource(database=str(tmp_path / "w.duckdb")).connect() as conn:
        support.load_settlement(conn, new, text, "S-new")
        assert "12,50" in _quarantined(conn) and _settled(conn) == []
        resource.seed_marketplaces(conn, _extended(tmp_path))
        support.load_settlement(conn, new, text, "S-new")
        assert _quarantined(conn) == "" and _settled(conn) == [(Decimal("12.50"), "XTS")]


def _settled(conn) -> list[tuple]:
    return conn.execute("SELECT amount, currency FROM core.settlement_lines").fetchall()


def _quarantined(conn) -> str:
    return " ".join(r for (r,) in conn.execute("SELECT reason FROM ops.quarantine WHERE source = 'core_settlement_lines'").fetchall())


# The loader names a newcomer's mistake.


@pytest.mark.parametrize("row, problem", [
    ("A1NEWMARKETXA,XA,us,Amazon.example,XTS,true,false,true,%d.%m.%Y,Europe/Paris", "region 'us'"),
    ("A1NEWMARKETXA,XA,eu,Amazon.example,XTS,yes,false,true,%d.%m.%Y,Europe/Paris", "prices_include_tax 'yes'"),
    ("A1NEWMARKETXA,XA,eu,Amazon.example,XTS,true,no,true,%d.%m.%Y,Europe/Paris", "proceeds_include_tax 'no'"),
    ("A1NEWMARKETXA,XA,eu,Amazon.example,XTS,true,false,true,%d.%m,Europe/Paris", "posted_date_format"),
    ("A1NEWMARKETXA,XA,eu,Amazon.example,EURO,true,false,true,%d.%m.%Y,Europe/Paris", "currency 'EURO'"),
    ("A1NEWMARKETXA,XA,eu,Amazon.example,XTS,true,false,true,%d.%m.%Y", "9 cells"),
    ("A1NEWMARKETXA,XA,eu,Amazon.example,XTS,true,false,true,%d.%m.%Y,Mars/Olympus", "time_zone 'Mars/Olympus'"),
    ("A1PA6795UKMFR9,XA,eu,Amazon.example,XTS,true,false,true,%d.%m.%Y,Europe/Paris", "A1PA6795UKMFR9 is already on line"),
    ("A1NEWMARKETXA,XA,eu,amazon.de,XTS,true,false,true,%d.%m.%Y,Europe/Paris", "amazon.de is already on line"),
])
def test_a_bad_row_is_named_with_its_line(tmp_path, row, problem):
    table = _extended(tmp_path, row)
    last = len(table.read_text().splitlines())
    with pytest.raises(MarketplaceTableError, match=f"marketplaces.csv:{last}: .*{re.escape(problem)}"):
        marketplaces.load(table)


def test_the_table_agrees_with_an_independent_public_table_of_marketplaces():
    """ScaleLeap/amazon-marketplaces (fixture: its per-country files at commit ff64efc, extracted) is written by
    others: each of our rows it lists has its country, SP-API region, currency and time zone. GB is our ISO code for
    Amazon's UK; IE it does not list (our row takes the country's zone, as the CSV says)."""
    fixture = json.loads((Path(__file__).parent / "fixtures" / "scaleleap_marketplaces.json").read_text())["marketplaces"]
    ours = marketplaces.by_id()
    assert set(ours) - set(fixture) == {"A28R8C7NBKEWEA"}, "IE is the only row it does not list"
    for marketplace_id, theirs in fixture.items():
        if marketplace_id not in ours:
            continue  # CN: not an SP-API marketplace
        row = ours[marketplace_id]
        assert (row.country_code, row.region, row.currency, row.time_zone) == (
            theirs["country_code"], theirs["region"], theirs["currency"], theirs["time_zone"]
        ), marketplace_id

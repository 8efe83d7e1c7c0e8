"""The warehouse on DuckLake against real servers: a PostgreSQL catalog started here (as the production-profile test
starts one) and moto's S3 server on loopback as the data path. The daily graph runs over a few days into the lake,
two writers run at once, and a reader attached read-only sees committed snapshots meanwhile."""

import importlib.util
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import dagster as dg
import duckdb
import pytest
from moto.server import ThreadedMotoServer

from amazon_zoho.resources import build_resources
from amazon_zoho.settings import load
from amazon_zoho.warehouse import engine
from amazon_zoho_tests.core.built import pipeline_assets
from amazon_zoho_tests.ops.test_postgres_profile import SELLERS_DIR, _free_port, _psql, postgres  # noqa: F401 - the fixture
from amazon_zoho_tests.truth import day_ago, truth_orders

# Table -> its key. The sandbox's orders move on between the runs compared (its clock runs 1000x), so orders are
# compared by key (nothing lost, nothing twice); settlements, which never change once issued, row by row (key None).
TABLES = {
    "core.orders": "order_id", "core.order_lines": "order_id, order_item_id",
    "pii.order_contacts": "order_id", "marts.daily_sales": "purchase_date, marketplace_id",
    "core.settlements": None, "core.settlement_lines": None, "raw.settlement_rows": None, "core.marketplaces": None,
}


@pytest.fixture(scope="module")
def s3():
    """moto's S3 on an ephemeral loopback port, with one bucket; yields (endpoint, key id, secret)."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        key, secret = "lake-test-key", secrets.token_urlsafe(12)
        boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1", aws_access_key_id=key,
                     aws_secret_access_key=secret).create_bucket(Bucket="lake")
        yield f"127.0.0.1:{port}", key, secret
    finally:
        server.stop()


def _lake_env(postgres, s3, project_env, name: str) -> dict[str, str]:  # noqa: F811 - the fixture's value
    _psql(postgres, "postgres", f"CREATE DATABASE {name}")
    endpoint, key, secret = s3
    return {
        **project_env,
        "AMAZON_ZOHO_WAREHOUSE_ENGINE": "ducklake",
        "AMAZON_ZOHO_DUCKLAKE_CATALOG": f"host={postgres['DAGSTER_PG_HOST']} port={postgres['DAGSTER_PG_PORT']} dbname={name} "
                                        f"user={postgres['DAGSTER_PG_USERNAME']}",
        "AMAZON_ZOHO_DUCKLAKE_CATALOG_PASSWORD": postgres["DAGSTER_PG_PASSWORD"],
        "AMAZON_ZOHO_DUCKLAKE_DATA_PATH": f"s3://lake/{name}/",
        "AMAZON_ZOHO_S3_ENDPOINT": endpoint,
        "AMAZON_ZOHO_S3_USE_SSL": "0",
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
    }


def _run(resources, first, last=None, zoho: bool = False) -> dg.ExecuteInProcessResult:
    """A run of every asset (`zoho`: the Zoho push too, whose id map and dead letters are upserts) over first..last."""
    from amazon_zoho.definitions import defs

    tags = {"dagster/asset_partition_range_start": first.isoformat(), "dagster/asset_partition_range_end": (last or first).isoformat()}
    result = dg.materialize(list(defs.assets) if zoho else pipeline_assets(), resources=resources, tags=tags)
    assert result.success
    return result


def _warehouse(resources):
    """The warehouse resource with its EnvVars (the catalog password, the S3 keys) resolved, as a run gets it."""
    return dg.build_resources({"warehouse": resources["warehouse"]})


class _Opened:
    def __init__(self, resources):
        self.cm = _warehouse(resources)

    def __enter__(self):
        return self.cm.__enter__().warehouse

    def __exit__(self, *exc):
        return self.cm.__exit__(*exc)


def _tables(resources) -> dict[str, list[tuple]]:
    """Each compared table's keys (with how often each occurs) or, for settlements, its rows without the columns
    saying when or by which run a row was written; sorted."""
    out = {}
    with _Opened(resources) as warehouse, warehouse.connect(read_only=True) as conn:
        for table, key in TABLES.items():
            if key:
                out[table] = conn.execute(f"SELECT DISTINCT {key}, count(*) OVER (PARTITION BY {key}) FROM {table} ORDER BY ALL").fetchall()
                continue
            schema, name = table.split(".")
            columns = [c for (c,) in conn.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = ? AND table_name = ? "
                "AND column_name NOT IN ('fetched_at', 'built_at', 'run_id', 'applied_at', 'loaded_at', 'refreshed_at') ORDER BY column_index",
                [schema, name]).fetchall()]
            out[table] = sorted(conn.execute(f"SELECT {', '.join(chr(34) + c + chr(34) for c in columns)} FROM {table}").fetchall(), key=repr)
    return out


def test_the_daily_graph_runs_into_a_lake_on_postgres_and_s3(postgres, s3, project_env, monkeypatch):  # noqa: F811
    env = _lake_env(postgres, s3, project_env, "lake_daily")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    resources = build_resources(load(env))
    for back in (2, 1):
        _run(resources, day_ago(back), zoho=True)
    _run(resources, day_ago(2), zoho=True)  # a re-run replaces its window: nothing doubles
    with _Opened(resources) as warehouse, warehouse.connect(read_only=True) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (engine.LAKE,)
        days = conn.execute("SELECT count(DISTINCT purchase_date), count(*), count(DISTINCT order_id) FROM core.orders").fetchone()
        assert days[0] >= 2 and days[1] == days[2] > 0
        # The data is Parquet under the S3 prefix, the catalog in PostgreSQL.
        # The Zoho push's upserts (MERGE on the lake) left one id-map row per record, every one synced.
        synced = conn.execute("SELECT count(*), count(DISTINCT (module, record_key)), count(*) FILTER (status = 'synced') "
                              "FROM ops.zoho_sync_state").fetchone()
        assert synced[0] == synced[1] == synced[2] > 0, synced
        files = conn.execute("SELECT count(*) FROM ducklake_list_files('warehouse', 'orders', schema => 'core')").fetchone()[0]
        assert files > 0
        lake_counts = conn.execute("SELECT (SELECT count(*) FROM core.orders), (SELECT count(*) FROM core.order_lines)").fetchone()
        copy_path = warehouse.analyst_copy_path
    # The analyst copy, made from the lake at one snapshot by the last run, holds what the lake holds.
    with duckdb.connect(str(copy_path), read_only=True) as copy:
        assert copy.execute("SELECT (SELECT count(*) FROM core.orders), (SELECT count(*) FROM core.order_lines)").fetchone() == lake_counts
    keys = boto3.client("s3", endpoint_url="http://" + s3[0], region_name="us-east-1", aws_access_key_id=s3[1],
                        aws_secret_access_key=s3[2]).list_objects_v2(Bucket="lake", Prefix="lake_daily/")
    assert any(o["Key"].endswith(".parquet") for o in keys.get("Contents", []))
    [[tables]] = _psql(postgres, "lake_daily", "SELECT count(*) FROM ducklake_table WHERE end_snapshot IS NULL")
    assert int(tables) >= len(engine.shadow_catalog().tables)
    # No secret reached the catalog or the warehouse.
    dump = _psql(postgres, "lake_daily", "SELECT string_agg(value, ' ') FROM ducklake_metadata")
    assert postgres["DAGSTER_PG_PASSWORD"] not in repr(dump) and s3[2] not in repr(dump)


def test_two_backfills_at_once_end_like_one_sequential_run_while_a_reader_sees_snapshots(postgres, s3, project_env, tmp_path, monkeypatch):  # noqa: F811
    together = _lake_env(postgres, s3, {**project_env, "AMAZON_ZOHO_ARCHIVE_DIR": str(tmp_path / "a1")}, "lake_together")
    alone = _lake_env(postgres, s3, {**project_env, "AMAZON_ZOHO_ARCHIVE_DIR": str(tmp_path / "a2")}, "lake_alone")
    for k, v in together.items():
        monkeypatch.setenv(k, v)
    parallel, sequential = build_resources(load(together)), build_resources(load(alone))
    # The schema once first: both backfills then race on data, not on creating the lake.
    with _Opened(parallel) as warehouse, warehouse.connect():
        pass

    stop, seen, errors = threading.Event(), [], []

    def read():
        # An analyst: the same lake attached read-only, counting committed orders while the runs write.
        try:
            with _Opened(parallel) as warehouse, warehouse.connect(read_only=True) as conn:
                while not stop.is_set():
                    seen.append(conn.execute("SELECT count(*) FROM core.orders").fetchone()[0])
                    stop.wait(0.05)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        with ThreadPoolExecutor(2) as pool:
            runs = [pool.submit(_run, parallel, day_ago(4), day_ago(3)), pool.submit(_run, parallel, day_ago(2), day_ago(1))]
            for run in runs:
                run.result()
    finally:
        stop.set()
        reader.join()
    assert not errors, errors
    assert seen and seen[0] <= seen[-1]
    _run(sequential, day_ago(4), day_ago(1))
    got, want = _tables(parallel), _tables(sequential)
    for table in TABLES:
        assert got[table] == want[table], table
    assert len(got["core.orders"]) > 0

    # "As of" a snapshot: the lake's history answers what the warehouse held before the last commit.
    with _Opened(parallel) as warehouse, warehouse.connect(read_only=True) as conn:
        versions = [v for (v,) in conn.execute("SELECT snapshot_id FROM ducklake_snapshots('warehouse') ORDER BY 1").fetchall()]
        assert len(versions) > 2
        early = conn.execute(f"SELECT count(*) FROM core.orders AT (VERSION => {versions[1]})").fetchone()[0]
        assert early == 0 < len(got["core.orders"])


def _seller_location():
    """deploy/production/sellers/seller_location.py, as each seller's code location imports it."""
    spec = importlib.util.spec_from_file_location("seller_location", SELLERS_DIR / "seller_location.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_two_sellers_write_their_own_lakes_at_the_same_time(postgres, s3, sandbox, project_env, tmp_path, monkeypatch):  # noqa: F811
    """Two sellers' code locations (deploy/production: one per seller, settings prefixed ACME_EU__, GLOBEX_NA__) on
    DuckLake, each in its own catalog database and data path, run over the same days at the same time: each lake holds
    its own marketplaces' orders, each once, all of them; and a seller location refuses to share a catalog."""
    # The sandbox's seller sells in DE, UK and FR: the two sellers split them.
    sellers = {"acme_eu": ["A1PA6795UKMFR9", "A1F83G8C2ARO7P"], "globex_na": ["A13V1IB3VIYZZH"]}
    shared = _lake_env(postgres, s3, project_env, "lake_unused")  # the engine, the catalog password and the S3 keys
    env = {k: v for k, v in shared.items() if k not in ("AMAZON_ZOHO_DUCKLAKE_CATALOG", "AMAZON_ZOHO_DUCKLAKE_DATA_PATH",
                                                          "AMAZON_ZOHO_WAREHOUSE", "AMAZON_ZOHO_ARCHIVE_DIR")}
    for seller, marketplaces in sellers.items():
        own = _lake_env(postgres, s3, project_env, f"lake_{seller}")
        prefix = seller.upper() + "__"
        env |= {prefix + "AMAZON_ZOHO_DUCKLAKE_CATALOG": own["AMAZON_ZOHO_DUCKLAKE_CATALOG"],
                prefix + "AMAZON_ZOHO_DUCKLAKE_DATA_PATH": own["AMAZON_ZOHO_DUCKLAKE_DATA_PATH"],
                prefix + "AMAZON_ZOHO_WAREHOUSE": str(tmp_path / seller / "warehouse.duckdb"),
                prefix + "AMAZON_ZOHO_ARCHIVE_DIR": str(tmp_path / seller / "archive"),
                prefix + "AMAZON_MARKETPLACE_IDS": ",".join(marketplaces)}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    location = _seller_location()
    resources = {seller: build_resources(location.seller_settings(seller, env), seller_key=seller) for seller in sellers}
    for r in resources.values():  # each lake's schema first: the runs then race on data, not on creating a lake
        with _Opened(r) as warehouse, warehouse.connect():
            pass

    first, last = day_ago(3), day_ago(2)
    with ThreadPoolExecutor(2) as pool:
        for run in [pool.submit(_run, r, first, last) for r in resources.values()]:
            run.result()

    truth = truth_orders(sandbox.url, first, last)
    held = {}
    for seller, marketplaces in sellers.items():
        with _Opened(resources[seller]) as warehouse, warehouse.connect(read_only=True) as conn:
            rows = conn.execute("SELECT order_id, marketplace_id FROM core.orders").fetchall()
        held[seller] = {order_id for order_id, _ in rows}
        assert len(rows) == len(held[seller]) > 0, f"{seller}: an order twice, or none"
        assert {m for _, m in rows} <= set(marketplaces), seller
        assert held[seller] == {o["orderId"] for o in truth if o["marketplaceId"] in marketplaces}, f"{seller}: an order lost"
    assert not held["acme_eu"] & held["globex_na"]

    # A seller left on the shared (unprefixed) catalog would write the other's tables: its location refuses to start.
    one_lake = {**env, "AMAZON_ZOHO_DUCKLAKE_CATALOG": shared["AMAZON_ZOHO_DUCKLAKE_CATALOG"],
                "AMAZON_ZOHO_DUCKLAKE_DATA_PATH": shared["AMAZON_ZOHO_DUCKLAKE_DATA_PATH"]}
    del one_lake["GLOBEX_NA__AMAZON_ZOHO_DUCKLAKE_CATALOG"]
    with pytest.raises(RuntimeError, match="GLOBEX_NA__AMAZON_ZOHO_DUCKLAKE_CATALOG; on DuckLake every seller needs its own catalog"):
        location.seller_settings("globex_na", one_lake)


UPSERTS = (
    # (statement, parameters): as the project's SQL writes them (zoho/sql/repair_ids.sql, ops/zoho_retention.py).
    ("INSERT INTO ops.zoho_sync_state (module, record_key, zoho_id, status, attempts, synced_at, lines_to_prune) "
     "SELECT 'Contacts', k, z, 'unconfirmed', 0, TIMESTAMPTZ '2026-01-01 00:00:00+00', p FROM (VALUES ('k1', NULL, true), ('k2', 'z2', false)) v(k, z, p) "
     "ON CONFLICT (module, record_key) DO UPDATE SET zoho_id = coalesce(excluded.zoho_id, zoho_id), attempts = attempts + 1, "
     "lines_to_prune = lines_to_prune OR excluded.lines_to_prune", None),
    ("INSERT OR REPLACE INTO ops.zoho_mapped_fields (module, zoho_field, recorded_at) VALUES (?, ?, TIMESTAMPTZ '2026-01-01 00:00:00+00')",
     ["Contacts", "Email"]),
    ("INSERT INTO ops.quarantine (source, partition_date, record_key, reason, raw_text, run_id) "
     "VALUES ('test', DATE '2026-01-01', 'k1', 'why', 'x', 'r1')", None),
)


def test_upserts_run_as_merges_on_a_lake_and_leave_what_they_leave_in_a_duckdb_file(tmp_path):
    """Each upsert twice, against a DuckDB file and (rewritten) a lake: the same rows. A lake whose catalog is a
    DuckDB file: the rewrite does not depend on the catalog database."""
    assert engine.rewrite(UPSERTS[0][0]).startswith("MERGE INTO ops.zoho_sync_state")
    assert engine.rewrite(UPSERTS[1][0]).startswith("MERGE INTO ops.zoho_mapped_fields")
    assert engine.rewrite("INSERT INTO tmp_rows VALUES (1)") == "INSERT INTO tmp_rows VALUES (1)"
    from amazon_zoho.warehouse import resource

    plain = duckdb.connect(str(tmp_path / "w.duckdb"))
    lake = duckdb.connect()
    for path in engine.extension_files():
        lake.execute(f"LOAD '{path}'")
    lake.execute(f"ATTACH 'ducklake:{tmp_path / 'meta.ducklake'}' AS {engine.LAKE} (DATA_PATH '{tmp_path / 'data'}')")
    lake.execute(f"USE {engine.LAKE}")
    lake = engine.LakeConnection(lake)
    got = []
    for conn in (plain, lake):
        resource.use_clock(conn)
        resource.ensure_schema(conn)
        for _ in range(2):
            for statement, params in UPSERTS:
                conn.execute(statement, params)
        got.append([sorted(conn.execute(f"SELECT * {'EXCLUDE (' + drop + ')' if drop else ''} FROM {t}").fetchall(), key=repr)
                    for t, drop in (("ops.zoho_sync_state", "synced_at"), ("ops.zoho_mapped_fields", "recorded_at"),
                                    ("ops.quarantine", "quarantined_at"), ("core.marketplaces", ""))])
    assert got[0] == got[1]
    assert got[1][0] and len(got[1][2]) == 2 and got[1][3]
    # Literal defaults stay on the lake: an INSERT that leaves such a column out gets the same value on both engines.
    left_out = []
    for conn in (plain, lake):
        conn.execute("INSERT INTO ops.notifications (notification_id, order_id, change_type, received_at) "
                     "VALUES ('n-1', 'o-1', 'OrderStatusChange', now())")
        left_out.append(conn.execute("SELECT deliveries FROM ops.notifications WHERE notification_id = 'n-1'").fetchall())
    assert left_out == [[(1,)], [(1,)]]


def _file_lake(tmp_path) -> duckdb.DuckDBPyConnection:
    lake = duckdb.connect()
    for path in engine.extension_files():
        lake.execute(f"LOAD '{path}'")
    lake.execute(f"ATTACH 'ducklake:{tmp_path / 'claims.ducklake'}' AS {engine.LAKE} (DATA_PATH '{tmp_path / 'claims'}')")
    lake.execute(f"USE {engine.LAKE}")
    return lake


def test_what_engine_py_says_a_lake_refuses_the_pinned_ducklake_refuses(tmp_path):
    """The module docstring's claims, asked of the ducklake extension the project pins: when an upgrade lifts one,
    this fails and the workaround in engine.py can go."""
    lake = _file_lake(tmp_path)
    with pytest.raises(duckdb.Error, match="(?i)primary key|unique"):
        lake.execute("CREATE TABLE keyed (id INTEGER PRIMARY KEY)")
    with pytest.raises(duckdb.Error, match="(?i)sequence"):
        lake.execute("CREATE SEQUENCE numbers")
    lake.execute("CREATE TABLE t (a INTEGER)")
    lake.execute("ALTER TABLE t ADD COLUMN b INTEGER DEFAULT 7")  # a literal default is taken
    with pytest.raises(duckdb.Error, match="(?i)non-literal default"):
        lake.execute("ALTER TABLE t ADD COLUMN c TIMESTAMPTZ DEFAULT now()")


LAKE_ENV = {"AMAZON_ZOHO_WAREHOUSE_ENGINE": "ducklake", "AMAZON_ZOHO_DUCKLAKE_CATALOG": "host=db dbname=lake user=lake",
            "AMAZON_ZOHO_DUCKLAKE_DATA_PATH": "s3://bucket/prefix/", "AMAZON_ZOHO_DUCKLAKE_CATALOG_PASSWORD": "pw-s3cr3t",
            "AWS_ACCESS_KEY_ID": "key", "AWS_SECRET_ACCESS_KEY": "aws-s3cr3t"}


def test_the_engine_setting_keeps_secrets_as_variable_names_and_refuses_a_password_in_the_dsn():
    from amazon_zoho.settings import SettingsError

    assert not load({}).warehouse.is_lake
    settings = load(LAKE_ENV)
    assert settings.warehouse.catalog_password_variable == "AMAZON_ZOHO_DUCKLAKE_CATALOG_PASSWORD"
    assert "s3cr3t" not in repr(settings) and "s3cr3t" not in repr(build_resources(settings)["warehouse"])
    with pytest.raises(SettingsError, match="without a password") as refused:
        load({**LAKE_ENV, "AMAZON_ZOHO_DUCKLAKE_CATALOG": "host=db password=in-dsn-s3cr3t"})
    assert "s3cr3t" not in str(refused.value)
    with pytest.raises(SettingsError, match="DATA_PATH"):
        load({**LAKE_ENV, "AMAZON_ZOHO_DUCKLAKE_DATA_PATH": ""})
    with pytest.raises(SettingsError, match="is not an engine"):
        load({"AMAZON_ZOHO_WAREHOUSE_ENGINE": "sqlite"})


def test_a_lake_that_cannot_be_reached_fails_naming_it_without_its_password(tmp_path):
    port = _free_port()  # nothing listens there
    lake = engine.LakeConfig(catalog=f"host=127.0.0.1 port={port} dbname=lake user=lake connect_timeout=2",
                             data_path=str(tmp_path / "data"), catalog_password="pw-s3cr3t")
    with pytest.raises(duckdb.Error, match="could not attach the DuckLake warehouse") as failed:
        engine.open_lake(lake)
    assert "s3cr3t" not in str(failed.value) and f"port={port}" in str(failed.value)

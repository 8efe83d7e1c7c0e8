"""The production profile (deploy/production/dagster.yaml) against a real PostgreSQL server started here:
the asset graph runs against the sandbox, and its run and materializations land in Postgres."""

import glob
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from amazon_zoho.definitions import defs
from amazon_zoho_tests.truth import day_ago

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "deploy" / "production" / "dagster.yaml"


def _require(found: bool, what: str) -> None:
    """Missing system packages skip the test on a developer's machine; in CI they are a failure."""
    if found:
        return
    message = f"{what}; on Debian: apt-get install postgresql (.ci/run does this in CI)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _pg_bin() -> Path:
    initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    _require(bool(initdbs), "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
    return Path(initdbs[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres(tmp_path_factory) -> dict[str, str]:
    """A throwaway PostgreSQL on 127.0.0.1 and an ephemeral port; yields the DAGSTER_PG_* variables."""
    bin_dir = _pg_bin()
    as_root = os.geteuid() == 0
    if as_root:
        # PostgreSQL refuses to run as root: run it as the `postgres` user the Debian package creates, in a
        # directory that user can reach (pytest's base temp dir is private to root).
        _require(_user_exists("postgres"), "PostgreSQL refuses root and there is no `postgres` OS user to run it as")
        base = Path(tempfile.mkdtemp(prefix="amazon_zoho_pg_"))
        shutil.chown(base, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    else:
        base = tmp_path_factory.mktemp("postgres")
        run_as = []
    password = secrets.token_urlsafe(16)
    pwfile = base / "pwfile"
    pwfile.write_text(password + "\n")
    if as_root:
        shutil.chown(pwfile, "postgres", "postgres")
    data, log = base / "data", base / "server.log"

    def pg(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*run_as, *args], capture_output=True, text=True, timeout=120)

    init = pg(str(bin_dir / "initdb"), "-D", str(data), "-U", "dagster", f"--pwfile={pwfile}",
              "--auth=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync")
    assert init.returncode == 0, init.stderr
    started = False
    try:
        for _ in range(3):  # another process may take the free port between the probe and the bind
            port = _free_port()
            options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off -c full_page_writes=off"
            start = pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
            if start.returncode == 0:
                started = True
                break
        assert started, f"pg_ctl start failed: {start.stderr}\n{log.read_text() if log.exists() else ''}"
        env = {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(port),
            "DAGSTER_PG_USERNAME": "dagster",
            "DAGSTER_PG_PASSWORD": password,
            "DAGSTER_PG_DB": "dagster_prod",
        }
        _psql(env, "postgres", "CREATE DATABASE dagster_prod")
        yield env
    finally:
        if started:
            pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        if as_root:
            shutil.rmtree(base, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _psql(env: dict[str, str], db: str, sql: str) -> list[list[str]]:
    """Ask the server with its own client, not through Dagster: what is really stored."""
    result = subprocess.run(
        [str(_pg_bin() / "psql"), "-h", env["DAGSTER_PG_HOST"], "-p", env["DAGSTER_PG_PORT"], "-U", env["DAGSTER_PG_USERNAME"],
         "-d", db, "-X", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
        env={**os.environ, "PGPASSWORD": env["DAGSTER_PG_PASSWORD"]}, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [line.split("\t") for line in result.stdout.splitlines() if line]


@pytest.fixture
def production_home(postgres, tmp_path, monkeypatch) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROFILE, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name, value in postgres.items():
        monkeypatch.setenv(name, value)
    return home


def test_profile_configures_postgres_storage_queue_pool_and_retries(production_home):
    from dagster._core.run_coordinator import QueuedRunCoordinator
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        concurrency = instance.get_concurrency_config()
        assert concurrency.pool_config.default_pool_limit == 1
        assert concurrency.run_queue_config.max_concurrent_runs == 1
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 2
        assert instance.run_monitoring_enabled
    # The password came from the environment and is nowhere in the profile.
    assert os.environ["DAGSTER_PG_PASSWORD"] not in PROFILE.read_text()


def test_a_partition_run_and_its_materializations_are_stored_in_postgres(production_home, postgres, resources, project_env):
    day = day_ago(2).isoformat()
    with dg.DagsterInstance.get() as instance:
        result = dg.materialize(list(defs.assets), resources=resources, partition_key=day, instance=instance)
        assert result.success
        materialized = {e.asset_key for e in result.get_asset_materialization_events()}
        assert materialized, "the run materialized nothing"

    # A new instance from the same profile (as after a webserver restart) finds the history in Postgres.
    with dg.DagsterInstance.get() as instance:
        run = instance.get_run_by_id(result.run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags.get("dagster/partition") == day
        for key in materialized:
            event = instance.get_latest_materialization_event(key)
            assert event is not None and event.run_id == result.run_id, key
            assert event.dagster_event.partition == day, key
        # The writer pool exists in Postgres with the profile's default limit of 1 slot.
        assert instance.event_log_storage.get_concurrency_info("duckdb_writer").slot_count == 1

    [[status]] = _psql(postgres, postgres["DAGSTER_PG_DB"], f"SELECT status FROM runs WHERE run_id = '{result.run_id}'")
    assert status == "SUCCESS"
    rows = _psql(postgres, postgres["DAGSTER_PG_DB"],
                 "SELECT asset_key, partition FROM event_logs "
                 f"WHERE run_id = '{result.run_id}' AND dagster_event_type = 'ASSET_MATERIALIZATION'")
    assert {dg.AssetKey(json.loads(key)) for key, _ in rows} == materialized
    assert {partition for _, partition in rows} == {day}

    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM core.orders WHERE purchase_date = ?", [day]).fetchone()[0] > 0



# --- One code location per seller (deploy/production/workspace.yaml) ---

SELLERS_DIR = ROOT / "deploy" / "production" / "sellers"
SELLERS = ("acme_eu", "globex_na")


def _sellers_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    # The test's pinned clock (AMAZON_ZOHO_NOW) is shared by every seller, like any unprefixed setting.
    env = {k: v for k, v in os.environ.items()
           if k == "AMAZON_ZOHO_NOW" or not k.startswith(("AMAZON_", "ZOHO_", "ACME_EU__", "GLOBEX_NA__"))}
    for seller in SELLERS:
        env[f"{seller.upper()}__AMAZON_ZOHO_WAREHOUSE"] = str(tmp_path / seller / "warehouse.duckdb")
        env[f"{seller.upper()}__AMAZON_ZOHO_ARCHIVE_DIR"] = str(tmp_path / seller / "archive")
    env["GLOBEX_NA__AMAZON_MARKETPLACE_IDS"] = "ATVPDKIKX0DER,A2EUQ1WTGCTBG2"
    return {**env, **extra}


def _in_seller_process(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Python in a fresh process, as Dagster runs each code location and each run."""
    path = os.pathsep.join(filter(None, [str(SELLERS_DIR), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-c", code], cwd=SELLERS_DIR, env={**env, "PYTHONPATH": path},
                          capture_output=True, text=True, timeout=300)


def test_workspace_loads_one_code_location_per_seller(tmp_path):
    env = _sellers_env(tmp_path, DAGSTER_HOME=str(tmp_path))
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    validate = subprocess.run([sys.executable, "-m", "dagster", "definitions", "validate", "-w", str(ROOT / "deploy/production/workspace.yaml")],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    for seller in SELLERS:
        assert f"Validation successful for code location {seller}" in validate.stdout + validate.stderr

    project_keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    seen = {}
    for seller in SELLERS:
        probe = _in_seller_process(
            f"import json, {seller}\n"
            "from seller_location import seller_settings\n"
            f"keys = [k.to_user_string() for k in {seller}.defs.resolve_asset_graph().get_all_asset_keys()]\n"
            f"s = seller_settings('{seller}')\n"
            "print(json.dumps({'keys': keys, 'warehouse': s.warehouse_path, 'region': s.region}))",
            env,
        )
        assert probe.returncode == 0, probe.stderr
        seen[seller] = json.loads(probe.stdout.strip().splitlines()[-1])
        assert {key.removeprefix(f"{seller}/") for key in seen[seller]["keys"]} == project_keys
        assert seen[seller]["warehouse"] == str(tmp_path / seller / "warehouse.duckdb")
    assert not set(seen["acme_eu"]["keys"]) & set(seen["globex_na"]["keys"])
    assert (seen["acme_eu"]["region"], seen["globex_na"]["region"]) == ("eu", "na")


def test_a_seller_needs_its_own_warehouse(tmp_path):
    env = _sellers_env(tmp_path)
    del env["ACME_EU__AMAZON_ZOHO_WAREHOUSE"]
    missing = _in_seller_process("import acme_eu", env)
    assert missing.returncode != 0 and "ACME_EU__AMAZON_ZOHO_WAREHOUSE" in missing.stderr
    # A shared (unprefixed) warehouse is no seller's own: it would put every seller in one file.
    shared = _in_seller_process("import acme_eu", {**env, "AMAZON_ZOHO_WAREHOUSE": str(tmp_path / "shared.duckdb")})
    assert shared.returncode != 0 and "ACME_EU__AMAZON_ZOHO_WAREHOUSE" in shared.stderr


def test_a_seller_location_builds_only_its_own_definitions(tmp_path):
    """Loading a seller builds no unprefixed location first: shared settings that only suit the sellers (a North
    American region, where the default marketplaces are European) do not stop it loading."""
    env = _sellers_env(tmp_path, AMAZON_REGION="na")
    loaded = _in_seller_process("import sys, globex_na\nprint('amazon_zoho.definitions' in sys.modules)", env)
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert loaded.stdout.strip().splitlines()[-1] == "False"


def test_two_sellers_are_two_settings_objects_in_one_process(tmp_path):
    """Nothing reads the environment behind build_defs' back: both locations load side by side, each with its own
    settings, keys, warehouse, region and SP-API rate-limit buckets, and the process environment is untouched."""
    env = _sellers_env(tmp_path, GLOBEX_NA__AMAZON_ZOHO_PII_SALT="globex-salt")
    both = _in_seller_process(
        "import json, os\n"
        "before = dict(os.environ)\n"
        "import acme_eu, globex_na\n"
        "out = {}\n"
        "for name, module in (('acme_eu', acme_eu), ('globex_na', globex_na)):\n"
        "    r = module.defs.resources\n"
        "    out[name] = {'keys': sorted(k.to_user_string() for k in module.defs.resolve_asset_graph().get_all_asset_keys()),\n"
        "                 'warehouse': r['warehouse'].path, 'region': r['amazon'].region, 'seller_key': r['amazon'].seller_key,\n"
        "                 'marketplaces': r['amazon'].marketplace_ids,\n"
        "                 'salt': r['warehouse'].process_config_and_initialize().pii_salt}\n"
        "out['environment_untouched'] = dict(os.environ) == before\n"
        "print(json.dumps(out))",
        env,
    )
    assert both.returncode == 0, both.stderr[-3000:]
    seen = json.loads(both.stdout.strip().splitlines()[-1])
    acme, globex = seen["acme_eu"], seen["globex_na"]
    assert seen["environment_untouched"]
    assert all(k.startswith("acme_eu/") for k in acme["keys"]) and all(k.startswith("globex_na/") for k in globex["keys"])
    assert [k.removeprefix("acme_eu/") for k in acme["keys"]] == [k.removeprefix("globex_na/") for k in globex["keys"]]
    assert (acme["warehouse"], globex["warehouse"]) == (str(tmp_path / "acme_eu" / "warehouse.duckdb"), str(tmp_path / "globex_na" / "warehouse.duckdb"))
    assert (acme["region"], globex["region"]) == ("eu", "na") and globex["marketplaces"] == ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]
    assert (acme["seller_key"], globex["seller_key"]) == ("acme_eu", "globex_na")
    assert (acme["salt"], globex["salt"]) == ("amazon_zoho", "globex-salt")


def test_a_seller_run_lands_in_its_warehouse_and_under_its_keys_in_postgres(production_home, postgres, sandbox, tmp_path):
    day = day_ago(2).isoformat()
    env = _sellers_env(tmp_path, DAGSTER_HOME=str(production_home), **postgres,
                       AMAZON_ZOHO_SANDBOX_URL=sandbox.url, AMAZON_ZOHO_SANDBOX_TIME_SCALE="1000")
    run = _in_seller_process(
        "import dagster as dg, acme_eu\n"
        "with dg.DagsterInstance.get() as instance:\n"
        f"    result = acme_eu.defs.resolve_job_def('daily_refresh').execute_in_process(instance=instance, partition_key='{day}')\n"
        "print(result.run_id if result.success else 'FAILED')",
        env,
    )
    # A multi-asset that names its keys literally (MaterializeResult(asset_key=["core", ...])) fails here with
    # "not found in AssetsDefinition": it must take them from the running asset (amazon_zoho/warehouse/keys.py).
    assert run.returncode == 0, run.stderr[-3000:]
    run_id = run.stdout.strip().splitlines()[-1]
    assert run_id != "FAILED", run.stderr[-3000:]

    rows = _psql(postgres, postgres["DAGSTER_PG_DB"],
                 f"SELECT DISTINCT asset_key FROM event_logs WHERE run_id = '{run_id}' AND dagster_event_type = 'ASSET_MATERIALIZATION'")
    keys = [dg.AssetKey(json.loads(key)) for [key] in rows]
    assert keys and all(key.path[0] == "acme_eu" for key in keys)
    with duckdb.connect(str(tmp_path / "acme_eu" / "warehouse.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM core.orders WHERE purchase_date = ?", [day]).fetchone()[0] > 0
    assert not (tmp_path / "globex_na" / "warehouse.duckdb").exists()

"""A user's backfill from the Dagster UI, in a real browser: `dagster dev` runs the project against the sandbox,
headless Chromium clicks "Materialize all…", picks a range of days and launches the backfill; when it has
succeeded, DuckDB and the sandbox's Zoho hold those days' orders."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from amazon_zoho_tests.truth import day_ago, truth_orders, zoho_records

ROOT = Path(__file__).resolve().parents[2]
INSTANCE_YAML = ROOT / "amazon_zoho" / "cli" / "dagster.yaml"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SCREENSHOTS = ROOT / "data" / "screenshots"
# Chromium with no network of its own: no sync, updates or first-run calls home.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1600,1000")
TERMINAL_BACKFILL = {"COMPLETED_SUCCESS", "COMPLETED_FAILED", "COMPLETED", "FAILED", "CANCELED", "FAILING", "CANCELING"}

BACKFILL_QUERY = """query ($id: String!) { partitionBackfillOrError(backfillId: $id) {
  __typename ... on PartitionBackfill { status partitionNames runs(limit: 20) { runId status } } ... on PythonError { message } } }"""
STEP_FAILURES_QUERY = """query ($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events {
  __typename ... on ExecutionStepFailureEvent { stepKey error { message causes { message } } } } } } }"""
LOCATIONS_QUERY = """{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


def _require(found: bool, what: str) -> None:
    """Missing system packages skip the test on a developer's machine; in CI they are a failure."""
    if found:
        return
    message = f"{what}; on Debian: apt-get install chromium chromium-driver (.ci/run does this in CI)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _default_signals() -> None:
    # A parent that ignores SIGINT/SIGTERM (some job runners do) would pass that on, and dagster dev would
    # then ignore the Ctrl-C we send it to shut down.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def _graphql(url: str, query: str, **variables) -> dict:
    response = requests.post(f"{url}/graphql", json={"query": query, "variables": variables}, timeout=30)
    response.raise_for_status()
    return response.json()["data"]


@pytest.fixture
def dagster_dev(sandbox, project_env, tmp_path):
    """`dagster dev` (webserver + daemon) on an ephemeral loopback port, on the project's instance settings."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(INSTANCE_YAML, home / "dagster.yaml")
    url = f"http://127.0.0.1:{_free_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AMAZON_", "ZOHO_", "DAGSTER_"))}
    # Intraday off: this test is about the backfill, and the intraday sensor (on by default) would bring today's and
    # other days' orders to Zoho beside it, which the assertion below (Zoho holds only the backfill's days) forbids.
    env.update(project_env, DAGSTER_HOME=str(home), AMAZON_ZOHO_INTRADAY="0")
    log_path = tmp_path / "dagster_dev.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dagster", "dev", "-w", str(ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", url.rsplit(":", 1)[1]],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_default_signals,
        )
    try:
        _wait_until_loaded(url, process, log_path)
        yield url
    finally:
        # Ctrl-C to the whole group, as a terminal would; then make sure nothing is left behind.
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def _wait_until_loaded(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dagster dev exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            entries = _graphql(url, LOCATIONS_QUERY)["workspaceOrError"]["locationEntries"]
        except (requests.RequestException, KeyError, TypeError):
            entries = []
        if entries and all(e["loadStatus"] == "LOADED" for e in entries):
            errors = [e["locationOrLoadError"]["message"] for e in entries if e["locationOrLoadError"]["__typename"] == "PythonError"]
            assert not errors, f"the code location failed to load: {errors}"
            return
        time.sleep(1)
    pytest.fail(f"dagster dev did not load the workspace within 180 s:\n{log_path.read_text()[-4000:]}")


@pytest.fixture
def browser(tmp_path):
    _require(CHROMIUM.exists() and CHROMEDRIVER.exists(), f"{CHROMIUM} or {CHROMEDRIVER} not found")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    # An explicit driver path: Selenium Manager never runs, so nothing is downloaded.
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER), log_output=str(tmp_path / "chromedriver.log")), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def _until(driver, condition, message: str, timeout: float = 60):
    # The UI re-renders as data arrives: an element found a moment ago may be gone or covered; look again.
    ignored = (StaleElementReferenceException, ElementClickInterceptedException, ElementNotInteractableException)
    return WebDriverWait(driver, timeout, poll_frequency=0.25, ignored_exceptions=ignored).until(condition, message)


def _dialog(driver, title: str):
    return next((e for e in driver.find_elements(By.CSS_SELECTOR, "[role=dialog]") if title in e.text), None)


def _button(scope, text: str):
    """The visible, enabled button whose label starts with `text`: labels are what users click; classes change."""
    for button in scope.find_elements(By.TAG_NAME, "button"):
        if button.is_displayed() and button.is_enabled() and button.text.strip().startswith(text):
            return button
    return None


def _click(driver, text: str, dialog: str | None = None, timeout: float = 60) -> None:
    def click(d):
        scope = _dialog(d, dialog) if dialog else d
        button = scope and _button(scope, text)
        if button:
            button.click()
            return True
        return False

    _until(driver, click, f"no button '{text}'" + (f" in the dialog '{dialog}'" if dialog else ""), timeout)


def _screenshot(driver, tmp_path: Path, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(tmp_path / name))
    shutil.copy(tmp_path / name, SCREENSHOTS / name)
    return SCREENSHOTS / name


def _launch_backfill_from_the_asset_graph(driver, url: str, first: str, last: str, tmp_path: Path) -> str:
    driver.get(f"{url}/asset-groups")
    _until(driver, lambda d: _button(d, "Materialize all"), "the asset graph has no 'Materialize all…' button")
    try:  # the first visit may greet with "Join the Dagster community"
        _click(driver, "Skip", timeout=3)
    except TimeoutException:
        pass
    _click(driver, "Materialize all")

    launch = "Launch runs to materialize"
    selection = f"[{first}...{last}]"

    def type_range(d):
        field = _dialog(d, launch).find_element(By.CSS_SELECTOR, "input[type=text]")
        field.click()
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(selection, Keys.ENTER)
        return True

    _until(driver, lambda d: _dialog(d, launch), "the launch dialog did not open")
    _until(driver, type_range, "could not type the partition range")
    _until(driver, lambda d: "3 partitions" in _dialog(d, launch).text, f"the dialog did not select {selection}", timeout=30)
    _screenshot(driver, tmp_path, "browser_backfill_launch.png")
    _click(driver, "Launch backfill", dialog=launch)

    toast = _until(driver, lambda d: re.search(r"Created backfill (\w+)", d.find_element(By.TAG_NAME, "body").text), "no 'Created backfill' toast")
    return toast.group(1)


def _wait_for_backfill(url: str, backfill_id: str) -> dict:
    deadline = time.monotonic() + 420
    while time.monotonic() < deadline:
        backfill = _graphql(url, BACKFILL_QUERY, id=backfill_id)["partitionBackfillOrError"]
        assert backfill["__typename"] == "PartitionBackfill", backfill
        running = [r for r in backfill["runs"] if r["status"] in ("QUEUED", "NOT_STARTED", "STARTING", "STARTED")]
        if backfill["status"] in TERMINAL_BACKFILL and not running:
            return backfill
        time.sleep(2)
    pytest.fail(f"backfill {backfill_id} still {backfill['status']} after 420 s: {backfill['runs']}")


def _step_failures(url: str, runs: list[dict]) -> list[str]:
    failures = []
    for run in runs:
        if run["status"] == "FAILURE":
            for event in _graphql(url, STEP_FAILURES_QUERY, id=run["runId"])["logsForRun"].get("events", []):
                if event["__typename"] == "ExecutionStepFailureEvent":
                    causes = " / ".join(c["message"] for c in event["error"]["causes"])
                    failures.append(f"{run['runId'][:8]} {event['stepKey']}: {event['error']['message']} {causes}"[:1500])
    return failures


def _read_warehouse(path: str, sql: str, params: list) -> list[tuple]:
    # Another run (a sensor, the schedule) may hold the writer lock for a moment.
    deadline = time.monotonic() + 120
    while True:
        try:
            with duckdb.connect(path, read_only=True) as conn:
                return conn.execute(sql, params).fetchall()
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


# Dagster's daemon (schedules, backfills) runs in its own process and reads the machine's clock.
@pytest.mark.system_clock
def test_backfill_launched_in_the_ui_lands_in_duckdb_and_zoho(browser, dagster_dev, sandbox, project_env, tmp_path):
    first, last = day_ago(4), day_ago(2)
    backfill_id = _launch_backfill_from_the_asset_graph(browser, dagster_dev, first.isoformat(), last.isoformat(), tmp_path)

    backfill = _wait_for_backfill(dagster_dev, backfill_id)
    # What the user sees afterwards (also when it failed): the backfill's page.
    browser.get(f"{dagster_dev}/runs/b/{backfill_id}?tab=runs")
    page = _until(browser, lambda d: re.search(r"Partition selection\s+\S+\s+Status\s+(\w+)", d.find_element(By.TAG_NAME, "body").text),
                  "the backfill page did not show its status")
    try:  # let the runs table render before the picture
        _until(browser, lambda d: all(r["runId"][:8] in d.find_element(By.TAG_NAME, "body").text for r in backfill["runs"]), "", timeout=20)
    except TimeoutException:
        pass
    _screenshot(browser, tmp_path, "browser_backfill_done.png")

    assert backfill["partitionNames"] == [day_ago(n).isoformat() for n in (4, 3, 2)]
    assert backfill["status"] == "COMPLETED_SUCCESS", _step_failures(dagster_dev, backfill["runs"])
    assert backfill["runs"] and all(r["status"] == "SUCCESS" for r in backfill["runs"])
    assert page.group(1).startswith("Succeeded"), f"the UI says {page.group(1)!r}"

    truth = {o["orderId"]: o for o in truth_orders(sandbox.url, first, last)}
    rows = _read_warehouse(project_env["AMAZON_ZOHO_WAREHOUSE"],
                           "SELECT order_id, purchase_date FROM core.orders WHERE purchase_date BETWEEN ? AND ?", [first, last])
    assert truth and {order_id for order_id, _ in rows} == set(truth)
    assert {day for _, day in rows} == {day_ago(n) for n in (4, 3, 2)}

    in_zoho = {r.get("Amazon_Order_ID") for r in zoho_records(sandbox.url, "Sales_Orders")}
    shipped_or_later = {oid for oid, o in truth.items() if o["status"] != "PENDING"}
    assert shipped_or_later and shipped_or_later <= in_zoho <= set(truth)

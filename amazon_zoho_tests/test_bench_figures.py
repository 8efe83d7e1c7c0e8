"""The whole-graph bench's figures (issue 17): the sandbox's CPU and peak memory are read from its own process, and
the memory growth between two windows is judged against the goal."""

import shutil
import subprocess
import sys

import pytest

from amazon_zoho.bench.__main__ import growth, pieces, side_by_side
from amazon_zoho.cli.sandbox_process import process_usage

_BURN = ("import time; x = bytearray(150 * 2**20); t = time.process_time()\n"
         "while time.process_time() - t < 0.5: pass\nprint('ready', flush=True); time.sleep(30)")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux's /proc")
def test_a_processes_cpu_and_peak_memory_are_its_own():
    child = subprocess.Popen([sys.executable, "-c", _BURN], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        usage = process_usage(child.pid)
    finally:
        child.kill()
        child.wait()
    assert usage["cpu_seconds"] >= 0.4
    assert 150 <= usage["peak_rss_mb"] < 400
    assert process_usage(child.pid) == {}, "a reaped process has no figures"


def test_growth_is_judged_against_the_goal():
    def run(days, rss):
        return ("t", "full_year", {"days": days, "orders_per_day": 1000}, {"client_peak_rss_mb": rss})

    assert "+5% (within" in growth([run(365, 1050), run(90, 1000)])
    assert "+50% (over" in growth([run(90, 1000), run(365, 1500)])
    assert growth([run(90, 1000)]) == ""


def test_whole_graph_runs_at_two_windows_and_at_ten_times_the_volume():
    runs = [kwargs for _, module, kwargs in pieces() if module == "full_year"]
    assert runs == [{"days": 90, "orders_per_day": 1000}, {"days": 365, "orders_per_day": 1000}, {"days": 14, "orders_per_day": 10_000},
                    {"days": 365, "orders_per_day": 1000, "memory_cap_mb": 1536}]
    runs = [kwargs for _, module, kwargs in pieces([30, 60], 3) if module == "full_year"]
    assert runs == [{"days": 30, "orders_per_day": 1000}, {"days": 60, "orders_per_day": 1000}, {"days": 3, "orders_per_day": 10_000},
                    {"days": 60, "orders_per_day": 1000, "memory_cap_mb": 1536}], "the capped run repeats the longest window"


def test_the_capped_run_is_judged_on_its_cap_alone():
    uncapped = ("t", "full_year", {"days": 90, "orders_per_day": 1000}, {"client_peak_rss_mb": 700, "success": True})
    capped = ("t", "full_year", {"days": 365, "orders_per_day": 1000, "memory_cap_mb": 1536},
              {"success": True, "client_peak_rss_mb": 782.4, "sandbox_cpu_share_of_wall": 0.19, "memory_cap_enforced_by": "cgroup v1",
               "memory_cap_max_usage_mb": 1536.0, "memory_cap_limit_hits": 336319, "memory_cap_oom_kills": 0, "memory_cap_held": True})
    assert growth([uncapped, capped]) == "", "a capped run's memory is not the uncapped one's: no growth from it"
    text = side_by_side([uncapped, capped])
    assert "| 90 d × 1,000/d | 365 d × 1,000/d, 1,536 MB cap |" in text
    line = text.split("- 365 d × 1,000/d, 1,536 MB cap: ")[1].split("\n")[0]
    assert line.startswith("the cap held: client peak RSS 782.4 MB (cgroup max usage 1536.0 MB, 336319 failed charges counted by the kernel, 0 OOM kills)")
    assert "sandbox CPU" not in line, "its wall is not comparable"
    killed = ("t", "full_year", {"days": 365, "orders_per_day": 1000, "memory_cap_mb": 1536}, {"error": "Killed"})
    assert "1,536 MB cap: the cap did NOT hold, the run ended without figures (Killed)" in side_by_side([uncapped, killed])
    assert "the cap did NOT hold" in side_by_side([(*capped[:3], {**capped[3], "memory_cap_held": False})])




def test_whole_graph_runs_are_shown_side_by_side_against_the_goals():
    def run(days, per_day, rss, share, credits):
        return ("t", "full_year", {"days": days, "orders_per_day": per_day},
                {"client_peak_rss_mb": rss, "sandbox_cpu_share_of_wall": share, "zoho_credits / floor": credits, "wall_seconds": 10})

    text = side_by_side([run(90, 1000, 1200, 0.2, 1.01), run(365, 1000, 900, 0.3, 1.02), run(14, 10_000, 1100, 0.1, 1.05),
                         ("t", "zoho_credits", {}, {"client_peak_rss_mb": 1})])
    assert "| client peak RSS (MB) | 1200 | 900 | 1100 |" in text
    # The 1 GiB goal is judged at 365 days and at ten times the volume, not at 90 days.
    assert "- 90 d × 1,000/d: sandbox CPU 0.2 within" in text and "client peak RSS (MB) 1200" not in text.split("- 90 d")[1].split("\n")[0]
    assert "- 365 d × 1,000/d: client peak RSS (MB) 900 within the goal of 1024; sandbox CPU 0.3 OVER" in text
    assert "- 14 d × 10,000/d: client peak RSS (MB) 1100 OVER" in text and "credits / floor 1.05 OVER" in text
    assert side_by_side([("t", "zoho_credits", {}, {})]) == ""


def _hold_200_mb(seconds: float) -> None:
    """Holds 200 MB for `seconds` and lets it go before returning, so the step's highest sample is taken in here."""
    import time

    held = bytearray(200 * 2**20)
    held[:: 4096] = b"x" * len(held[:: 4096])  # touch every page, so it is resident
    time.sleep(seconds)
    del held


def test_step_memory_sees_a_step_grow_and_agrees_with_the_kernels_peak():
    """The per-step peaks come from /proc/self/statm; the kernel's own high-water mark (getrusage's ru_maxrss, in KiB
    on Linux) must be at least each of them, a step that holds 200 MB more must show it, and its peak names the line
    that held it."""
    import resource
    import time
    from pathlib import Path

    from amazon_zoho.bench.full_year import StepMemory

    with StepMemory(every=0.02, within=Path(__file__).parent) as memory:
        memory.enter("small")
        time.sleep(0.2)
        memory.enter("big")
        _hold_200_mb(0.3)
    kernel_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert memory.peaks["big"] - memory.peaks["small"] > 150
    assert max(memory.peaks.values()) <= kernel_peak_mb + 1
    held_at, caller = memory.at["big"].split(" < ")
    assert held_at.startswith("test_bench_figures.py:") and held_at.endswith(" _hold_200_mb"), memory.at
    assert caller.endswith(" test_step_memory_sees_a_step_grow_and_agrees_with_the_kernels_peak"), memory.at
    assert memory.at["small"].endswith(" test_step_memory_sees_a_step_grow_and_agrees_with_the_kernels_peak"), memory.at


def test_a_cap_that_cannot_be_enforced_says_so_and_only_compares_the_peak(tmp_path):
    from amazon_zoho.bench.memory_cap import MemoryCap

    with MemoryCap(1536, root=tmp_path) as cap:  # no cgroup hierarchy under an empty folder
        pass
    figures = cap.figures(peak_rss_mb=1600.0)
    assert figures["memory_cap_enforced_by"].startswith("no memory cgroup could be made here")
    assert figures["memory_cap_held"] is False, "a peak over the cap is a cap not held, enforced or not"
    assert cap.figures(peak_rss_mb=700.0)["memory_cap_held"] is True
    assert MemoryCap(None).figures(700.0) == {}


def test_a_v2_cap_limits_the_process_and_reports_the_kernels_counts(tmp_path):
    """A cgroup v2 tree as the kernel lays it out (cgroup-v2.rst: memory.max, memory.events, memory.peak), in a folder:
    the cap is written in bytes, this process is moved in and back out, and the kernel's counts are read before."""
    import os

    from amazon_zoho.bench.memory_cap import MemoryCap

    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    with MemoryCap(1536, root=tmp_path) as cap:
        group = tmp_path / f"amazon-zoho-bench-{os.getpid()}"
        assert (group / "memory.max").read_text() == str(1536 * 2**20)
        assert (group / "cgroup.procs").read_text() == str(os.getpid())
        (group / "memory.events").write_text("low 0\nhigh 0\nmax 12\noom 0\noom_kill 0\n")
        (group / "memory.peak").write_text(str(1500 * 2**20))
    assert (tmp_path / "cgroup.procs").read_text() == str(os.getpid()), "the process goes back where it came from"
    assert cap.figures(780.0) == {"memory_cap_mb": 1536, "memory_cap_enforced_by": "cgroup v2", "memory_cap_max_usage_mb": 1500.0,
                                  "memory_cap_limit_hits": 12, "memory_cap_oom_kills": 0, "memory_cap_held": True}


_OVER_THE_CAP = """
import sys
from pathlib import Path
from amazon_zoho.bench.memory_cap import MemoryCap
with MemoryCap(200) as cap:
    if cap.version is None:
        print("unenforced", flush=True)
        sys.exit(0)
    print("capped", flush=True)
    blocks = [bytearray(2**20) for _ in range(600)]  # 600 MB of pages touched, against a cap of 200
print("survived", flush=True)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux cgroups")
def test_the_kernel_stops_a_process_that_outgrows_its_cap():
    from amazon_zoho.bench.memory_cap import CGROUP_ROOT

    child = subprocess.Popen([sys.executable, "-c", _OVER_THE_CAP], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = child.communicate(timeout=120)
    finally:
        child.kill()
        # A killed process cannot remove its cgroup; the kernel lets an empty one go.
        for group in (CGROUP_ROOT / f"amazon-zoho-bench-{child.pid}", CGROUP_ROOT / "memory" / f"amazon-zoho-bench-{child.pid}"):
            if group.exists():
                group.rmdir()
    if out.startswith("unenforced"):
        pytest.skip("this machine lets no process make a memory cgroup (not root, no delegated cgroup v2 subtree)")
    assert out.startswith("capped")
    assert "survived" not in out and child.returncode == -9, (child.returncode, out, err[-500:])


def test_a_bench_runs_folder_goes_when_the_run_ends_however_it_ends(capsys):
    from amazon_zoho.bench.scratch import scratch

    with pytest.raises(RuntimeError), scratch("bench-test-") as work:
        (work / "warehouse.duckdb").write_bytes(b"x" * 1024)
        raise RuntimeError("a run that failed half way")
    assert not work.exists(), "a 365-day run left 2.2 GB behind in /tmp"
    with scratch("bench-test-", keep=True) as kept:
        (kept / "warehouse.duckdb").write_bytes(b"x")
    try:
        assert (kept / "warehouse.duckdb").exists() and str(kept) in capsys.readouterr().err
    finally:
        shutil.rmtree(kept)


def test_the_amazon_calls_daily_run_materializes_the_deployments_raw_orders(tmp_path):
    """bench/amazon_calls.py ran raw_orders' compute function as if it were the asset, and `make bench` stopped at its
    first piece; it now takes the asset from the code location and counts the calls of one day."""
    from datetime import timedelta

    from amazon_zoho import clock
    from amazon_zoho.bench.amazon_calls import _daily_run, _resources
    from amazon_zoho.sandbox import Sandbox, SandboxConfig

    config = SandboxConfig(orders_per_day=3, time_scale=10_000.0, report_processing_seconds=1.0)
    with Sandbox(port=0, config=config, state_dir=tmp_path / "sandbox") as sandbox:
        day = clock.today() - timedelta(days=2)
        figures = _daily_run(_resources(sandbox.url, tmp_path / "run", time_scale=10_000), day)
    assert figures["orders"] > 0
    assert figures["calls"]["searchOrders"] >= 1 and set(figures["calls"]) <= {"searchOrders", "getOrder"}

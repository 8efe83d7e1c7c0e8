"""The whole-graph bench's figures (issue 17): the sandbox's CPU and peak memory are read from its own process, and
the memory growth between two windows is judged against the goal."""

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
    assert runs == [{"days": 90, "orders_per_day": 1000}, {"days": 365, "orders_per_day": 1000}, {"days": 14, "orders_per_day": 10_000}]
    runs = [kwargs for _, module, kwargs in pieces([30], 3) if module == "full_year"]
    assert runs == [{"days": 30, "orders_per_day": 1000}, {"days": 3, "orders_per_day": 10_000}]




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


def test_step_memory_sees_a_step_grow_and_agrees_with_the_kernels_peak():
    """The per-step peaks come from /proc/self/statm; the kernel's own high-water mark (getrusage's ru_maxrss, in KiB
    on Linux) must be at least each of them, and a step that holds 200 MB more must show it."""
    import resource
    import time

    from amazon_zoho.bench.full_year import StepMemory

    with StepMemory(every=0.02) as memory:
        memory.step = "small"
        time.sleep(0.2)
        memory.step = "big"
        held = bytearray(200 * 2**20)
        held[:: 4096] = b"x" * len(held[:: 4096])  # touch every page, so it is resident
        time.sleep(0.2)
    del held
    kernel_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert memory.peaks["big"] - memory.peaks["small"] > 150
    assert max(memory.peaks.values()) <= kernel_peak_mb + 1

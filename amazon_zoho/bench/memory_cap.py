"""A memory cap on the bench's own process, for issue #17's check that a 365-day run finishes within 1.5 GiB.

The kernel enforces it where this process may make a memory cgroup (root, or a delegated cgroup v2 subtree): the
process moves itself into a new cgroup limited to the cap, so whatever it starts afterwards is capped with it; the
sandbox, started before, stays outside (it stands in for Amazon and Zoho; it is not our code). A cgroup also charges
the page cache the process causes (cgroup v1: Documentation/admin-guide/cgroup-v1/memory.rst §2.2; v2:
cgroup-v2.rst "Memory Ownership"), so at the limit the kernel reclaims cache first (the limit count says how often) and
kills only when nothing is left to reclaim (the OOM kill count says whether it did; the run then ends without figures).
Where no cgroup can be made, nothing enforces the cap: the figures say so, and only compare the peak resident set
with it.
"""

import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


class MemoryCap:
    """`with MemoryCap(1536) as cap:` runs the block with this process capped at 1,536 MB; `cap.figures(peak_rss_mb)`
    afterwards says how it was enforced and what the cgroup saw. A cap of None does nothing."""

    def __init__(self, cap_mb: int | None, root: Path = CGROUP_ROOT):
        self.cap_mb, self.root = cap_mb, root
        self.group: Path | None = None
        self.version: int | None = None
        self.home: Path | None = None  # the hierarchy's root, where the process goes back to (not necessarily where it was)
        self.why_unenforced = ""
        self.seen: dict = {}

    def __enter__(self) -> "MemoryCap":
        if self.cap_mb is None:
            return self
        try:
            self._enter()
        except OSError as exc:
            self._leave()
            self.group, self.version = None, None
            self.why_unenforced = f"no memory cgroup could be made here ({exc.strerror or exc}): the cap is not enforced"
        return self

    def __exit__(self, *exc) -> None:
        if self.group is not None:
            self.seen = self._read()
            self._leave()

    def _enter(self) -> None:
        limit = str(self.cap_mb * 2**20)
        name = f"amazon-zoho-bench-{os.getpid()}"
        controllers = self.root / "cgroup.controllers"
        if controllers.exists() and "memory" in controllers.read_text().split():
            # v2: one unified hierarchy; a new child of the root takes the memory controller if the root hands it down.
            self.version, self.home, self.group = 2, self.root, self.root / name
            self.group.mkdir()
            (self.group / "memory.max").write_text(limit)
            swap = self.group / "memory.swap.max"
            if swap.exists():
                swap.write_text("0")  # swapping out would hide what does not fit
        elif (self.root / "memory" / "memory.limit_in_bytes").exists():
            self.version, self.home, self.group = 1, self.root / "memory", self.root / "memory" / name
            self.group.mkdir()
            (self.group / "memory.limit_in_bytes").write_text(limit)
            swap = self.group / "memory.memsw.limit_in_bytes"
            if swap.exists():
                swap.write_text(limit)
        else:
            raise OSError("neither cgroup v2 with the memory controller nor a cgroup v1 memory hierarchy is mounted")
        (self.group / "cgroup.procs").write_text(str(os.getpid()))

    def _read(self) -> dict:
        assert self.group is not None
        if self.version == 1:
            oom = _keyed(self.group / "memory.oom_control")
            # With swap accounting on, the memory+swap limit (set equal) is the one reached first and counts the hits.
            hits = [int(path.read_text()) for path in (self.group / "memory.failcnt", self.group / "memory.memsw.failcnt") if path.exists()]
            return {"max_usage_mb": round(int((self.group / "memory.max_usage_in_bytes").read_text()) / 2**20, 1),
                    "limit_hits": max(hits), "oom_kills": oom.get("oom_kill")}
        events = _keyed(self.group / "memory.events")
        peak = self.group / "memory.peak"  # Linux 5.19 and later
        return {"max_usage_mb": round(int(peak.read_text()) / 2**20, 1) if peak.exists() else None,
                "limit_hits": events.get("max"), "oom_kills": events.get("oom_kill")}

    def _leave(self) -> None:
        """Back to the root and the group removed, as far as the kernel allows; a leftover group is only a leftover."""
        try:
            if self.home is not None and self.group is not None and self.group.exists():
                (self.home / "cgroup.procs").write_text(str(os.getpid()))
                self.group.rmdir()  # fails while a child started under the cap still runs: then the group stays
        except OSError:
            pass

    def figures(self, peak_rss_mb: float | None) -> dict:
        """What the bench prints about the cap: its size, what enforced it, what the cgroup saw, and whether the run
        stayed within it (a run the kernel killed prints nothing)."""
        if self.cap_mb is None:
            return {}
        enforced = f"cgroup v{self.version}" if self.version else self.why_unenforced
        within = peak_rss_mb is not None and peak_rss_mb <= self.cap_mb and not self.seen.get("oom_kills")
        return {"memory_cap_mb": self.cap_mb, "memory_cap_enforced_by": enforced, **{f"memory_cap_{k}": v for k, v in self.seen.items()},
                "memory_cap_held": within}


def _keyed(path: Path) -> dict[str, int]:
    """A cgroup file of `key value` lines (memory.events, memory.oom_control) as a dict; {} when it is missing."""
    try:
        rows = [line.split() for line in path.read_text().splitlines()]
    except OSError:
        return {}
    return {row[0]: int(row[1]) for row in rows if len(row) == 2 and row[1].lstrip("-").isdigit()}

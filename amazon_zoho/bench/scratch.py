"""A scratch folder per bench run, removed when the run ends, however it ends.

A 365-day whole-graph run leaves 2.2 GB (warehouse, analyst copy, archive, sandbox state): `make bench` left about
6 GB in /tmp each time, and a machine that ran it a few times filled its disk. `keep=True` (the benches' `--keep`)
leaves the folder for a look afterwards and says where it is.
"""

import contextlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def scratch(prefix: str, keep: bool = False) -> Iterator[Path]:
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work
    finally:
        if keep:
            print(f"kept the run's folder: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

"""An access token shared by every process of one deployment, in a file beside the warehouse.

Each Dagster run is its own process, and the daemon's sensors are another: without a shared token each of them mints
its own. Zoho lets one refresh token mint at most 10 access tokens in 10 minutes and then blocks it for the rest of
the window (API-FACTS.md §7, Zoho accounts' "Refresh Access Token" page), a limit the intraday runs, the daily run,
a backfill and a second writer on DuckLake reach together. Zoho's own Python SDK keeps its tokens the same way, in a
file (`zoho/zohocrm-python-sdk`, `zcrmsdk/src/com/zoho/api/authenticator/store/file_store.py`, `FileStore`), and
reuses a token until it expires.

The file holds the access token, its expiry and the rest of the token answer (Zoho's `api_domain`, which the client
sends its calls to, and the granted `scope`), never the refresh token or the client secret; it is readable by its
owner only. Its name is a hash of the token endpoint, client id and refresh token, so the sellers of one deployment
and the sandboxes of a test run each have their own. An exclusive `flock` on a lock file beside it makes the refresh
single-flight across processes, as `RefreshTokenProvider`'s lock does across threads.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)


class TokenFile:
    def __init__(self, directory: str | Path, service: str, *identity: str):
        digest = hashlib.sha256("\0".join(identity).encode()).hexdigest()[:32]
        self.path = Path(directory) / f"{service}-{digest}.json"
        self._lock_path = self.path.with_suffix(".lock")

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Holds the deployment-wide lock; blocks while another process refreshes."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the flock

    def read(self) -> tuple[str, float, dict] | None:
        """(token, expires_at, the token answer's other fields) as written, or None when there is none or it cannot be read."""
        try:
            body = json.loads(self.path.read_text())
            return str(body["access_token"]), float(body["expires_at"]), dict(body["response"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # Not silent: a torn or foreign file costs a refresh, and the operator sees why once per process.
            log.warning("token file %s unreadable (%s); refreshing instead", self.path, type(exc).__name__)
            return None

    def write(self, token: str, expires_at: float, response: dict) -> None:
        """Atomically (a reader sees the old file or the new one), readable by the owner only."""
        partial = self.path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump({"access_token": token, "expires_at": expires_at, "response": response}, out)
        os.replace(partial, self.path)

    def drop(self, token: str) -> None:
        """Forgets `token` if the file still holds it (another process may have replaced it already)."""
        held = self.read()
        if held is not None and held[0] == token:
            self.path.unlink(missing_ok=True)

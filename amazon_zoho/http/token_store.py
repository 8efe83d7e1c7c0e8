"""An access token shared by every process of one deployment, in a file beside the warehouse.

Each Dagster run is its own process, and the daemon's sensors are another: without a shared token each of them mints
its own. Zoho lets one refresh token mint at most 10 access tokens in 10 minutes and then blocks it for the rest of
the window (API-FACTS.md §7, Zoho accounts' "Refresh Access Token" page), a limit the intraday runs, the daily run,
a backfill and a second writer on DuckLake reach together. Zoho's own Python SDK keeps its tokens the same way, in a
file (`zoho/zohocrm-python-sdk`, `zcrmsdk/src/com/zoho/api/authenticator/store/file_store.py`, `FileStore`), and
reuses a token until it expires.

The file holds the access token, how long it has left and the token answer's `api_domain` (where the client sends its
calls), `scope`, `token_type` and `expires_in`; never the refresh token or the client secret. It is readable by its
owner only, and a file another user could have written is ignored (its `api_domain` would decide where buyer data
goes). Its name is a hash of the token endpoint, client id and refresh token, so the sellers of one deployment and the
sandboxes of a test run each have their own. An exclusive `flock` on a lock file beside it makes the refresh
single-flight across processes, as `RefreshTokenProvider`'s lock does across threads. The cache only saves mints: when
it cannot be used, the provider says so and mints its own (oauth.py).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

# The token answer's fields worth sharing; anything else a server adds stays out of the file.
SHARED_FIELDS = ("api_domain", "scope", "token_type", "expires_in")


class TokenFileUnusable(OSError):
    """The lock was not granted in time, or the directory cannot be written."""


class TokenFile:
    def __init__(self, directory: str | Path, service: str, *identity: str):
        digest = hashlib.sha256("\0".join(identity).encode()).hexdigest()[:32]
        self.path = Path(directory) / f"{service}-{digest}.json"
        self._lock_path = self.path.with_suffix(".lock")

    @contextmanager
    def locked(self, wait_seconds: float) -> Iterator[None]:
        """Holds the deployment-wide lock; waits at most `wait_seconds` while another process refreshes."""
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise TokenFileUnusable(f"{self._lock_path}: {exc.strerror or exc}") from None
        try:
            deadline = time.monotonic() + wait_seconds
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise TokenFileUnusable(f"{self._lock_path} held by another process for over {wait_seconds:.0f} s") from None
                    time.sleep(0.05)
                except OSError as exc:  # e.g. ENOLCK on a network filesystem without locks
                    raise TokenFileUnusable(f"{self._lock_path}: {exc.strerror or exc}") from None
            yield
        finally:
            os.close(fd)  # closing releases the flock

    def read(self) -> tuple[str, float, dict] | None:
        """(token, its expiry on the project clock, the shared answer fields), or None when there is none usable."""
        try:
            held = os.stat(self.path, follow_symlinks=False)
            if not stat.S_ISREG(held.st_mode) or held.st_uid != os.getuid() or held.st_mode & 0o077:
                log.warning("token file %s is not a private file of this user; ignored, this process mints its own", self.path)
                return None
            body = json.loads(self.path.read_text())
            # On the project's one clock, as the provider and the sandbox keep it: a test that moves the clock past the
            # hour sees the shared token expire with the sandbox's. A process pinned elsewhere at worst refreshes once.
            return str(body["access_token"]), float(body["expires_at"]), {k: body["response"][k] for k in SHARED_FIELDS if k in body["response"]}
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # Not silent: a torn or foreign file costs a refresh, and the operator sees why.
            log.warning("token file %s unreadable (%s); refreshing instead", self.path, type(exc).__name__)
            return None

    def write(self, token: str, expires_at: float, response: dict) -> None:
        """Atomically (a reader sees the old file or the new one), readable by the owner only."""
        partial = self.path.with_suffix(f".{os.getpid()}.tmp")
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump({"access_token": token, "expires_at": expires_at,
                           "response": {k: response[k] for k in SHARED_FIELDS if k in response}}, out)
            os.replace(partial, self.path)
        except OSError as exc:
            raise TokenFileUnusable(f"{self.path}: {exc.strerror or exc}") from None

    def drop(self, token: str) -> None:
        """Forgets `token` if the file still holds it (another process may have replaced it already)."""
        held = self.read()
        if held is not None and held[0] == token:
            self.path.unlink(missing_ok=True)

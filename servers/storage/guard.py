"""The single-writer guard: a server that is not configured for several writers (storage.shared) must not
write a database another live server is writing to, since it enforces idempotency in its own memory.

On a local directory the guard is an advisory lock, `flock(2)` on `<dir>/.glm3-<service>.lock`: a server
alone takes it exclusively, a shared one (a replica, a worker) takes it shared, so any number of shared
writers coexist and a lone one coexists with nobody. The kernel drops the lock when the process ends, even by
SIGKILL, so a dead server never blocks the next one. Who holds it is written beside it, one small file per
process under `<dir>/.glm3-writers/`, so a refusal names the other process.

On object storage there is no lock to take; the guard does not check it (see "Several writers on one
database" in docs/storage.md): every server on object storage should be configured with storage.shared.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from glm3.servers.common.settings import ConfigError
from glm3.servers.storage.database import is_local, local_path

log = logging.getLogger("glm3.storage")


class WriterConflict(ConfigError):
    """Another live server writes the database in a way this one cannot share."""


@dataclass
class WriterLock:
    """A held guard; `release()` (or the end of the process) lets it go."""

    service: str
    shared: bool
    _handle: object | None = None
    _info: Path | None = None

    def release(self) -> None:
        if self._info is not None:
            with contextlib.suppress(OSError):
                self._info.unlink()
            self._info = None
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()  # type: ignore[attr-defined]  # closing the file drops the flock


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _holders(directory: Path, service: str) -> list[dict[str, object]]:
    """The live processes that say they write `directory` for `service` (stale files are removed)."""
    found = []
    for path in sorted((directory / ".glm3-writers").glob(f"{service}-*.json")):
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
            pid = int(info["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if info.get("host") == socket.gethostname() and not _alive(pid):
            with contextlib.suppress(OSError):
                path.unlink()
            continue
        found.append(info)
    return found


def _describe(holders: list[dict[str, object]]) -> str:
    if not holders:
        return "another process (it did not say which)"
    parts = []
    for info in holders[:3]:
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(float(info.get("started_at", 0))))
        mode = "as one of several writers" if info.get("shared") else "as its only writer"
        parts.append(f"{info.get('prog', 'a server')} pid {info.get('pid')} on {info.get('host')} ({mode}, since {since} UTC)")
    more = f" and {len(holders) - 3} more" if len(holders) > 3 else ""
    return ", ".join(parts) + more


def acquire(uri: str, service: str, *, shared: bool, prog: str) -> WriterLock:
    """Takes the guard of `service` on the database at `uri`; raises WriterConflict naming the other
    process when it cannot. A no-op on object storage (nothing to lock there)."""
    if not is_local(uri):
        if not shared:
            log.warning(
                "the single-writer guard cannot check object storage: if other servers write this database, "
                "configure every one of them with storage.shared",
                extra={"uri": uri},
            )
        return WriterLock(service, shared)
    directory = local_path(uri)
    directory.mkdir(parents=True, exist_ok=True)
    handle = open(directory / f".glm3-{service}.lock", "a+b")  # noqa: SIM115  # held for the process's life
    try:
        fcntl.flock(handle.fileno(), (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        others = _describe(_holders(directory, service))
        if shared:
            raise WriterConflict(
                f"storage {uri} is being written by {others}, which does not share it; stop that server, "
                "or configure it with storage.shared: true too"
            ) from None
        raise WriterConflict(
            f"storage {uri} is being written by {others}; stop it, use another storage.uri, or give every "
            "server of this database storage.shared: true (several writers)"
        ) from None
    info_dir = directory / ".glm3-writers"
    info_dir.mkdir(exist_ok=True)
    info = info_dir / f"{service}-{os.getpid()}-{secrets.token_hex(3)}.json"  # two in one process: two files
    info.write_text(
        json.dumps(
            {"pid": os.getpid(), "host": socket.gethostname(), "prog": prog, "shared": shared, "started_at": time.time()}
        ),
        encoding="utf-8",
    )
    return WriterLock(service, shared, handle, info)

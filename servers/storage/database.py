"""Opening a LanceDB database (embedded directory or object storage) and probing that it still works."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import lancedb

log = logging.getLogger("glm3.storage")

MIB = 1 << 20


def is_local(uri: str) -> bool:
    """Whether the URI names a directory on this machine rather than object storage."""
    scheme = urlparse(uri).scheme
    return scheme in ("", "file") or len(scheme) == 1  # one letter: a Windows drive


def local_path(uri: str) -> Path:
    """The directory of a local URI (plain path or file: URL)."""
    return Path(urlparse(uri).path if uri.startswith("file:") else uri)


PROBE_BYTES = 64 * 1024  # more than a filesystem's last free block: a full disk refuses it


def _write_probe(directory: Path) -> None:
    """Writes, syncs and removes a small file: reads alone pass on a full or read-only disk."""
    probe = directory / f".glm3-write-probe-{os.getpid()}"
    try:
        with open(probe, "wb") as handle:
            handle.write(b"\0" * PROBE_BYTES)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise OSError(exc.errno, f"storage cannot be written: {exc.strerror}", str(directory)) from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()


class Database:
    """An open LanceDB connection. Table-owning stores are built on it (see the scoring and ops stores)."""

    def __init__(self, uri: str, connection: lancedb.AsyncConnection) -> None:
        self.uri = uri
        self.connection = connection
        self.problem = ""  # why the last probe failed; empty when it passed

    @classmethod
    async def open(
        cls,
        uri: str,
        *,
        index_cache_mb: int = 64,
        metadata_cache_mb: int = 32,
        storage_options: dict[str, str] | None = None,
        read_consistency_s: float | None = None,
    ) -> Database:
        """Connects; a local directory is created if missing. Raises OSError when that is impossible.

        The caches are bounded (LanceDB's defaults, 6 GB and 1 GB, would let the process grow with its
        tables); every table opened on this connection shares them. `read_consistency_s`: how often a table
        looks for commits made by other writers (None: never, right for the only writer; 0: before every
        read). `storage_options` go to the object store (endpoint, region, credentials)."""
        if is_local(uri):
            local_path(uri).mkdir(parents=True, exist_ok=True)
        session = lancedb.Session(
            index_cache_size_bytes=index_cache_mb * MIB, metadata_cache_size_bytes=metadata_cache_mb * MIB
        )
        connection = await lancedb.connect_async(
            uri,
            session=session,
            storage_options=storage_options or None,
            read_consistency_interval=None if read_consistency_s is None else timedelta(seconds=read_consistency_s),
        )
        log.info("storage open", extra={"uri": uri})
        return cls(uri, connection)

    async def probe(self) -> None:
        """Raises when the database cannot be used now: directory gone, bucket unreachable, or (local
        storage) a disk that is full or read-only, found by writing a small file. `problem` keeps why."""
        try:
            if is_local(self.uri):
                path = local_path(self.uri)
                if not path.is_dir():
                    raise FileNotFoundError(f"storage directory {path} is missing")
                await asyncio.to_thread(_write_probe, path)
            await self.connection.list_tables()
        except Exception as exc:
            self.problem = str(exc) or type(exc).__name__
            raise
        self.problem = ""

    async def close(self) -> None:
        self.connection.close()
        log.info("storage closed", extra={"uri": self.uri})

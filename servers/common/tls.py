"""TLS of the gRPC port, with certificates re-read when their files change (no restart to rotate them).

grpc's dynamic server credentials ask `_fetch` for a new configuration at each handshake; it looks at the
files at most every `reload_interval_s` and hands over a new configuration only when one changed and the
new pair loads (a certificate written before its key, or a key that does not match, keeps the previous
pair in force and is logged). Connections already open keep the certificate they started with.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
import time
from pathlib import Path

import grpc

from glm3.servers.common.settings import ConfigError, TlsSection

log = logging.getLogger("glm3.tls")


def _stamp(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class ServerCertificates:
    """The server's certificate, key and (for mutual TLS) client CA, as grpc server credentials."""

    def __init__(self, tls: TlsSection, *, reload_interval_s: float = 2.0) -> None:
        self.tls = tls
        self.reload_interval_s = reload_interval_s
        self.require_client_certificate = bool(tls.client_ca_file)
        self.reloads = 0
        self._lock = threading.Lock()
        self._stamps = self._current_stamps()
        self._checked = time.monotonic()
        try:
            self._initial = self._configuration()
        except (OSError, ssl.SSLError, ValueError) as exc:
            raise ConfigError(f"server.tls: {exc}") from None

    def _paths(self) -> list[str]:
        return [p for p in (self.tls.cert_file, self.tls.key_file, self.tls.client_ca_file) if p]

    def _current_stamps(self) -> list[tuple[int, int, int] | None]:
        return [_stamp(p) for p in self._paths()]

    def _configuration(self) -> object:
        """Reads and checks the files; raises OSError, ssl.SSLError or ValueError naming what is wrong."""
        tls = self.tls
        try:
            ssl.create_default_context().load_cert_chain(tls.cert_file, tls.key_file)
        except ssl.SSLError as exc:
            raise ValueError(
                f"cert_file {tls.cert_file} and key_file {tls.key_file} are not a PEM certificate and its key "
                f"({exc.reason or exc})"
            ) from None
        except OSError as exc:
            raise ValueError(f"cannot read {exc.filename or tls.cert_file}: {exc.strerror or exc}") from None
        cert = Path(tls.cert_file).read_bytes()
        key = Path(tls.key_file).read_bytes()
        root: bytes | None = None
        if tls.client_ca_file:
            try:
                root = Path(tls.client_ca_file).read_bytes()
                ssl.create_default_context(cadata=root.decode("ascii"))
            except (OSError, UnicodeDecodeError, ssl.SSLError) as exc:
                raise ValueError(f"client_ca_file {tls.client_ca_file} is not readable PEM CA certificates ({exc})") from None
        return grpc.ssl_server_certificate_configuration([(key, cert)], root_certificates=root)

    def credentials(self) -> grpc.ServerCredentials:
        return grpc.dynamic_ssl_server_credentials(
            self._initial, self._fetch, require_client_authentication=self.require_client_certificate
        )

    def _fetch(self) -> object | None:
        """Called by grpc at each handshake: a new configuration when the files changed, else None."""
        now = time.monotonic()
        if now - self._checked < self.reload_interval_s:
            return None
        with self._lock:
            if now - self._checked < self.reload_interval_s:
                return None
            self._checked = now
            stamps = self._current_stamps()
            if stamps == self._stamps:
                return None
            try:
                configuration = self._configuration()
            except (OSError, ssl.SSLError, ValueError) as exc:
                log.error("TLS files changed but cannot be used; the previous certificate stays in force: %s", exc)
                return None
            self._stamps = stamps
            self.reloads += 1
            log.info("TLS certificate reloaded", extra={"cert_file": self.tls.cert_file})
            return configuration

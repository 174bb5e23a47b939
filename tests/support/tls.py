"""TLS files and principals files for tests: a throwaway CA (trustme), its server and client certificates.

    tls = make_tls_files(tmp_path)           # CA, and a server certificate for 127.0.0.1 and localhost
    cert, key = tls.client_cert("client.example")
    write_principals(tmp_path / "principals.yaml", [
        {"name": "scraper-1", "roles": ["producer"], "token": "s3cret"},   # stored as its SHA-256
        {"name": "client.example", "roles": ["producer"]},                 # a client certificate identity
    ])

Servers under test bind 127.0.0.1, so clients dial 127.0.0.1:PORT and verify the server against ca_pem.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SERVER_IDENTITIES = ("127.0.0.1", "localhost")


def token_sha256(token: str) -> str:
    """How a principals file stores a bearer token: the hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class TlsFiles:
    """PEM files under `directory`: the CA certificate, the server's chain and key, and client certificates
    made on demand (one pair per name, issued by the same CA)."""

    directory: Path
    ca: Any  # trustme.CA
    ca_pem: Path
    server_cert: Path
    server_key: Path
    _clients: dict[str, tuple[Path, Path]] = field(default_factory=dict)

    def client_cert(self, name: str) -> tuple[Path, Path]:
        """(certificate chain, private key) of a client certificate whose DNS SAN is `name`."""
        if name not in self._clients:
            leaf = self.ca.issue_cert(name)
            cert, key = self.directory / f"client-{name}.pem", self.directory / f"client-{name}.key"
            _write_chain(leaf, cert)
            leaf.private_key_pem.write_to_path(str(key))
            self._clients[name] = (cert, key)
        return self._clients[name]


def _write_chain(leaf: Any, path: Path) -> None:
    for i, blob in enumerate(leaf.cert_chain_pems):
        blob.write_to_path(str(path), append=i > 0)


def make_tls_files(directory: Path, server_identities: Iterable[str] = SERVER_IDENTITIES) -> TlsFiles:
    """A new CA and a server certificate for `server_identities`, written to `directory` (created)."""
    import trustme  # a dev dependency: imported here so that collecting tests never needs it

    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    ca_pem = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_pem))
    server = ca.issue_cert(*server_identities)
    server_cert, server_key = directory / "server.pem", directory / "server.key"
    _write_chain(server, server_cert)
    server.private_key_pem.write_to_path(str(server_key))
    return TlsFiles(directory, ca, ca_pem, server_cert, server_key)


def write_principals(path: Path, principals: Iterable[Mapping[str, Any]]) -> Path:
    """Writes a principals file: each entry has `name`, `roles` and optionally `token` (a str, or a list of
    them), stored as `token_sha256`; an entry without a token is a client-certificate identity."""
    entries = []
    for principal in principals:
        entry: dict[str, Any] = {"name": principal["name"], "roles": list(principal.get("roles", []))}
        tokens = principal.get("token")
        if tokens:
            entry["token_sha256"] = [token_sha256(t) for t in ([tokens] if isinstance(tokens, str) else tokens)]
        entries.append(entry)
    path.write_text(yaml.safe_dump({"principals": entries}, sort_keys=False), encoding="utf-8")
    return path

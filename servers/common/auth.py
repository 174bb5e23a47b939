"""Who is calling: principals with roles, from a file of bearer-token hashes and client-certificate identities.

The principals file (`auth.principals_file`, YAML) is the only place credentials live, and it holds no
secret: a token is stored as its SHA-256, so reading the file does not let anyone call the servers.

    principals:
      - name: scraper-1              # who, as the audit trail and the access log name them
        roles: [producer]            # producer, reader, operator (operator includes reader)
        token_sha256: ["9f86d0..."]  # hex SHA-256 of each token this principal may use (several: rotation)
      - name: ops-bot.internal       # a client certificate whose DNS SAN (else CN) is this name
        roles: [reader]

The file is re-read when it changes (checked at most every `auth.reload_interval_s`, on the next call), so
tokens are added, rotated and revoked without a restart; a file that became invalid is logged and the last
good one stays in force. No gRPC here: the interceptor (`glm3.servers.common.access`) hands over what the
call carried.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from glm3.servers.common.errors import Unauthenticated
from glm3.servers.common.settings import ConfigError

log = logging.getLogger("glm3.auth")

ROLES = ("producer", "reader", "operator")
# A role also grants these: an operator who may change things may read them too.
IMPLIED: dict[str, frozenset[str]] = {"operator": frozenset({"reader"})}
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[A-Za-z0-9@._:/+=-]{1,256}$")


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller: its name, its roles, and whether a credential proved it (False: a server without auth)."""

    name: str
    roles: frozenset[str]
    authenticated: bool = True

    def has(self, role: str) -> bool:
        return any(role == r or role in IMPLIED.get(r, ()) for r in self.roles)


# The caller of a server that runs without authentication (loopback only): every role, no proof.
ANONYMOUS = Principal("anonymous", frozenset(ROLES), authenticated=False)


def token_digest(token: str) -> str:
    """The hex SHA-256 of a token, as the principals file stores it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A new random bearer token (256 bits, URL-safe)."""
    return "glm3_" + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class PrincipalTable:
    """The parsed principals file: token digests (bytes) and certificate names, each with its principal."""

    tokens: tuple[tuple[bytes, Principal], ...]
    by_name: dict[str, Principal]

    @classmethod
    def parse(cls, text: str, source: str) -> PrincipalTable:
        """Raises ConfigError with one line naming the entry and the problem."""
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            at = f" line {where.line + 1}" if where is not None else ""
            raise ConfigError(f"principals file {source}{at} is not valid YAML") from None
        if not isinstance(data, dict) or not isinstance(data.get("principals"), list):
            raise ConfigError(f"principals file {source} must hold `principals:`, a list of entries")
        unknown = set(data) - {"principals"}
        if unknown:
            raise ConfigError(f"principals file {source}: unknown key '{sorted(unknown)[0]}'")
        tokens: list[tuple[bytes, Principal]] = []
        by_name: dict[str, Principal] = {}
        seen: set[str] = set()
        for i, entry in enumerate(data["principals"]):
            where = f"principals file {source}, principals[{i}]"
            if not isinstance(entry, dict):
                raise ConfigError(f"{where} must be a mapping with name and roles")
            extra = set(entry) - {"name", "roles", "token_sha256"}
            if extra:
                raise ConfigError(f"{where}: unknown key '{sorted(extra)[0]}' (known: name, roles, token_sha256)")
            name = entry.get("name")
            if not isinstance(name, str) or not _NAME.match(name):
                raise ConfigError(f"{where}: name must be 1 to 256 letters, digits or @._:/+=-")
            if name in by_name:
                raise ConfigError(f"{where}: principal {name} is listed twice")
            roles = entry.get("roles")
            if not isinstance(roles, list) or not roles or not all(r in ROLES for r in roles):
                raise ConfigError(f"{where} ({name}): roles must be a non-empty list of {', '.join(ROLES)}")
            principal = Principal(name, frozenset(roles))
            by_name[name] = principal
            digests = entry.get("token_sha256", [])
            if isinstance(digests, str):
                digests = [digests]
            if not isinstance(digests, list):
                raise ConfigError(f"{where} ({name}): token_sha256 must be a list of hex SHA-256 digests")
            for digest in digests:
                if not isinstance(digest, str) or not _HEX64.match(digest.lower()):
                    raise ConfigError(
                        f"{where} ({name}): token_sha256 entries are 64 hex digits (the SHA-256 of the token, "
                        "never the token itself)"
                    )
                if digest.lower() in seen:
                    raise ConfigError(f"{where} ({name}): a token hash is listed twice")
                seen.add(digest.lower())
                tokens.append((bytes.fromhex(digest), principal))
        return cls(tuple(tokens), by_name)


class Authenticator:
    """Checks the credential of a call against the principals file, which it re-reads when it changes."""

    def __init__(self, path: str | Path, *, reload_interval_s: float = 2.0) -> None:
        self.path = Path(path)
        self.reload_interval_s = reload_interval_s
        self._lock = threading.Lock()
        self._stamp = self._file_stamp()
        self._table = self._load()  # a bad file at start stops the server (ConfigError)
        self._checked = time.monotonic()
        self.reloads = 0

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _load(self) -> PrincipalTable:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read principals file {self.path}: {exc.strerror or exc}") from None
        return PrincipalTable.parse(text, str(self.path))

    @property
    def table(self) -> PrincipalTable:
        """The principals in force, re-read first when the file changed since the last check."""
        now = time.monotonic()
        if now - self._checked >= self.reload_interval_s:
            self._reload_if_changed(now)
        return self._table

    def _reload_if_changed(self, now: float) -> None:
        with self._lock:
            if now - self._checked < self.reload_interval_s:
                return  # another thread just did
            self._checked = now
            stamp = self._file_stamp()
            if stamp == self._stamp or stamp is None:
                if stamp is None and self._stamp is not None:
                    log.error("principals file is gone; the last one read stays in force", extra={"path": str(self.path)})
                    self._stamp = None
                return
            self._stamp = stamp
            try:
                self._table = self._load()
            except ConfigError as exc:
                log.error("principals file not reloaded: %s; the last good one stays in force", exc)
                return
            self.reloads += 1
            log.info(
                "principals file reloaded",
                extra={"path": str(self.path), "principals": len(self._table.by_name), "tokens": len(self._table.tokens)},
            )

    def authenticate(self, token: str | None, identities: Sequence[str] = ()) -> Principal:
        """The principal of a call: by its bearer token when it carries one (a wrong token is refused even
        with a good certificate), else by its client certificate's identities. Raises Unauthenticated."""
        table = self.table
        if token is not None:
            digest = hashlib.sha256(token.encode("utf-8")).digest()
            found: Principal | None = None
            for stored, principal in table.tokens:  # every entry compared, in constant time each
                if hmac.compare_digest(stored, digest):
                    found = principal
            if found is None:
                raise Unauthenticated("the bearer token is not valid", reason="TOKEN_INVALID")
            return found
        for identity in identities:
            principal = table.by_name.get(identity)
            if principal is not None:
                return principal
        if identities:
            raise Unauthenticated(
                f"the client certificate ({identities[0][:128]}) names no principal of this server",
                reason="CERTIFICATE_UNKNOWN",
            )
        raise Unauthenticated(
            "this server needs a credential: send `authorization: Bearer <token>`", reason="TOKEN_MISSING"
        )


def bearer_token(header: str | None) -> str | None:
    """The token of an `authorization` header value; raises Unauthenticated for another scheme or none."""
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated(
            "the authorization header must be `Bearer <token>`", reason="TOKEN_MALFORMED"
        )
    return token


def describe_roles(roles: Iterable[str]) -> str:
    return ", ".join(sorted(roles)) or "none"

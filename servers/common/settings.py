"""Typed settings of the servers, read once at start: code defaults < YAML file (`--config`) < environment.

Every option is `section.key` in YAML and `GLM3_SECTION_KEY` in the environment (e.g. `server.port` and
`GLM3_SERVER_PORT`); a few also read a standard variable (`OPENAI_API_KEY`, `OPENAI_BASE_URL`) that a
`GLM3_*` one overrides. Unknown YAML keys and invalid values are errors that name the key and where its
value came from.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlparse

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

MIB = 1024 * 1024
ENV_PREFIX = "GLM3_"


class ConfigError(Exception):
    """Configuration that cannot be used; the message is one line naming the key and its source."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def http_url(value: str, problem: str = "must be an http:// or https:// URL") -> str:
    """`value` if it is an http:// or https:// URL with a host; raises ValueError(problem) otherwise."""
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError(problem)
    return value


def _http_url_with_host(value: str) -> str:
    return http_url(value, "must be an http:// or https:// URL with a host")


def _optional_http_url(value: str | None) -> str | None:
    return http_url(value) if value else None


def _optional_secret_http_url(value: SecretStr | None) -> SecretStr | None:
    if value is None or not value.get_secret_value():
        return None
    http_url(value.get_secret_value())
    return value


# Field types for an http(s) URL with a host. The optional ones read an empty value as unset; HttpUrlStr's
# message (checks, runbooks) names the host, as those fields always have.
HttpUrlStr = Annotated[str, AfterValidator(_http_url_with_host)]
OptionalHttpUrlStr = Annotated[str | None, AfterValidator(_optional_http_url)]
OptionalSecretHttpUrl = Annotated[SecretStr | None, AfterValidator(_optional_secret_http_url)]


class TlsSection(Section):
    cert_file: str = Field(
        "", description="PEM certificate chain of the server; set with key_file, the server speaks only TLS"
    )
    key_file: str = Field("", description="PEM private key of cert_file")
    client_ca_file: str = Field(
        "",
        description="PEM CA certificates: set, every client must present a certificate they signed (mutual "
        "TLS), and its identity (DNS SAN, else CN) is the caller's principal",
    )

    @property
    def enabled(self) -> bool:
        return bool(self.cert_file)

    @model_validator(mode="after")
    def _pair(self) -> TlsSection:
        if bool(self.cert_file) != bool(self.key_file):
            raise ValueError("cert_file and key_file go together: set both or neither")
        if self.client_ca_file and not self.cert_file:
            raise ValueError("client_ca_file needs cert_file and key_file (mutual TLS is TLS first)")
        return self


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only (127.0.0.0/8, ::1, localhost)."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class ServerSection(Section):
    host: str = Field(
        "127.0.0.1",
        description="address to listen on; 0.0.0.0 or [::] listens on every interface, which needs server.tls "
        "and auth.principals_file (or server.allow_insecure)",
    )
    port: int = Field(
        50051, ge=0, le=65535, description="TCP port to listen on; 0 picks a free port"
    )
    max_receive_message_bytes: int = Field(
        16 * MIB,
        ge=1024,
        le=1024 * MIB,
        description="largest request message accepted; larger ones get RESOURCE_EXHAUSTED",
    )
    max_send_message_bytes: int = Field(
        16 * MIB, ge=1024, le=1024 * MIB, description="largest response message sent"
    )
    max_concurrent_rpcs: int = Field(
        1024,
        ge=1,
        description="RPCs served at once (open streams included, health checks not counted); more get "
        "RESOURCE_EXHAUSTED (reason TOO_MANY_CALLS)",
    )
    max_streams_per_client: int = Field(
        256,
        ge=1,
        description="streaming RPCs one client host may have open at once; more get RESOURCE_EXHAUSTED "
        "(reason TOO_MANY_STREAMS)",
    )
    max_concurrent_streams: int = Field(
        256,
        ge=1,
        description="calls in flight on one HTTP/2 connection (grpc.max_concurrent_streams); a client's further "
        "calls wait for a free one",
    )
    stream_idle_timeout_s: float = Field(
        600.0,
        ge=0,
        description="a stream whose client sends no frame for this long while the server waits for one is ended "
        "with UNAVAILABLE (reason STREAM_IDLE); 0 disables",
    )
    handshake_timeout_s: float = Field(
        10.0, gt=0, description="a new connection must finish its HTTP/2 (and TLS) handshake within this time"
    )
    max_connection_idle_s: float = Field(
        900.0, ge=0, description="a connection with no call for this long is closed (GOAWAY); 0 disables"
    )
    max_connection_age_s: float = Field(
        3600.0,
        ge=0,
        description="connections are closed gracefully (GOAWAY) after this long, so clients reconnect and load "
        "balancers rebalance; 0 disables",
    )
    max_connection_age_grace_s: float = Field(
        300.0, ge=0, description="calls running when a connection reaches its age get this long to finish"
    )
    keepalive_time_s: float = Field(
        60.0, gt=0, description="seconds of idleness after which the server pings a client"
    )
    keepalive_timeout_s: float = Field(
        20.0, gt=0, description="seconds to wait for a ping reply before closing the connection"
    )
    min_client_ping_interval_s: float = Field(
        10.0,
        gt=0,
        description="clients may ping this often (seconds) without being told too_many_pings",
    )
    shutdown_grace_s: float = Field(
        10.0,
        ge=0,
        description="on SIGTERM/SIGINT, seconds running RPCs get to finish before being cancelled",
    )
    dependency_probe_interval_s: float = Field(
        5.0, gt=0, description="seconds between probes of dependencies (storage) for health"
    )
    dependency_probe_timeout_s: float = Field(
        2.0, gt=0, description="a dependency probe slower than this counts as failed"
    )
    reflection: bool | None = Field(
        None,
        description="serve gRPC server reflection (grpcurl list/describe); unset: on only while host is loopback. "
        "With authentication configured, reflection needs a valid credential",
    )
    allow_insecure: bool = Field(
        False,
        description="allow listening on a non-loopback host without TLS and authentication (logged as a warning "
        "at start); false: such a server refuses to start",
    )
    page_token_secret: SecretStr | None = Field(
        None,
        description="key that signs page tokens (HMAC-SHA256) so clients cannot forge them; unset: random at each "
        "start (tokens end with the process). Give replicas behind one address the same secret",
    )
    tls: TlsSection = Field(TlsSection(), description="TLS of the gRPC port (section server.tls)")
    workers: int | Literal["auto"] = Field(
        1,
        description="serving processes on this port (SO_REUSEPORT), each with its own event loop, under one "
        "supervisor; `auto`: one per CPU core. Above 1 the workers share storage as several writers "
        "(storage.shared) and the supervisor serves their metrics. Scoring server on Linux only: the ops "
        "server refuses above 1 (exit 2)",
    )

    @field_validator("workers")
    @classmethod
    def _workers_positive(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 1 <= value <= 256:
            raise ValueError("must be between 1 and 256, or auto")
        return value

    @property
    def worker_count(self) -> int:
        """`workers` as a number: `auto` is the CPU cores this process may use."""
        if self.workers == "auto":
            try:
                return max(1, len(os.sched_getaffinity(0)))
            except AttributeError:  # not Linux
                return max(1, os.cpu_count() or 1)
        return int(self.workers)

    @property
    def reflection_enabled(self) -> bool:
        return is_loopback(self.host) if self.reflection is None else self.reflection


class AuthSection(Section):
    principals_file: str = Field(
        "",
        description="YAML file of who may call: principals with roles, bearer tokens stored as SHA-256 hashes, "
        "and client-certificate identities; re-read when it changes. Empty: no authentication (loopback only)",
    )
    reload_interval_s: float = Field(
        2.0, gt=0, description="seconds between checks of principals_file and the TLS files for changes"
    )

    @property
    def enabled(self) -> bool:
        return bool(self.principals_file)


class LogSection(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="lowest level logged"
    )
    format: Literal["json", "text"] = Field(
        "json", description="json: one JSON object per line; text: for people at a terminal"
    )

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class StorageSection(Section):
    uri: str = Field(
        "./data/lancedb",
        min_length=1,
        description="LanceDB URI: a local directory (embedded) or object storage such as s3://bucket/path",
    )
    # LanceDB's own defaults (6 GB of index cache, 1 GB of metadata cache) let these caches grow with the
    # tables: RSS +310 MB after 120k streamed signals here (+525 MB after 200k), against +195 MB with 64 MB +
    # 32 MB. What still grows with the table is compaction's working set, not these caches: LanceDB merges
    # new rows into the one growing fragment (up to 1M rows), so each compaction handles more (+85 MB at 25k
    # rows, +174 MB at 300k); servers/common/memory.py returns what it frees (bench/bench_memory.py).
    index_cache_mb: int = Field(
        64, ge=1, description="LanceDB index cache (scalar and full-text index pages), in MiB"
    )
    metadata_cache_mb: int = Field(
        32, ge=1, description="LanceDB metadata cache (manifests, fragment and file metadata), in MiB"
    )
    shared: bool = Field(
        False,
        description="other servers write to this database at the same time (replicas on object storage, or "
        "processes on one host sharing a directory): commits become conflict-checked merges (first commit of a signal wins). "
        "false: this server must be the only writer, and refuses to start while another live one writes",
    )
    read_consistency_s: float = Field(
        1.0,
        ge=0,
        description="how stale a read may be: tables look for other writers' commits at most this often "
        "(LanceDB's read consistency interval; 0 checks before every read). Only with storage.shared",
    )
    options: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="object-store options passed to LanceDB as storage_options (e.g. aws_endpoint, aws_region, "
        "aws_access_key_id, aws_secret_access_key, allow_http); values are masked when printed. "
        'Environment: a JSON object, GLM3_STORAGE_OPTIONS=\'{"aws_region": "eu-west-1"}\'',
    )

    @field_validator("options", mode="before")
    @classmethod
    def _options_from_json(cls, value: Any) -> Any:
        if isinstance(value, str):  # from the environment
            import json

            try:
                value = json.loads(value) if value.strip() else {}
            except ValueError:
                raise ValueError("must be a JSON object of strings") from None
        if isinstance(value, dict):
            return {str(k): v if isinstance(v, SecretStr) else str(v) for k, v in value.items()}
        return value

    def storage_options(self) -> dict[str, str]:
        """The options as LanceDB takes them (secrets revealed: never log this)."""
        return {key: value.get_secret_value() for key, value in self.options.items()}


class MetricsSection(Section):
    enabled: bool = Field(
        True,
        description="serve Prometheus metrics over HTTP at /metrics, on server.host and metrics.port; false: "
        "no endpoint (metrics are still recorded, at no measurable cost)",
    )
    port: int = Field(
        9464,
        ge=0,
        le=65535,
        description="TCP port of the /metrics endpoint, apart from the gRPC one; 0 picks a free port",
    )


class LlmSection(Section):
    model: str = Field(
        "", description="model name on the OpenAI-compatible endpoint; empty means no LLM is used"
    )
    base_url: OptionalHttpUrlStr = Field(
        None,
        description="OpenAI-compatible endpoint (LiteLLM, vLLM, Ollama, OpenAI); also OPENAI_BASE_URL",
        json_schema_extra={"env_aliases": ["OPENAI_BASE_URL"]},
    )
    api_key: SecretStr | None = Field(
        None,
        description="API key for the endpoint; also OPENAI_API_KEY",
        json_schema_extra={"env_aliases": ["OPENAI_API_KEY"]},
    )
    timeout_s: float = Field(30.0, gt=0, description="upper bound of one LLM call, in seconds")
    concurrency: int = Field(
        32, ge=1, le=4096, description="LLM calls in flight at once; more signals wait their turn"
    )
    cache_size: int = Field(
        10_000,
        ge=0,
        description="LLM results kept in memory (LRU) so the same signal is not paid for twice; 0 disables",
    )
    max_attempts: int = Field(
        3,
        ge=1,
        le=10,
        description="LLM requests per signal on 429, 5xx or connection errors before falling back to the heuristic",
    )
    retry_backoff_s: float = Field(
        0.5, ge=0, description="first wait before retrying an LLM request, doubled each retry, with jitter"
    )
    signals_per_call: int = Field(
        1,
        ge=1,
        le=32,
        description="scoring: up to this many signals share one LLM call, only when more signals wait than "
        "llm.concurrency leaves calls free (one prompt, each signal's reply checked on its own): fewer calls, "
        "less CPU and fewer tokens per signal under load",
    )
    breaker_failures: int = Field(
        5,
        ge=1,
        description="after this many LLM calls in a row fail (timeouts, errors, unusable replies), the LLM is "
        "skipped for breaker_cooldown_s: every signal gets the labelled heuristic fallback at once",
    )
    breaker_cooldown_s: float = Field(
        30.0, gt=0, description="how long the LLM is skipped once the breaker opened; then one call probes it"
    )
    max_reply_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        description="an LLM reply announced (Content-Length) larger than this is refused unread",
    )
    http_transport: Literal["aiohttp", "httpx"] = Field(
        "aiohttp",
        description="HTTP transport of the openai client: aiohttp (less CPU per call, and no connection pool "
        "scan per request: 3 to 4 times the calls/s of httpx at 256 in flight, bench/bench_llm.py) or httpx",
    )

    @property
    def configured(self) -> bool:
        return bool(self.model)


class EmbeddingSection(Section):
    model: str = Field(
        "",
        description="embedding model on an OpenAI-compatible endpoint; set, SearchCandidates is hybrid "
        "(full text plus vectors); empty means full text only",
    )
    base_url: OptionalHttpUrlStr = Field(None, description="embedding endpoint; empty means the llm base_url")
    api_key: SecretStr | None = Field(None, description="API key of the embedding endpoint; empty means the llm key")
    timeout_s: float = Field(10.0, gt=0, description="upper bound of one embedding call, in seconds")
    batch_size: int = Field(256, ge=1, le=2048, description="texts per embedding call")

    @property
    def configured(self) -> bool:
        return bool(self.model)


class BaseSettings(Section):
    """Sections both servers have. Each server's settings add their own sections."""

    server: ServerSection = ServerSection()
    auth: AuthSection = AuthSection()
    log: LogSection = LogSection()
    storage: StorageSection = StorageSection()
    metrics: MetricsSection = MetricsSection()


    @model_validator(mode="after")
    def _secure_by_default(self) -> BaseSettings:
        s = self.server
        if s.tls.client_ca_file and not self.auth.enabled:
            raise ValueError(
                "server.tls.client_ca_file needs auth.principals_file, which maps certificate identities to roles"
            )
        if not is_loopback(s.host) and not s.allow_insecure and not (s.tls.enabled and self.auth.enabled):
            missing = " and ".join(
                name
                for name, ok in (("TLS (server.tls.cert_file)", s.tls.enabled), ("authentication (auth.principals_file)", self.auth.enabled))
                if not ok
            )
            raise ValueError(
                f"server.host {s.host} is not loopback: listening there needs {missing}, "
                "or server.allow_insecure: true"
            )
        return self


S = TypeVar("S", bound=BaseSettings)


def _sections(model: type[BaseModel]) -> dict[str, type[Section]]:
    out: dict[str, type[Section]] = {}
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, Section):
            out[name] = annotation
    return out


def env_var(section: str, key: str) -> str:
    """The environment variable of an option."""
    return f"{ENV_PREFIX}{section}_{key}".upper()


def _env_aliases(field: Any) -> list[str]:
    extra = field.json_schema_extra
    return list(extra.get("env_aliases", [])) if isinstance(extra, dict) else []


def _section_default(model: type[S], name: str) -> Section:
    default = model.model_fields[name].default
    assert isinstance(default, Section)
    return default


def load_settings(
    model: type[S], config_path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> tuple[S, list[str]]:
    """Reads the settings; returns them and warnings (e.g. unknown GLM3_ variables of a known section)."""
    environ = os.environ if environ is None else environ
    data: dict[str, dict[str, Any]] = {}
    sources: dict[tuple[str, str], str] = {}
    sections = _sections(model)

    if config_path is not None:
        path = Path(config_path)
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            at = f" line {where.line + 1}" if where is not None else ""
            raise ConfigError(f"config file {path}{at} is not valid YAML") from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"config file {path} must hold a mapping of sections")
        for section, values in loaded.items():
            if section not in sections:
                known = ", ".join(sorted(sections))
                raise ConfigError(f"unknown section '{section}' in {path} (known: {known})")
            if values is None:
                continue
            if not isinstance(values, dict):
                raise ConfigError(f"section '{section}' in {path} must be a mapping")
            for key, value in values.items():
                data.setdefault(section, {})[key] = value
                sources[(section, str(key))] = str(path)

    warnings: list[str] = []
    every_var: set[str] = set()
    unknown: list[tuple[str, set[str]]] = []
    for section, section_model in sections.items():
        known_vars: set[str] = set()
        for key, field in section_model.model_fields.items():
            nested = _sections(section_model).get(key)
            if nested is not None:  # a section inside a section: server.tls.cert_file, GLM3_SERVER_TLS_CERT_FILE
                for sub in nested.model_fields:
                    var = env_var(section, f"{key}_{sub}")
                    known_vars.add(var)
                    if var in environ:
                        values = data.setdefault(section, {}).setdefault(key, {})
                        if isinstance(values, dict):
                            values[sub] = environ[var]
                        sources[(section, f"{key}.{sub}")] = var
                continue
            known_vars.add(env_var(section, key))
            for var in [*_env_aliases(field), env_var(section, key)]:
                if var in environ:
                    data.setdefault(section, {})[key] = environ[var]
                    sources[(section, key)] = var
        every_var |= known_vars
        prefix = f"{ENV_PREFIX}{section.upper()}_"
        unknown.extend((var, known_vars) for var in environ if var.startswith(prefix) and var not in known_vars)
    if unknown:  # a typo in a variable of this server's sections: refused like an unknown YAML key
        problems = [f"unknown environment variable {var}{_did_you_mean(var, known)}" for var, known in sorted(unknown)]
        raise ConfigError("; ".join(problems))
    for var in sorted(environ):
        # A variable of no section of this server may be another server's (make run gives both the same
        # environment) or a client's; only one that looks like a mistyped option of ours is worth a word.
        if var.startswith(ENV_PREFIX) and var not in every_var and var not in CLIENT_VARIABLES:
            hint = _did_you_mean(var, every_var, cutoff=0.85)
            if hint:
                warnings.append(f"ignoring unknown environment variable {var}{hint}")

    merged = {
        name: {**_section_default(model, name).model_dump(), **values}
        for name, values in data.items()
    }
    try:
        return model.model_validate(merged), warnings
    except ValidationError as exc:
        raise ConfigError("; ".join(_problem(err, sources) for err in exc.errors())) from None


# The variables the glm3 client reads (a server ignores them without a word).
CLIENT_VARIABLES = frozenset({"GLM3_TARGET", "GLM3_OPS_TARGET", "GLM3_TOKEN"})


def _did_you_mean(name: str, candidates: set[str], cutoff: float = 0.6) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=cutoff)
    return f" (did you mean {close[0]}?)" if close else ""


def _problem(err: Any, sources: dict[tuple[str, str], str]) -> str:
    """One validation error as `invalid KEY = VALUE from SOURCE: message`; the value as it was written
    (a number from the environment unquoted), a secret's value never."""
    loc = [str(part) for part in err["loc"]]
    key = ".".join(loc)
    message = mask_url_credentials(err["msg"].removeprefix("Value error, "))
    if not loc:  # a rule across sections (BaseSettings' own validator): its message names the keys
        return message
    section = loc[0]
    if err["type"] == "extra_forbidden":
        return f"unknown key '{key}' in {sources.get((section, '.'.join(loc[1:])), 'defaults')}"
    value = err.get("input")
    if isinstance(value, dict):
        # A rule of a whole section (scoring's thresholds, server.tls): name the keys that were set and where.
        prefix = ".".join(loc[1:])
        given = sorted(
            (k, src) for (s, k), src in sources.items() if s == section and (not prefix or k.startswith(prefix))
        )
        where = "; ".join(f"{section}.{k} from {src}" for k, src in given) or "the defaults"
        return f"invalid {key} ({where}): {message}"
    source = sources.get((section, ".".join(loc[1:]))) or sources.get((section, loc[1] if len(loc) > 1 else ""))
    if "key" in key or "secret" in key:
        shown = "***"
    elif isinstance(value, str) and source is not None and source.startswith(ENV_PREFIX) and _is_number(value):
        shown = value
    else:
        shown = mask_url_credentials(repr(value))
    return f"invalid {key} = {shown} from {source or 'defaults'}: {message}"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _flat_fields(section_model: type[Section]) -> list[tuple[str, Any]]:
    """(key, field) of a section, a nested section's keys as `tls.cert_file`."""
    out: list[tuple[str, Any]] = []
    nested = _sections(section_model)
    for key, field in section_model.model_fields.items():
        if key in nested:
            out.extend((f"{key}.{sub}", f) for sub, f in nested[key].model_fields.items())
        else:
            out.append((key, field))
    return out


def _get_path(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def describe_options(model: type[BaseSettings]) -> str:
    """Every option with its environment variable, default and meaning, for `--help`."""
    lines = ["configuration (YAML section.key / environment variable, default: meaning):"]
    for section, section_model in _sections(model).items():
        defaults = _section_default(model, section)
        for key, field in _flat_fields(section_model):
            default = _get_path(defaults, key)
            shown = "unset" if default in (None, "") else default
            if isinstance(default, SecretStr):
                shown = "***"
            aliases = _env_aliases(field)
            env = env_var(section, key.replace(".", "_")) + (f" (or {', '.join(aliases)})" if aliases else "")
            lines.append(f"  {section}.{key} / {env}, default {shown}:")
            lines.append(f"      {field.description}")
    return "\n".join(lines)


def mask_url_credentials(text: str) -> str:
    """`text` with the password of every `scheme://user:password@host` in it replaced by `***`."""
    return _URL_CREDENTIALS.sub(r"\g<head>***@", text)


_URL_CREDENTIALS = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@?#]*:)[^\s/?#]+@")


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_url_credentials(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def redacted_dump(settings: BaseSettings) -> dict[str, Any]:
    """The settings as plain data with secrets masked (SecretStr fields, passwords inside URLs), for logs
    and `--print-config`."""
    return _masked(settings.model_dump(mode="json"))

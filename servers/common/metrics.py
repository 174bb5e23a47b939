"""Prometheus metrics of the servers: the catalogue of every metric, and the `/metrics` HTTP endpoint.

Each server process has its own `CollectorRegistry` (not prometheus_client's global one), made in its
`make_deps` and handed to what it measures, so two servers in one process (the tests) never share or
collide on a metric. The groups below are the only place metric names are spelled; components take their
group as an optional argument and, given none, record into a private registry nobody exposes, so domain
objects built on their own (unit tests, benchmarks) need no metrics set-up.

With `server.workers` above 1 (servers/common/workers.py) the metrics are prometheus_client's multiprocess
mode: `enable_multiprocess` switches the value class before any metric exists, every worker records into
memory-mapped files of its own, and the supervisor serves `multiprocess_registry()`, which sums counters and
histograms over every worker that ever ran and combines gauges by their `multiprocess_mode` (ignored by a
single process, whose behaviour is unchanged). Custom collectors (the process, platform and GC collectors
of `new_registry`, a gauge's `set_function`) are not written to those files and cannot be aggregated: in
that mode the `process_*` and `python_*` series are absent.

Recording is always on; `metrics.enabled` only decides whether the endpoint is served. Hot paths record per
RPC, per frame or per group commit, never per signal: on this machine a labelled child's `inc` costs about
1.6 us and `observe` about 2.7 us (and looking a child up by labels 3.5 to 6 us more, so the RPC interceptor
caches children), against about 14 us per signal for a whole stream at 70k signals/s.
"""

from __future__ import annotations

import errno
import http.server
import logging
import os
import socket
from collections import Counter as Tally
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, values
from prometheus_client.exposition import MetricsHandler
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from glm3.servers.common.ports import in_use

METRICS_PATH = "/metrics"

# Unary RPCs take from well under a millisecond (reads) to tens of seconds (an LLM-scored batch); streams
# last as long as their clients keep them open, hence the long tail.
RPC_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
LLM_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0)
# A LanceDB add costs about 20 ms whatever its size (DESIGN.md), so commits cluster there.
COMMIT_BUCKETS = (0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Rows per group commit: 1 under no load, up to the runner's 10,000 cap under heavy load.
ROWS_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000)


def new_registry() -> CollectorRegistry:
    """A registry for one server process, with the process, platform and GC collectors that
    prometheus_client's global registry has (`process_*`, `python_info`, `python_gc_*`).

    Also turns off the `*_created` series for the whole process: in the Prometheus text format each is one
    more gauge per counter and histogram child, and Prometheus does not need them to handle resets."""
    disable_created_metrics()
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


class RpcMetrics:
    """Every RPC, by full method name (`/glm3.scoring.v1.ScoringService/Score`) and status code."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry if registry is not None else CollectorRegistry()
        self.requests = Counter(
            "glm3_rpc_requests", "RPCs finished, by method and status code", ["method", "code"], registry=registry
        )
        self.duration = Histogram(
            "glm3_rpc_duration_seconds",
            "time from the start of an RPC's handler to its status, by method (a stream: its whole life)",
            ["method"],
            buckets=RPC_BUCKETS,
            registry=registry,
        )
        self.in_progress = Gauge(
            "glm3_rpc_in_progress", "RPCs being served now (open streams included), by method", ["method"],
            multiprocess_mode="livesum",  # workers: the sum over the live ones
            registry=registry,
        )
        self.received = Counter(
            "glm3_rpc_stream_messages_received",
            "messages read from client streams, by method (a ScoreStream frame is one message)",
            ["method"],
            registry=registry,
        )
        self.sent = Counter(
            "glm3_rpc_stream_messages_sent", "messages written to server streams, by method", ["method"],
            registry=registry,
        )
        # Label look-ups cost more than the updates themselves; methods are a closed set (unknown methods
        # never reach the interceptors), codes too, so these caches stay small.
        self._per_method: dict[str, tuple[Any, Any, Any, Any]] = {}
        self._per_code: dict[tuple[str, str], Any] = {}

    def for_method(self, method: str) -> tuple[Any, Any, Any, Any]:
        """The (duration, in_progress, received, sent) children of a method."""
        children = self._per_method.get(method)
        if children is None:
            children = (
                self.duration.labels(method),
                self.in_progress.labels(method),
                self.received.labels(method),
                self.sent.labels(method),
            )
            self._per_method[method] = children
        return children

    def finished(self, method: str, code: str) -> None:
        child = self._per_code.get((method, code))
        if child is None:
            child = self._per_code[(method, code)] = self.requests.labels(method, code)
        child.inc()


class LlmRequestMetrics:
    """HTTP requests to an LLM endpoint, as `JsonChat` (servers/common/llm_client.py) sends them."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry if registry is not None else CollectorRegistry()
        self.requests = Counter(
            "glm3_llm_requests", "HTTP requests sent to the LLM endpoint (retries included)", registry=registry
        )
        self.duration = Histogram(
            "glm3_llm_request_duration_seconds",
            "time of one HTTP request to the LLM endpoint, failed ones included",
            buckets=LLM_BUCKETS,
            registry=registry,
        )
        self.errors = Counter(
            "glm3_llm_errors",
            "failed LLM requests by kind: timeout, connection, http_<status>, invalid_reply, client_error",
            ["kind"],
            registry=registry,
        )


class ScoringMetrics:
    """The scoring engine, the LLM scorer and ScoreStream windows."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry if registry is not None else CollectorRegistry()
        self.signals_scored = Counter(
            "glm3_signals_scored",
            "signals scored and stored as a new candidate, by the scorer that produced it (heuristic for an "
            "LLM fallback) and verdict",
            ["scorer", "verdict"],
            registry=registry,
        )
        self.signals_already_scored = Counter(
            "glm3_signals_already_scored",
            "signals answered with their stored candidate (same signal id, no rescore)",
            registry=registry,
        )
        self.signals_failed = Counter(
            "glm3_signals_failed",
            "valid signals that could not be scored or stored, by ErrorInfo reason (invalid signals are "
            "counted by their RPC's code, or not at all inside batches and streams)",
            ["reason"],
            registry=registry,
        )
        self.stream_in_flight = Gauge(
            "glm3_stream_signals_in_flight",
            "signals read from ScoreStream requests whose results are not yet written, all streams together",
            multiprocess_mode="livesum",
            registry=registry,
        )
        self.llm_calls = Counter(
            "glm3_llm_calls",
            "LLM scorings started (one per distinct signal content, whatever its retries; cache hits excluded)",
            registry=registry,
        )
        self.llm_http = LlmRequestMetrics(registry)
        self.llm_fallbacks = Counter(
            "glm3_llm_fallbacks",
            "signals the fallback (heuristic) scorer answered because the LLM failed or ran out of time",
            registry=registry,
        )
        self.llm_cache_hits = Counter(
            "glm3_llm_cache_hits", "signals answered from the LLM result cache", registry=registry
        )
        self._scored: dict[tuple[str, str], Any] = {}

    def count_scored(self, keys: Iterable[tuple[str, str]]) -> None:
        """Counts newly stored candidates given as (scorer, verdict) pairs, one update per distinct pair."""
        for key, count in Tally(keys).items():
            child = self._scored.get(key)
            if child is None:
                child = self._scored[key] = self.signals_scored.labels(*key)
            child.inc(count)


class StoreMetrics:
    """Group commits of the candidate store."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry if registry is not None else CollectorRegistry()
        self.commit_rows = Histogram(
            "glm3_store_commit_rows",
            "candidate rows written by one group commit (grows with load: one LanceDB add per commit)",
            buckets=ROWS_BUCKETS,
            registry=registry,
        )
        self.commit_duration = Histogram(
            "glm3_store_commit_seconds",
            "time of one group commit that wrote rows (idempotency look-up, adds and updates)",
            buckets=COMMIT_BUCKETS,
            registry=registry,
        )
        self.commit_failures = Counter(
            "glm3_store_commit_failures",
            "group commits that failed (every signal in them got UNAVAILABLE)",
            registry=registry,
        )
        self.commit_conflicts = Counter(
            "glm3_store_commit_conflicts",
            "commits that met another writer's commit (storage.shared) and were retried, by operation "
            "(merge: LanceDB's own retries of a merge; race: a signal another writer stored first; update, "
            "compact)",
            ["operation"],
            registry=registry,
        )


class OpsMetrics:
    """The ops agent's checks and alerts."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry if registry is not None else CollectorRegistry()
        self.check_results = Counter(
            "glm3_ops_check_results",
            "check results, by service and status (healthy, degraded, critical, unknown)",
            ["service", "status"],
            registry=registry,
        )
        # Read by a function at scrape time, which multiprocess mode cannot collect: the ops server refuses
        # server.workers above 1 (servers/common/runner.py), so it always runs as one process.
        self.open_alerts = Gauge(
            "glm3_ops_open_alerts", "alerts open or acknowledged now (read at scrape time)",
            multiprocess_mode="livemax", registry=registry,
        )

    def watch_open_alerts(self, read: Callable[[], float]) -> None:
        """Makes the open-alerts gauge read `read()` at every scrape, so it is never stale."""
        self.open_alerts.set_function(read)


class WorkerMetrics:
    """The supervisor of several workers (servers/common/workers.py). Recorded in multiprocess mode only, so
    they reach the endpoint through the multiprocess files: the registry they join stays private (served
    directly too, they would appear twice)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry if registry is not None else CollectorRegistry()
        self.serving = Gauge(
            "glm3_workers_serving",
            "worker processes that said they serve and have not exited since",
            multiprocess_mode="livemax",  # only the supervisor sets it
            registry=registry,
        )
        self.restarts = Counter(
            "glm3_worker_restarts", "workers started again after one exited unexpectedly", registry=registry
        )


def enable_multiprocess(directory: str) -> None:
    """Switches this process, and the workers it forks afterwards, to prometheus_client's multiprocess mode,
    recording into `directory` (an empty directory private to this server). Must run before any metric is
    made: a metric reads `values.ValueClass` when it is constructed (prometheus_client picks the class at
    import from PROMETHEUS_MULTIPROC_DIR, which was unset then)."""
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    values.ValueClass = values.MultiProcessValue()


def multiprocess_registry() -> CollectorRegistry:
    """A registry of what every process recorded in the multiprocess directory (see the module docstring)."""
    from prometheus_client.multiprocess import MultiProcessCollector

    disable_created_metrics()
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


def mark_process_dead(pid: int) -> None:
    """Drops the live gauges (`live*` modes) of an exited process; its counters and histograms stay counted."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host` (a name, an IPv4 or IPv6 address, bracketed or not; `[::]` also
    accepts IPv4 where the system allows) and `port` (0: a free one). Raises OSError naming the address."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        family, _, _, _, address = socket.getaddrinfo(
            bare or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        dual = family == socket.AF_INET6 and bare in ("", "::") and socket.has_dualstack_ipv6()
        return socket.create_server(address, family=family, dualstack_ipv6=dual)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise OSError(in_use(host, port, "metrics.port", " for metrics")) from None
        raise OSError(f"cannot listen on {host}:{port} for metrics: {exc.strerror or exc}") from None


class MetricsServer:
    """Serves a registry at `GET /metrics` (Prometheus text, or OpenMetrics when asked; `?name[]=` filters)
    over HTTP on the event loop, from a socket bound beforehand so the port is known before start."""

    def __init__(self, registry: CollectorRegistry, sock: socket.socket) -> None:
        self.registry = registry
        self._sock = sock
        self.host, self.port = sock.getsockname()[:2]
        self._runner: Any = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{METRICS_PATH}"

    async def start(self) -> None:
        # aiohttp is imported here: servers that never serve metrics do not pay for it at start.
        from aiohttp import web
        from prometheus_client.aiohttp import make_aiohttp_handler

        app = web.Application()
        app.router.add_get(METRICS_PATH, make_aiohttp_handler(self.registry))
        # No access log: one line per scrape would drown the RPC access log.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.SockSite(runner, self._sock).start()
        self._runner = runner

    async def stop(self) -> None:
        """Stops serving and closes the socket. Safe to call more than once, or without start."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        self._sock.close()


class _ScrapeHandler(MetricsHandler):
    timeout = 5.0  # a client that connects and sends nothing holds the supervisor at most this long

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  # no access log, as MetricsServer
        pass


class _ScrapeHttpServer(http.server.HTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:  # a client gone mid-answer: not ours
        logging.getLogger("glm3.server").debug("metrics scrape failed", exc_info=True)


class ScrapeServer:
    """`GET /metrics` of a registry without threads or an event loop, for the supervisor of several workers:
    it forks workers at any time, which a process running other threads must not do. The caller watches
    `fileno()` for readability and calls `handle()`: one scrape is answered at a time, in full (Prometheus
    text, or OpenMetrics when asked; HTTP/1.0, one request a connection)."""

    def __init__(self, registry: CollectorRegistry, sock: socket.socket) -> None:
        handler = type("Handler", (_ScrapeHandler,), {"registry": registry})
        self._server = _ScrapeHttpServer(sock.getsockname()[:2], handler, bind_and_activate=False)
        self._server.socket.close()
        self._server.socket = sock
        self._server.timeout = 0
        self.host, self.port = sock.getsockname()[:2]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{METRICS_PATH}"

    def fileno(self) -> int:
        return self._server.fileno()

    def handle(self) -> None:
        self._server.handle_request()

    def close(self) -> None:
        self._server.server_close()

"""Several serving processes on one port (`server.workers` above 1): a supervisor and the workers it forks.

The supervisor (the process the console script started) reserves the port first: a socket bound to
server.host:server.port with SO_REUSEPORT, never listening, kept open for the supervisor's life, so the port
(0: a free one, picked then) stays this server's and a worker restarted later binds the same one. It then
forks the workers with `os.fork()`, as grpc's multiprocessing example does, before any gRPC object or LanceDB
connection exists in it (modules are imported, nothing is opened: gRPC's core and a LanceDB connection do not
survive a fork). Each worker runs the same `serve` as a single-process server, with its own event loop, group
commit and writer of the database (storage.shared), binding the port with SO_REUSEPORT: the kernel spreads
new connections (not calls) over the listening workers.

The supervisor stays single-threaded with no event loop (it forks again whenever a worker is restarted, which
a process with other threads must not do): one `select` over a signal wake-up pipe, the workers' ready pipes
and the /metrics socket, then `waitpid`. Rules:

- It prints the one "<prog> listening on HOST:PORT" line once every worker said it serves (through its pipe).
- A worker that exits unexpectedly is logged (pid, exit code or signal) and started again after 0.5 s,
  doubling with each exit within 60 s, at most 10 s. A worker that exits a sixth time within 60 s (five
  restarts did not help) stops the server: exit 1.
- A worker that exits with a configuration error (exit 2) before it served stops the server: exit 2.
- SIGTERM or SIGINT: SIGTERM to every worker (each drains as a single server does: NOT_SERVING, running RPCs
  get server.shutdown_grace_s), then SIGKILL for any still running grace + 15 s later; exit 0.
- Workers die with the supervisor, however it ends (PR_SET_PDEATHSIG, below).

Health is each worker's own: a worker that died no longer accepts connections, a draining one answers
NOT_SERVING. Metrics: see servers/common/metrics.py (multiprocess mode); the supervisor serves them.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import selectors
import shutil
import signal
import socket
import sys
import tempfile
import time
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from glm3.servers.common.ports import in_use
from glm3.servers.common.settings import BaseSettings, S

log = logging.getLogger("glm3.server")

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_CONFIG = 2  # the values of servers/common/runner.py

BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 10.0
CRASH_LOOP_RESTARTS = 5  # restarts within CRASH_LOOP_WINDOW_S after which one more exit stops the server
CRASH_LOOP_WINDOW_S = 60.0
KILL_AFTER_GRACE_S = 15.0  # a worker still running this long after its shutdown grace is killed
POLL_S = 0.5

_HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD)
_PR_SET_PDEATHSIG = 1

# Started by a worker: returns the process's exit code. `ready` is called once the worker serves.
RunWorker = Callable[[int, S, Callable[[], None]], int]


def worker_settings(settings: S, port: int) -> S:
    """A worker's settings: the reserved port, storage shared with the other workers, no metrics endpoint
    of its own (the supervisor serves every worker's metrics). The sections are frozen: copied, not changed."""
    server = settings.server.model_copy(update={"port": port})
    storage = settings.storage.model_copy(update={"shared": True})
    metrics = settings.metrics.model_copy(update={"enabled": False})
    return settings.model_copy(update={"server": server, "storage": storage, "metrics": metrics})


def reserve_port(host: str, port: int) -> socket.socket:
    """A socket bound to `host`:`port` (0: a free port) with SO_REUSEPORT and not listening; raises OSError
    naming the address when it cannot be bound (a server listening there without SO_REUSEPORT, a single
    process server for instance, keeps it: the workers never share a port with it)."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        family, _, _, _, address = socket.getaddrinfo(
            bare or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6 and bare in ("", "::"):
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # as gRPC binds [::]: IPv4 too
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise OSError(in_use(host, port, "server.port")) from None
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def _describe(code: int) -> str:
    return f"by signal {signal.Signals(-code).name}" if code < 0 else f"with exit code {code}"


def _die_with_parent(parent: int) -> bool:
    """Asks the kernel to send this worker SIGTERM when the supervisor ends, however it ends (SIGKILL
    included), so an orphan drains like any stopped server and exits instead of serving on unsupervised.
    Chosen over polling os.getppid(): no task in every worker, no polling delay; workers run on Linux only,
    where prctl(2) is. False if the supervisor already ended before the call (then no signal would come)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl(PR_SET_PDEATHSIG): {os.strerror(errno)}")
    return os.getppid() == parent


class _ProcessFields(logging.Filter):
    """Adds fields naming the process to every record it passes (unless the record has them), so the JSON
    lines of interleaved workers can be told apart: `worker` (0 to N-1) and `pid`; the supervisor's `pid`
    and `role`."""

    def __init__(self, **fields: Any) -> None:
        super().__init__()
        self.fields = fields

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in self.fields.items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def _tag_logs(fields: _ProcessFields, previous: _ProcessFields | None = None) -> None:
    # On the handlers: records of child loggers reach the root's handlers without its filters.
    for handler in logging.getLogger().handlers:
        if previous is not None:
            handler.removeFilter(previous)
        handler.addFilter(fields)


@dataclass
class _Worker:
    index: int
    pid: int
    ready_fd: int
    ready: bool = False


@dataclass
class Supervisor:
    """Starts `count` workers running `run_worker` and keeps them running; `run()` returns the exit code."""

    prog: str
    settings: BaseSettings
    count: int
    run_worker: RunWorker[Any]
    _workers: dict[int, _Worker] = field(default_factory=dict)  # by pid
    _deaths: dict[int, deque[float]] = field(default_factory=dict)  # by index: exit times in the window
    _due: dict[int, float] = field(default_factory=dict)  # by index: when to start it again
    _signals: list[int] = field(default_factory=list)
    _stopping: bool = False
    _exit_code: int = EXIT_OK
    _kill_at: float = 0.0
    _announced: bool = False

    def run(self) -> int:
        s = self.settings.server
        self._reserved = reserve_port(s.host, s.port)
        port = self._reserved.getsockname()[1]
        self._address = f"{s.host}:{port}"
        self._child_settings = worker_settings(self.settings, port)
        self._selector = selectors.DefaultSelector()
        self._metrics_dir: str | None = None
        self._scrape: Any = None
        self._metrics: Any = None
        self._log_fields = _ProcessFields(role="supervisor", pid=os.getpid())
        _tag_logs(self._log_fields)
        # lancedb resets its background loop and runtime in a forked child and warns that something may have
        # been mid-operation at the fork: nothing is here, no LanceDB connection exists in this process.
        warnings.filterwarnings("ignore", message="lancedb fork support is experimental", category=RuntimeWarning)
        try:
            if self.settings.metrics.enabled:
                self._start_metrics()
            self._install_signals()
            log.info("starting workers", extra={"workers": self.count, "address": self._address})
            for index in range(self.count):
                self._spawn(index)
            self._loop()
        finally:
            self._close()
        return self._exit_code

    # -- metrics ------------------------------------------------------------------------------------------
    def _start_metrics(self) -> None:
        from glm3.servers.common import metrics

        self._metrics_dir = tempfile.mkdtemp(prefix="glm3-metrics-")
        metrics.enable_multiprocess(self._metrics_dir)  # before any metric exists, here and in the workers
        self._metrics = metrics.WorkerMetrics()
        self._scrape = metrics.ScrapeServer(
            metrics.multiprocess_registry(), metrics.listen(self.settings.server.host, self.settings.metrics.port)
        )
        self._selector.register(self._scrape.fileno(), selectors.EVENT_READ, self._scrape.handle)
        log.info("metrics listening", extra={"url": self._scrape.url, "workers": self.count})

    # -- signals ------------------------------------------------------------------------------------------
    def _install_signals(self) -> None:
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        os.set_blocking(self._wake_r, False)
        for signum in _HANDLED:
            signal.signal(signum, self._on_signal)
        # A signal arriving during select() only sets a flag that Python handles when select returns, and
        # PEP 475 retries the select; the byte written to this pipe makes it return.
        signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, self._drain_wakeups)

    def _on_signal(self, signum: int, frame: object) -> None:
        self._signals.append(signum)

    def _drain_wakeups(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_r, 512):
                pass

    def _handle_signals(self) -> None:
        signals, self._signals[:] = list(self._signals), []
        for signum in signals:
            if signum == signal.SIGCHLD:
                continue  # reaped by the loop
            if not self._stopping:
                log.info(
                    "shutting down",
                    extra={"signal": signal.Signals(signum).name, "grace_s": self.settings.server.shutdown_grace_s},
                )
                self._stop(EXIT_OK)

    # -- workers ------------------------------------------------------------------------------------------
    def _spawn(self, index: int) -> None:
        ready_r, ready_w = os.pipe()
        # Signals stay blocked across the fork until the child has its own handlers: one sent to it in
        # between waits instead of reaching the supervisor's handlers, copied into the child.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _HANDLED)
        try:
            pid = os.fork()
            if pid == 0:  # the worker: never returns
                code = EXIT_RUNTIME
                try:
                    os.close(ready_r)
                    code = self._child(index, ready_w, mask)
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else EXIT_RUNTIME
                except KeyboardInterrupt:  # Ctrl-C reaches every process of the group, before serve handles it
                    code = EXIT_OK
                except BaseException:
                    log.exception("worker failed")
                finally:
                    for stream in (sys.stdout, sys.stderr):
                        with contextlib.suppress(Exception):
                            stream.flush()
                    # No atexit handlers, no finally blocks of the supervisor (its temp dir is not ours).
                    os._exit(code)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(ready_w)
        os.set_blocking(ready_r, False)
        worker = _Worker(index, pid, ready_r)
        self._workers[pid] = worker
        self._selector.register(ready_r, selectors.EVENT_READ, lambda: self._on_ready_pipe(worker))
        log.info("worker started", extra={"worker": index, "worker_pid": pid})

    def _child(self, index: int, ready_w: int, mask: set[signal.Signals]) -> int:
        parent = os.getppid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        # What belongs to the supervisor: its pipes, the other workers' pipes, the reserved port (the
        # supervisor keeps it), the /metrics socket (an orphan must not keep the port).
        for fd in (self._wake_r, self._wake_w, *(w.ready_fd for w in self._workers.values())):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._selector.close()
        self._reserved.close()
        if self._scrape is not None:
            self._scrape.close()
        _tag_logs(_ProcessFields(role="worker", worker=index, pid=os.getpid()), previous=self._log_fields)
        alive = _die_with_parent(parent)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        if not alive:
            return EXIT_RUNTIME

        def ready() -> None:
            with contextlib.suppress(OSError):
                os.write(ready_w, b"1")

        return self.run_worker(index, self._child_settings, ready)

    def _on_ready_pipe(self, worker: _Worker) -> None:
        try:
            data = os.read(worker.ready_fd, 64)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the worker closed it: it is exiting (waitpid tells how)
            self._forget_pipe(worker)
            return
        if not worker.ready:
            worker.ready = True
            log.info("worker serving", extra={"worker": worker.index, "worker_pid": worker.pid})
            self._count_serving()

    def _forget_pipe(self, worker: _Worker) -> None:
        if worker.ready_fd >= 0:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(worker.ready_fd)
            os.close(worker.ready_fd)
            worker.ready_fd = -1

    def _count_serving(self) -> None:
        if self._metrics is not None:
            self._metrics.serving.set(sum(w.ready for w in self._workers.values()))

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            worker = self._workers.pop(pid, None)
            if worker is not None:
                self._exited(worker, os.waitstatus_to_exitcode(status))

    def _exited(self, worker: _Worker, code: int) -> None:
        self._forget_pipe(worker)
        if self._metrics_dir is not None:
            from glm3.servers.common.metrics import mark_process_dead

            mark_process_dead(worker.pid)
        self._count_serving()
        how: dict[str, object] = {"signal": signal.Signals(-code).name} if code < 0 else {"exit_code": code}
        fields = {"worker": worker.index, "worker_pid": worker.pid, **how}
        if self._stopping:
            log.info("worker stopped", extra=fields)
            return
        log.error("worker exited", extra={**fields, "had_served": worker.ready})
        if code == EXIT_CONFIG and not worker.ready:
            self._fail(EXIT_CONFIG, f"worker {worker.index} stopped on a configuration error (above)")
            return
        now = time.monotonic()
        deaths = self._deaths.setdefault(worker.index, deque())
        deaths.append(now)
        while deaths and deaths[0] < now - CRASH_LOOP_WINDOW_S:
            deaths.popleft()
        if len(deaths) > CRASH_LOOP_RESTARTS:
            self._fail(
                EXIT_RUNTIME,
                f"worker {worker.index} exited {len(deaths)} times within {CRASH_LOOP_WINDOW_S:g} s, the last "
                f"{_describe(code)}: a crash loop; stopping",
            )
            return
        delay = min(BACKOFF_FIRST_S * 2 ** (len(deaths) - 1), BACKOFF_MAX_S)
        self._due[worker.index] = now + delay
        log.warning("restarting worker", extra={"worker": worker.index, "in_s": delay})

    def _restart_due(self) -> None:
        now = time.monotonic()
        for index, due in list(self._due.items()):
            if due <= now:
                del self._due[index]
                if self._metrics is not None:
                    self._metrics.restarts.inc()
                self._spawn(index)

    def _fail(self, code: int, message: str) -> None:
        log.error(message)
        print(f"{self.prog}: {message}", file=sys.stderr, flush=True)
        self._stop(code)

    def _stop(self, code: int) -> None:
        self._stopping = True
        self._exit_code = code
        self._due.clear()
        self._kill_at = time.monotonic() + self.settings.server.shutdown_grace_s + KILL_AFTER_GRACE_S
        for pid in self._workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    # -- the loop -----------------------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            now = time.monotonic()
            timeout = min([POLL_S, *(max(0.0, due - now) for due in self._due.values())])
            for key, _ in self._selector.select(timeout):
                key.data()
            self._handle_signals()
            self._reap()
            if self._stopping:
                if not self._workers:
                    return
                if time.monotonic() >= self._kill_at:
                    for pid, worker in self._workers.items():
                        log.error(
                            "worker still running after its grace: killed",
                            extra={"worker": worker.index, "worker_pid": pid},
                        )
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGKILL)
                    self._kill_at = float("inf")
                continue
            self._restart_due()
            serving = len(self._workers) == self.count and all(w.ready for w in self._workers.values())
            if serving and not self._announced:
                self._announced = True
                log.info(
                    "listening",
                    extra={"address": self._address, "server": self.prog, "worker_pids": sorted(self._workers)},
                )
                print(f"{self.prog} listening on {self._address}", flush=True)

    def _close(self) -> None:
        with contextlib.suppress(Exception):
            signal.set_wakeup_fd(-1)
        for signum in _HANDLED:
            with contextlib.suppress(Exception):
                signal.signal(signum, signal.SIG_DFL if signum != signal.SIGINT else signal.default_int_handler)
        for worker in list(self._workers.values()):  # only after an error of the supervisor itself
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGKILL)
        if self._scrape is not None:
            self._scrape.close()
        with contextlib.suppress(Exception):
            self._selector.close()
        for fd in (getattr(self, "_wake_r", -1), getattr(self, "_wake_w", -1)):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._reserved.close()
        if self._metrics_dir is not None:
            shutil.rmtree(self._metrics_dir, ignore_errors=True)
        log.info("stopped", extra={"exit_code": self._exit_code})


def supervise(prog: str, settings: S, count: int, run_worker: RunWorker[S]) -> int:
    """Runs `count` workers of `run_worker` on settings.server's port until SIGTERM/SIGINT; the exit code."""
    return Supervisor(prog, settings, count, run_worker).run()

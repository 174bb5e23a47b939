"""The `main` of both servers: parse options, read settings once, serve until SIGTERM/SIGINT, exit 0.

With `server.workers` above 1 the process becomes the supervisor of that many serving processes on one port
(servers/common/workers.py), each running `serve` as a single-process server does."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence

import yaml

from glm3.servers.common.app import ServerDeps, build_server
from glm3.servers.common.logs import setup_logging
from glm3.servers.common.memory import configure_native_memory, tune_garbage_collector
from glm3.servers.common.settings import (
    BaseSettings,
    ConfigError,
    S,
    describe_options,
    load_settings,
    redacted_dump,
)

log = logging.getLogger("glm3.server")

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_CONFIG = 2


def _parser(prog: str, description: str, model: type[BaseSettings]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=describe_options(model)
        + "\n\nPrecedence: defaults < --config file < environment variables."
        + "\nSIGTERM or SIGINT stops gracefully: health turns NOT_SERVING, new RPCs are refused,"
        + "\nrunning ones get server.shutdown_grace_s to finish, then storage is closed; exit code 0.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config", metavar="FILE", help="YAML file of settings (sections and keys as listed below)"
    )
    parser.add_argument(
        "--print-config",
        action="store_true",
        help="print the effective settings (secrets masked) as YAML and exit",
    )
    return parser


async def serve(
    prog: str,
    settings: S,
    make_deps: Callable[[S], Awaitable[ServerDeps]],
    *,
    ready: Callable[[int], None] | None = None,
    stop: asyncio.Event | None = None,
    announce: bool = True,
    reuse_port: bool = False,
) -> None:
    """Builds and starts the server, waits for `stop` (set by SIGTERM/SIGINT), then stops gracefully.
    `announce`: print the "listening on" line (a worker does not: its supervisor prints one for all);
    `reuse_port`: bind with SO_REUSEPORT, as a worker."""
    deps = await make_deps(settings)
    tune_garbage_collector()  # after the long-lived objects are made (servers/common/memory.py)
    try:
        server, port = build_server(settings, deps, reuse_port=reuse_port)
    except BaseException:
        for close in deps.closers:
            await close()
        raise
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await server.start()
    address = f"{settings.server.host}:{port}"
    log.info("listening", extra={"address": address, "server": prog})
    if announce:
        print(f"{prog} listening on {address}", flush=True)
    if ready is not None:
        ready(port)
    await stop.wait()
    log.info("shutting down", extra={"grace_s": settings.server.shutdown_grace_s})
    await server.stop()
    log.info("stopped")


def serve_process(
    prog: str,
    settings: S,
    make_deps: Callable[[S], Awaitable[ServerDeps]],
    *,
    ready: Callable[[int], None] | None = None,
    announce: bool = True,
    reuse_port: bool = False,
) -> int:
    """One serving process (the server, or one of its workers) from start to stop; returns the exit code."""
    configure_native_memory()  # before LanceDB's thread pools start (servers/common/memory.py)
    try:
        asyncio.run(serve(prog, settings, make_deps, ready=ready, announce=announce, reuse_port=reuse_port))
    except ConfigError as exc:  # found while opening dependencies (e.g. a runbook file)
        print(f"{prog}: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except OSError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_RUNTIME
    return EXIT_OK


def run_main(
    prog: str,
    description: str,
    model: type[S],
    make_deps: Callable[[S], Awaitable[ServerDeps]],
    argv: Sequence[str] | None = None,
    *,
    workers_allowed: bool = True,
) -> int:
    """Entry point body of a server's console script; returns the exit code. `workers_allowed`: False for a
    server that must run as one process (server.workers above 1 is then a configuration error)."""
    args = _parser(prog, description, model).parse_args(argv)
    try:
        settings, warnings = load_settings(model, args.config)
    except ConfigError as exc:
        print(f"{prog}: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if args.print_config:
        print(yaml.safe_dump(redacted_dump(settings), sort_keys=False), end="")
        return EXIT_OK
    count = settings.server.worker_count
    if count > 1 and (problem := _workers_refused(prog, workers_allowed)):
        print(f"{prog}: configuration error: server.workers = {settings.server.workers}: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(settings.log.level, settings.log.format)
    for warning in warnings:
        log.warning(warning)
    if count == 1:
        return serve_process(prog, settings, make_deps)
    from glm3.servers.common.workers import supervise

    def run_worker(index: int, worker_settings: S, ready: Callable[[], None]) -> int:
        return serve_process(
            prog, worker_settings, make_deps, ready=lambda port: ready(), announce=False, reuse_port=True
        )

    try:
        return supervise(prog, settings, count, run_worker)
    except OSError as exc:  # the port or the metrics port cannot be bound
        print(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_RUNTIME


def _workers_refused(prog: str, workers_allowed: bool) -> str | None:
    """Why this server cannot run several workers here, or None."""
    if not workers_allowed:
        return f"{prog} runs as one process (its agent's checks and runbooks would run once per worker); set 1"
    if not sys.platform.startswith("linux"):
        return "several workers need Linux (SO_REUSEPORT spreading connections, PR_SET_PDEATHSIG); set 1"
    return None

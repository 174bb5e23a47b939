"""The `main` of both servers: parse options, read settings once, serve until SIGTERM/SIGINT, exit 0."""

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
) -> None:
    """Builds and starts the server, waits for `stop` (set by SIGTERM/SIGINT), then stops gracefully."""
    deps = await make_deps(settings)
    tune_garbage_collector()  # after the long-lived objects are made (servers/common/memory.py)
    try:
        server, port = build_server(settings, deps)
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
    print(f"{prog} listening on {address}", flush=True)
    if ready is not None:
        ready(port)
    await stop.wait()
    log.info("shutting down", extra={"grace_s": settings.server.shutdown_grace_s})
    await server.stop()
    log.info("stopped")


def run_main(
    prog: str,
    description: str,
    model: type[S],
    make_deps: Callable[[S], Awaitable[ServerDeps]],
    argv: Sequence[str] | None = None,
) -> int:
    """Entry point body of a server's console script; returns the exit code."""
    args = _parser(prog, description, model).parse_args(argv)
    try:
        settings, warnings = load_settings(model, args.config)
    except ConfigError as exc:
        print(f"{prog}: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if args.print_config:
        print(yaml.safe_dump(redacted_dump(settings), sort_keys=False), end="")
        return EXIT_OK
    setup_logging(settings.log.level, settings.log.format)
    for warning in warnings:
        log.warning(warning)
    configure_native_memory()  # before LanceDB's thread pools start (servers/common/memory.py)
    try:
        asyncio.run(serve(prog, settings, make_deps))
    except ConfigError as exc:  # found while opening dependencies (e.g. a runbook file)
        print(f"{prog}: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except OSError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_RUNTIME
    return EXIT_OK

"""`glm3`: the command line of GLM3 Signal Services. For now: check the servers' health."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import version

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def _health(args: argparse.Namespace) -> int:
    with grpc.insecure_channel(args.target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=args.service), timeout=args.timeout)
        except grpc.RpcError as exc:
            print(f"{args.target}: {exc.code().name}: {exc.details()}", file=sys.stderr)
            return 1
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(f"{args.target} {args.service or '(server)'}: {status}")
    return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="glm3", description="Talk to the GLM3 Signal Services servers.")
    parser.add_argument("--version", action="version", version=version("glm3-signal-services"))
    commands = parser.add_subparsers(dest="command", required=True)
    health = commands.add_parser("health", help="ask a server's grpc.health.v1 whether it is SERVING")
    health.add_argument("--target", default="127.0.0.1:50051", help="host:port (default %(default)s)")
    health.add_argument("--service", default="", help="service name; empty asks about the whole server")
    health.add_argument("--timeout", type=float, default=5.0, help="seconds (default %(default)s)")
    health.set_defaults(run=_health)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())

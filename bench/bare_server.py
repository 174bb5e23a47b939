"""The cold-start baseline: a bare grpc.aio server process with `grpc.health.v1` only (SERVING at once).

It imports gRPC and the health service and nothing of ours, so the time it takes to answer SERVING is what
any Python gRPC server pays; what our servers take beyond it is their own import and start-up cost.

    .venv/bin/python bench/bare_server.py    # prints "bare listening on 127.0.0.1:PORT", serves until SIGTERM
"""

import asyncio
import signal

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc


async def main() -> None:
    server = grpc.aio.server()
    checker = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(checker, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await checker.set("", health_pb2.HealthCheckResponse.SERVING)
    await server.start()
    print(f"bare listening on 127.0.0.1:{port}", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await stop.wait()
    await server.stop(0)


if __name__ == "__main__":
    asyncio.run(main())

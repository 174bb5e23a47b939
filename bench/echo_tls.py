"""`bench/echo.py` over TLS: the same bare grpc.aio ScoringService (one fixed candidate per signal, no
scoring, no storage, no interceptors), listening with a certificate, to measure what TLS alone costs in
grpc's C-core (record encryption and decryption of the same bytes), apart from anything of ours.

    .venv/bin/python -m bench.echo_tls CERT_FILE KEY_FILE   # prints "echo-tls listening on 127.0.0.1:PORT"

Without arguments it serves plaintext (the same process, for a side-by-side pair started the same way).
"""

from __future__ import annotations

import asyncio
import signal as signals
import sys
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from bench.echo import EchoScoring
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc


async def _serve(cert_file: str | None, key_file: str | None) -> None:
    server = grpc.aio.server()
    pb_grpc.add_ScoringServiceServicer_to_server(EchoScoring(), server)
    checker = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(checker, server)
    if cert_file and key_file:
        pair = (Path(key_file).read_bytes(), Path(cert_file).read_bytes())
        port = server.add_secure_port("127.0.0.1:0", grpc.ssl_server_credentials([pair]))
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    await checker.set("", health_pb2.HealthCheckResponse.SERVING)
    await server.start()
    print(f"echo-tls listening on 127.0.0.1:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signals.SIGTERM, signals.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await server.stop(1.0)


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(_serve(*(args if len(args) == 2 else (None, None))))

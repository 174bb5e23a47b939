"""The physical-limit baseline: a bare grpc.aio ScoringService answering one fixed candidate per signal.

`Score` and `ScoreStream` do no scoring and no storage: a `ScoreStream` request frame of N signals gets one
response frame of N results (each with the signal's correlation id and sequence, so a real client can map
it back) and `Score` answers at once. The candidate is one real heuristic candidate, made once at start, so
the bytes on the wire are those of the real server. No interceptors, no reflection, default channel options:
only gRPC and protobuf, which is what "the limit of the stack" means here. `grpc.health.v1` answers
SERVING (the subprocess is polled for readiness the same way as the real server).

    .venv/bin/python -m bench.echo     # prints "echo listening on 127.0.0.1:PORT", serves until SIGTERM
"""

from __future__ import annotations

import asyncio
import signal as signals
from collections.abc import AsyncIterable, AsyncIterator

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from glm3.scoring.v1 import candidate_pb2
from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from glm3.scoring.v1 import signal_pb2

SAMPLE = signal_pb2.Signal(
    id="bench-sample",
    title="Invoice matcher for small agencies",
    description="Our team wastes hours every week matching invoices by hand; I would pay for a tool that fixes it.",
    source="reddit",
    tags=["finance", "automation"],
    engagement={"upvotes": 120, "comments": 34},
)


def fixed_candidate() -> candidate_pb2.ScoredCandidate:
    """One candidate exactly as the real server would answer for `SAMPLE` (heuristic scorer)."""
    from glm3.servers.scoring.convert import candidate_to_pb, signal_from_pb
    from glm3.servers.scoring.engine import ScoringEngine
    from glm3.servers.scoring.heuristic import HeuristicScorer
    from glm3.servers.scoring.models import ScoringConfig

    signal, _ = signal_from_pb(SAMPLE)
    scorer = HeuristicScorer()
    config = ScoringConfig()
    engine = ScoringEngine(store=None, scorer=scorer, base_config=config)  # type: ignore[arg-type]
    return candidate_to_pb(engine._candidate(signal, scorer.score_now(signal, config), config, 0.05))


class EchoScoring(pb_grpc.ScoringServiceServicer):
    def __init__(self) -> None:
        self.candidate = fixed_candidate()
        self.response = pb.ScoreResponse(success=True, candidate=self.candidate)

    async def Score(self, request: pb.ScoreRequest, context: grpc.aio.ServicerContext) -> pb.ScoreResponse:
        return self.response  # fixed: gRPC only serialises it

    async def ScoreStream(  # type: ignore[override]
        self, request_iterator: AsyncIterable[pb.ScoreStreamRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.ScoreStreamResponse]:
        candidate = self.candidate
        sequence = 0
        async for request in request_iterator:
            response = pb.ScoreStreamResponse()
            results = response.results.results
            for item in request.batch.items:
                # Built in place (one copy of the candidate per signal, none per nesting level).
                results.add(correlation_id=item.correlation_id, sequence=sequence).candidate.CopyFrom(candidate)
                sequence += 1
            yield response


async def start(host: str = "127.0.0.1", port: int = 0) -> tuple[grpc.aio.Server, int]:
    """The echo server, started, in this process; returns it and its port."""
    server = grpc.aio.server()
    pb_grpc.add_ScoringServiceServicer_to_server(EchoScoring(), server)
    checker = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(checker, server)
    bound = server.add_insecure_port(f"{host}:{port}")
    await checker.set("", health_pb2.HealthCheckResponse.SERVING)
    await server.start()
    return server, bound


async def _serve() -> None:
    server, port = await start()
    print(f"echo listening on 127.0.0.1:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signals.SIGTERM, signals.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await server.stop(1.0)


if __name__ == "__main__":
    asyncio.run(_serve())

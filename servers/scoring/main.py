"""`glm3-scoring-server`: the scoring service on LanceDB, heuristic by default, an LLM when configured."""

from __future__ import annotations

from collections.abc import Sequence

from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from glm3.servers.common.app import ServerDeps, ServiceBinding
from glm3.servers.common.health import DependencyProbe
from glm3.servers.common.runner import run_main
from glm3.servers.scoring.servicer import SERVICE_NAME, ScoringServicer
from glm3.servers.scoring.settings import ScoringSettings
from glm3.servers.storage.database import Database

PROG = "glm3-scoring-server"


async def make_deps(settings: ScoringSettings) -> ServerDeps:
    """Opens what the scoring server needs and says how to probe and close it."""
    database = await Database.open(settings.storage.uri)
    return ServerDeps(
        services=[
            ServiceBinding(SERVICE_NAME, ScoringServicer(), pb_grpc.add_ScoringServiceServicer_to_server)
        ],
        probes=[DependencyProbe("storage", database.probe)],
        closers=[database.close],
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(
        PROG,
        "Scores product-idea signals over gRPC (glm3.scoring.v1.ScoringService).",
        ScoringSettings,
        make_deps,
        argv,
    )


if __name__ == "__main__":
    raise SystemExit(main())

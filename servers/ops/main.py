"""`glm3-ops-server`: watches the pipeline's machines and services, diagnoses, resolves, escalates, learns."""

from __future__ import annotations

from collections.abc import Sequence

from glm3.ops.v1 import ops_service_pb2_grpc as pb_grpc
from glm3.servers.common.app import ServerDeps, ServiceBinding
from glm3.servers.common.health import DependencyProbe
from glm3.servers.common.runner import run_main
from glm3.servers.ops.servicer import SERVICE_NAME, OpsServicer
from glm3.servers.ops.settings import OpsSettings
from glm3.servers.storage.database import Database

PROG = "glm3-ops-server"


async def make_deps(settings: OpsSettings) -> ServerDeps:
    """Opens what the ops server needs and says how to probe and close it."""
    database = await Database.open(settings.storage.uri)
    return ServerDeps(
        services=[ServiceBinding(SERVICE_NAME, OpsServicer(), pb_grpc.add_OpsServiceServicer_to_server)],
        probes=[DependencyProbe("storage", database.probe)],
        closers=[database.close],
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(
        PROG,
        "Watches, diagnoses and repairs the GLM3 pipeline over gRPC (glm3.ops.v1.OpsService).",
        OpsSettings,
        make_deps,
        argv,
    )


if __name__ == "__main__":
    raise SystemExit(main())

"""gRPC face of the ops service: converts messages and calls the domain.

Until the ops issue fills them in, the business RPCs answer UNIMPLEMENTED (with ErrorInfo) so clients and
grpcurl can already see the whole contract.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from glm3.ops.v1 import ops_service_pb2 as pb
from glm3.ops.v1 import ops_service_pb2_grpc as pb_grpc
from glm3.servers.common.errors import Unimplemented

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["OpsService"].full_name


def _not_yet(method: str) -> Unimplemented:
    return Unimplemented(f"{SERVICE_NAME}/{method} is not implemented yet")


class OpsServicer(pb_grpc.OpsServiceServicer):
    async def CheckHealth(
        self, request: pb.CheckHealthRequest, context: grpc.aio.ServicerContext
    ) -> pb.CheckHealthResponse:
        raise _not_yet("CheckHealth")

    async def WatchHealth(  # type: ignore[override]
        self, request: pb.WatchHealthRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.WatchHealthResponse]:
        raise _not_yet("WatchHealth")
        yield  # pragma: no cover - makes this an async generator, as gRPC expects for a stream

    async def Diagnose(
        self, request: pb.DiagnoseRequest, context: grpc.aio.ServicerContext
    ) -> pb.DiagnoseResponse:
        raise _not_yet("Diagnose")

    async def Resolve(
        self, request: pb.ResolveRequest, context: grpc.aio.ServicerContext
    ) -> pb.ResolveResponse:
        raise _not_yet("Resolve")

    async def ListRunbooks(
        self, request: pb.ListRunbooksRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListRunbooksResponse:
        raise _not_yet("ListRunbooks")

    async def ListAlerts(
        self, request: pb.ListAlertsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListAlertsResponse:
        raise _not_yet("ListAlerts")

    async def WatchAlerts(  # type: ignore[override]
        self, request: pb.WatchAlertsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.WatchAlertsResponse]:
        raise _not_yet("WatchAlerts")
        yield  # pragma: no cover - makes this an async generator, as gRPC expects for a stream

    async def AcknowledgeAlert(
        self, request: pb.AcknowledgeAlertRequest, context: grpc.aio.ServicerContext
    ) -> pb.AcknowledgeAlertResponse:
        raise _not_yet("AcknowledgeAlert")

    async def RecordResolution(
        self, request: pb.RecordResolutionRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordResolutionResponse:
        raise _not_yet("RecordResolution")

    async def FindSimilarIssues(
        self, request: pb.FindSimilarIssuesRequest, context: grpc.aio.ServicerContext
    ) -> pb.FindSimilarIssuesResponse:
        raise _not_yet("FindSimilarIssues")

    async def GetAgentStatus(
        self, request: pb.GetAgentStatusRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetAgentStatusResponse:
        raise _not_yet("GetAgentStatus")

"""gRPC face of the scoring service: converts messages and calls the domain.

Until the scoring issue fills them in, the business RPCs answer UNIMPLEMENTED (with ErrorInfo) so clients
and grpcurl can already see the whole contract.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

import grpc

from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from glm3.servers.common.errors import Unimplemented

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ScoringService"].full_name


def _not_yet(method: str) -> Unimplemented:
    return Unimplemented(f"{SERVICE_NAME}/{method} is not implemented yet")


class ScoringServicer(pb_grpc.ScoringServiceServicer):
    async def Score(self, request: pb.ScoreRequest, context: grpc.aio.ServicerContext) -> pb.ScoreResponse:
        raise _not_yet("Score")

    async def BatchScore(
        self, request: pb.BatchScoreRequest, context: grpc.aio.ServicerContext
    ) -> pb.BatchScoreResponse:
        raise _not_yet("BatchScore")

    async def ScoreStream(  # type: ignore[override]
        self,
        request_iterator: AsyncIterable[pb.ScoreStreamRequest],
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[pb.ScoreStreamResponse]:
        raise _not_yet("ScoreStream")
        yield  # pragma: no cover - makes this an async generator, as gRPC expects for a stream

    async def ScoreUpload(
        self,
        request_iterator: AsyncIterable[pb.ScoreUploadRequest],
        context: grpc.aio.ServicerContext,
    ) -> pb.ScoreUploadResponse:
        raise _not_yet("ScoreUpload")

    async def GetCandidate(
        self, request: pb.GetCandidateRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetCandidateResponse:
        raise _not_yet("GetCandidate")

    async def ListCandidates(
        self, request: pb.ListCandidatesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListCandidatesResponse:
        raise _not_yet("ListCandidates")

    async def SearchCandidates(
        self, request: pb.SearchCandidatesRequest, context: grpc.aio.ServicerContext
    ) -> pb.SearchCandidatesResponse:
        raise _not_yet("SearchCandidates")

    async def SubmitFeedback(
        self, request: pb.SubmitFeedbackRequest, context: grpc.aio.ServicerContext
    ) -> pb.SubmitFeedbackResponse:
        raise _not_yet("SubmitFeedback")

    async def GetScoringStats(
        self, request: pb.GetScoringStatsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetScoringStatsResponse:
        raise _not_yet("GetScoringStats")

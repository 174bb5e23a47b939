"""Whatever the words of a search, the answer is hits or a clear error, never INTERNAL."""

from __future__ import annotations

import grpc
import pytest

from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from glm3.scoring.v1 import signal_pb2
from tests.conftest import RunningServer
from tests.support.stores import database  # noqa: F401  (a fixture)

QUERIES = [
    '"invoice matching"', 'invoice "matching', "invoice AND matching", "(invoice", "invoice)", "title:invoice",
    "+invoice -matching", "invoice*", "inv?ice", "~invoice", "invoice^2", "a\\b", "{[}]", "'", "&&||!", ":",
    "NOT", "\u00e9t\u00e9 \u4e2d\u6587", "x" * 512,
]


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
async def test_search_syntax_never_fails_the_server(scoring_server: RunningServer, query: str) -> None:
    async with scoring_server.channel() as channel:
        stub = pb_grpc.ScoringServiceStub(channel)
        signal = signal_pb2.Signal(title="Invoice matching is painful", description="I lose a day", source="reddit")
        await stub.Score(pb.ScoreRequest(signal=signal), timeout=10)
        try:
            await stub.SearchCandidates(pb.SearchCandidatesRequest(query=query), timeout=10)
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT, (query, exc.details())


async def test_a_quoted_phrase_on_indexed_rows_searches_its_words(database) -> None:  # noqa: ANN001
    from glm3.servers.storage.candidates import CandidateStore
    from tests.support.stores import scored

    store = await CandidateStore.open(database, compact_every=1000, compact_interval_s=3600)
    try:
        await store.commit([scored(f"q-{n}") for n in range(5)])
        await store.compact()  # the rows join the full-text index, which keeps no positions
        hits, mode = await store.search('"invoice matching"', 10)
        assert mode == "fts" and len(hits) == 5
        assert (await store.search('"""', 10))[0] == []
    finally:
        await store.close()

"""Scale-out end to end: many scoring processes on one LanceDB, a producer streaming through the
round-robin client, one process killed with SIGKILL mid-stream.

Two deployments go through the same procedure:
- three plain `glm3-scoring-server` replicas on one database on a loopback S3 server (moto, port 0),
  `storage.shared`; the client has the three targets and balances with round_robin; one replica is killed
  and, once the streams are done, started again;
- one server with `server.workers: 2` on a local directory; the producer's streams use connections of
  their own (the kernel spreads them over the workers); one worker is killed (its supervisor restarts it).

50,000 signals go out on three concurrent streams; a fifth of them are sent twice, on two different streams
(two different replicas) at the same position, so both copies arrive at about the same instant. Then:
every signal has exactly one stored candidate and every answer for it names that candidate; every
acknowledged candidate is listed by, and readable from, every process; compactions ran on several of
them; a rescore of some signals afterwards makes exactly one new version each, and after more compactions
no row is lost and no older version comes back.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import subprocess
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lancedb
import psutil
import pytest

from glm3.client import AsyncScoringClient, StreamResult
from glm3.scoring.v1 import signal_pb2
from tests.e2e.test_console_scripts import BIN, clean_env
from tests.support.s3 import S3Server, s3_server  # noqa: F401  # s3_server: the fixture

SCRIPT = "glm3-scoring-server"
SIGNALS = 50_000
STREAMS = 3
KILL_AT = 0.3  # the share of its signals every stream has answered when a process is killed
RESCORED = 300
# Small enough that compactions (and version cleanup) run many times during the test, on every process.
TUNING = {
    "GLM3_SCORING_COMPACT_EVERY_COMMITS": "40",
    "GLM3_SCORING_COMPACT_INTERVAL_S": "1",
    "GLM3_SCORING_KEEP_VERSIONS_S": "10",
    "GLM3_STORAGE_READ_CONSISTENCY_S": "0.5",
    "GLM3_SERVER_SHUTDOWN_GRACE_S": "5",
}


@dataclass
class Process:
    process: subprocess.Popen[str]
    port: int
    log: Path

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text(errors="replace").splitlines() if line.startswith("{")]

    def compactions(self) -> Counter[int]:
        """`storage compacted` lines, by the pid that logged them."""
        return Counter(int(r.get("pid", self.process.pid)) for r in self.records() if r.get("msg") == "storage compacted")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(env: dict[str, str], cwd: Path, name: str) -> Process:
    log = cwd / f"{name}-{time.monotonic_ns()}.log"
    with log.open("w") as err:
        process = subprocess.Popen([str(BIN / SCRIPT)], env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=err, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.fullmatch(rf"{SCRIPT} listening on 127\.0\.0\.1:(\d+)\n", line)
    if match is None:
        process.kill()
        raise AssertionError(f"{name}: unexpected first line {line!r}; log: {log.read_text()[-3000:]}")
    return Process(process, int(match.group(1)), log)


def make_signal(n: int) -> signal_pb2.Signal:
    return signal_pb2.Signal(
        id=f"scale-{n}",
        title=f"Idea {n}: reconcile invoices automatically",
        description=f"Signal {n}: we lose hours matching invoices by hand every week; I would pay for a tool.",
        source="reddit",
        tags=["finance", "automation"],
    )


def stream_inputs() -> list[list[signal_pb2.Signal]]:
    """Signal n goes on stream n % STREAMS; every fifth also on the next stream, at the same position."""
    streams: list[list[signal_pb2.Signal]] = [[] for _ in range(STREAMS)]
    for n in range(SIGNALS):
        home = n % STREAMS
        streams[home].append(make_signal(n))
        if n % 5 == 0:
            streams[(home + 1) % STREAMS].append(make_signal(n))
    return streams


@dataclass
class Outcome:
    answers: dict[str, list[StreamResult]] = field(default_factory=lambda: defaultdict(list))
    failovers: int = 0
    resent: int = 0
    streams: list[tuple[int, int, int]] = field(default_factory=list)  # (answers, failovers, resent) each
    answers_at_kill: list[int] = field(default_factory=list)


async def busiest_replica(replicas: list[Process]) -> int:
    """The replica with the most signals received and not yet answered: one serving a stream under way."""
    queued = []
    for replica in replicas:
        async with AsyncScoringClient(replica.target, options=[("grpc.use_local_subchannel_pool", 1)]) as client:
            queued.append((await client.get_scoring_stats()).health.queue_size)
    return replicas[queued.index(max(queued))].process.pid


def connections(pid: int, port: int) -> int:
    """Established connections of process `pid` on its listening `port`."""
    return sum(
        1
        for c in psutil.Process(pid).net_connections(kind="tcp")
        if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port
    )


async def produce(clients: list[AsyncScoringClient], choose: Any) -> tuple[Outcome, int]:
    """Three concurrent streams (stream i on clients[i % len(clients)]); once every stream has KILL_AT of its
    answers, the process `await choose()` names is killed with SIGKILL. Returns the outcome and that pid."""
    outcome = Outcome()
    inputs = stream_inputs()
    expected = sum(len(s) for s in inputs)
    received = 0
    killed: list[int] = []
    streams: list[Any] = []

    def due() -> bool:
        # Every stream has answers, so every replica serving one has stored candidates. Not sooner, such as
        # when one stream is done: on a busy machine a replica can still have answered nothing then, and
        # killing it (it is the busiest) would leave it out of the writers.
        if len(streams) < STREAMS:
            return False
        return min(s.received for s in streams) >= KILL_AT * len(inputs[0])

    async def one(index: int, signals: list[signal_pb2.Signal]) -> None:
        nonlocal received
        # FULL candidates, as when this test was tuned: BASIC streams are faster, and one could then finish
        # (starting the kill) before another replica had committed anything.
        stream = clients[index % len(clients)].score_stream(
            signals, frame_size=100, window=2_000, failover=8, view="full"
        )
        streams.append(stream)
        async for result in stream:
            outcome.answers[result.signal_id or f"?{result.index}"].append(result)
            received += 1
            if not killed and due():
                outcome.answers_at_kill = [s.received for s in streams]
                killed.append(0)  # no other result starts a kill meanwhile
                killed[0] = await choose()
                os.kill(killed[0], signal.SIGKILL)
        outcome.failovers += stream.failovers
        outcome.resent += stream.resent
        outcome.streams.append((stream.received, stream.failovers, stream.resent))

    await asyncio.wait_for(asyncio.gather(*(one(i, s) for i, s in enumerate(inputs))), timeout=600)
    assert killed and received == expected
    return outcome, killed[0]


def check_answers(outcome: Outcome) -> dict[str, str]:
    """Every signal answered with a candidate (twice for the fifth sent twice, plus nothing), all answers of a
    signal name the same candidate; returns signal id -> acknowledged candidate id."""
    errors = [r.error for answers in outcome.answers.values() for r in answers if r.error is not None]
    assert not errors, errors[:5]
    assert len(outcome.answers) == SIGNALS
    acknowledged: dict[str, str] = {}
    for signal_id, answers in outcome.answers.items():
        n = int(signal_id.rsplit("-", 1)[1])
        assert len(answers) == (2 if n % 5 == 0 else 1), (signal_id, answers)
        ids = {r.candidate.id for r in answers}  # type: ignore[union-attr]
        assert len(ids) == 1, (signal_id, ids)  # the second copy was answered with the winner
        if len(answers) == 2:
            assert sum(r.already_scored for r in answers) >= 1, signal_id
        acknowledged[signal_id] = ids.pop()
    # The killed process's streams went elsewhere.
    assert outcome.failovers >= 1 and outcome.resent >= 1, (outcome.streams, outcome.answers_at_kill)
    return acknowledged


async def stored_rows(uri: str, options: dict[str, str] | None) -> list[dict[str, Any]]:
    db = await lancedb.connect_async(uri, storage_options=options)
    table = await db.open_table("candidates")
    rows = await table.query().select(["id", "signal_id", "version", "is_latest", "writer"]).to_list()
    return rows


def check_rows(rows: list[dict[str, Any]], acknowledged: dict[str, str], versions: dict[str, int]) -> Counter[str]:
    """Exactly the rows expected: one per version of every signal, the acknowledged one latest; returns the
    rows by writer."""
    by_signal: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_signal[row["signal_id"]].append(row)
    assert set(by_signal) == set(acknowledged), len(set(by_signal) ^ set(acknowledged))
    for signal_id, stored in by_signal.items():
        expected_versions = list(range(1, versions.get(signal_id, 1) + 1))
        assert sorted(r["version"] for r in stored) == expected_versions, (signal_id, stored)
        latest = [r for r in stored if r["is_latest"]]
        assert [r["id"] for r in latest] == [acknowledged[signal_id]], (signal_id, stored)
        assert latest[0]["version"] == expected_versions[-1]
    return Counter(str(row["writer"]).split(":")[1] for row in rows)


async def check_readable(targets: list[str], acknowledged: dict[str, str], *, listing: bool) -> None:
    """Every process reads a sample of the acknowledged candidates by id and by signal id; with `listing`,
    it also lists exactly the acknowledged candidates (the latest versions), all 50,000 of them."""
    sample = random.Random(len(targets)).sample(sorted(acknowledged.items()), 100)
    for target in targets:
        async with AsyncScoringClient(target, options=[("grpc.use_local_subchannel_pool", 1)]) as client:
            for signal_id, candidate_id in sample:
                got = await client.get_candidate(candidate_id)
                assert got.candidate.signal_id == signal_id, target
                latest = await client.get_candidate(signal_id=signal_id)
                assert latest.candidate.id == candidate_id, target
            if listing:
                listed = {}
                async for candidate in client.list_candidates(page_size=1_000):
                    listed[candidate.signal_id] = candidate.id
                assert listed == acknowledged, (target, len(listed), len(set(listed.items()) ^ set(acknowledged.items())))


async def rescore(clients: list[AsyncScoringClient], acknowledged: dict[str, str]) -> dict[str, int]:
    """Rescores RESCORED signals once, on three concurrent streams (so on several processes); `acknowledged`
    then holds their new candidates. Returns the versions now expected."""
    chosen = [f"scale-{n}" for n in range(1, SIGNALS, SIGNALS // RESCORED)][:RESCORED]

    async def one(index: int) -> list[StreamResult]:
        mine = [make_signal(int(s.rsplit("-", 1)[1])) for s in chosen[index::STREAMS]]
        return [r async for r in clients[index % len(clients)].score_stream(mine, rescore=True, view="full")]

    results = [r for batch in await asyncio.gather(*(one(i) for i in range(STREAMS))) for r in batch]
    assert len(results) == len(chosen) and all(r.ok for r in results), [r.error for r in results if r.error][:3]
    for result in results:
        assert result.candidate is not None and result.candidate.version == 2, result
        assert result.candidate.id != acknowledged[result.signal_id]
        acknowledged[result.signal_id] = result.candidate.id
    return {signal_id: 2 for signal_id in chosen}


def rescore_writers(rows: list[dict[str, Any]]) -> set[int]:
    """The pids that stored the rescores (version 2 rows)."""
    return {int(str(row["writer"]).split(":")[1]) for row in rows if row["version"] == 2}


def wait_for_compactions(processes: list[Process], pids: set[int], after: Counter[int], timeout: float = 60) -> None:
    """Until every pid of `pids` has compacted again since `after`."""
    deadline = time.monotonic() + timeout
    while True:
        now: Counter[int] = Counter()
        for process in processes:
            now.update(process.compactions())
        if all(now[pid] > after[pid] for pid in pids):
            return
        assert time.monotonic() < deadline, (now, after, pids)
        time.sleep(0.5)


def compactions(processes: list[Process]) -> Counter[int]:
    total: Counter[int] = Counter()
    for process in processes:
        total.update(process.compactions())
    return total


@pytest.fixture
def cleanup() -> Iterator[list[Process]]:
    processes: list[Process] = []
    yield processes
    for process in processes:
        process.stop()


def test_three_replicas_on_s3_one_killed_mid_stream(s3_server: S3Server, tmp_path: Path, cleanup: list[Process]) -> None:  # noqa: F811
    options = s3_server.storage_options()
    uri = s3_server.uri("scale-out")
    env = clean_env(
        tmp_path,
        GLM3_STORAGE_URI=uri,
        GLM3_STORAGE_SHARED="true",
        GLM3_STORAGE_OPTIONS=json.dumps(options),
        **TUNING,
    )
    replicas = [start(env, tmp_path, f"replica-{i}") for i in range(3)]
    cleanup.extend(replicas)

    async def run() -> None:
        async with AsyncScoringClient([r.target for r in replicas], timeout=60) as client:
            for _ in range(3):  # every subchannel connected: round_robin then puts each stream on the next one
                await asyncio.gather(*(client.get_scoring_stats() for _ in range(3)))
                await asyncio.sleep(0.2)
            outcome, killed = await produce([client], lambda: busiest_replica(replicas))
            acknowledged = check_answers(outcome)
            victim = next(r for r in replicas if r.process.pid == killed)
            victim.process.wait(timeout=10)

            # The killed replica comes back on the same database and sees everything.
            again = start(env, tmp_path, "replica-again")
            cleanup.append(again)
            live = [again, *(r for r in replicas if r is not victim)]
            writers = check_rows(await stored_rows(uri, options), acknowledged, {})
            assert len(writers) >= 3, writers  # the three replicas stored candidates
            ran = compactions(cleanup)
            assert len([pid for pid, count in ran.items() if count]) >= 2, ran  # several replicas compacted
            await check_readable([p.target for p in live], acknowledged, listing=False)

            before = compactions(cleanup)
            versions = await rescore([client], acknowledged)
            rescorers = rescore_writers(await stored_rows(uri, options))
            assert len(rescorers) >= 2, rescorers  # the three streams went to several replicas
            wait_for_compactions(cleanup, rescorers, before)  # each of them compacted after its rescores
            check_rows(await stored_rows(uri, options), acknowledged, versions)
            await check_readable([p.target for p in live], acknowledged, listing=True)

    asyncio.run(run())


def test_two_workers_on_a_local_directory_one_killed_mid_stream(tmp_path: Path, cleanup: list[Process]) -> None:
    uri = str(tmp_path / "lancedb")
    server = start(clean_env(tmp_path, GLM3_SERVER_WORKERS="2", GLM3_STORAGE_URI=uri, **TUNING), tmp_path, "workers")
    cleanup.append(server)
    workers = {child.pid for child in psutil.Process(server.process.pid).children()}
    assert len(workers) == 2

    async def run() -> None:
        # One connection each: SO_REUSEPORT spreads connections, not calls, over the workers.
        clients = [
            AsyncScoringClient(server.target, timeout=60, options=[("grpc.use_local_subchannel_pool", 1)])
            for n in range(4)
        ]
        try:
            for client in clients:
                await client.get_scoring_stats()
            async def choose() -> int:  # a worker that holds at least one of the streams' connections
                return max(workers, key=lambda pid: connections(pid, server.port))

            outcome, victim = await produce(clients, choose)
            acknowledged = check_answers(outcome)
            deadline = time.monotonic() + 30
            while len({c.pid for c in psutil.Process(server.process.pid).children()} - workers) < 1:
                assert time.monotonic() < deadline, "the killed worker was not restarted"
                time.sleep(0.2)
            live = {c.pid for c in psutil.Process(server.process.pid).children()}
            writers = check_rows(await stored_rows(uri, None), acknowledged, {})
            assert {int(pid) for pid in writers} >= workers - {victim} and len(writers) >= 2, writers
            ran = compactions(cleanup)
            assert len([pid for pid, count in ran.items() if count]) >= 2, ran
            await check_readable([server.target] * 3, acknowledged, listing=False)

            before = compactions(cleanup)
            versions = await rescore(clients, acknowledged)
            wait_for_compactions(cleanup, rescore_writers(await stored_rows(uri, None)) & live, before)
            check_rows(await stored_rows(uri, None), acknowledged, versions)
            await check_readable([server.target] * 3, acknowledged, listing=True)
        finally:
            for client in clients:
                await client.close()

    asyncio.run(run())

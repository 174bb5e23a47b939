"""8. Security (issue #13): ScoreStream and Score throughput with TLS + bearer-token auth against plaintext.

`glm3-scoring-server` processes (the console script, default settings, a fresh temp LanceDB each, started
like every other benchmark's: `harness.scoring_server_process`) that differ only in their credentials:

- plain:      no TLS, no auth (the baseline: what every other benchmark measures);
- tls+token:  `server.tls.cert_file/key_file` and `auth.principals_file` (one principal, producer +
              operator, its token stored as a SHA-256): the deployment the issue asks about;
- tls only, token only: the two halves, to tell TLS (grpc C-core: a handshake per channel, then record
              encryption of every byte both ways) from the auth interceptor (one token check per call);
- plain B:    a second plaintext server, the A/A row: how far two identical servers differ in this run,
              i.e. how much of a ratio is noise (one server process can run ~10% faster than its twin for
              the whole of its life on this machine, whatever its configuration).

Certificates are made at bench time with trustme (a throwaway CA, a leaf for 127.0.0.1 and localhost); the
clients dial 127.0.0.1:PORT and verify the server against the CA. One channel per server, opened (and its
handshake done) in the warm-up: a long-lived channel pays the handshake once, so the figures are the steady
cost.

The driver is the same for every side, only the credentials change:
- ScoreStream: the client library, `AsyncScoringClient.score_stream` at frame_size 100 (100 signals a
  message) with its other defaults, `AsyncScoringClient(target)` against
  `AsyncScoringClient(target, root_certificates=ca, token=TOKEN)`; signals/s end to end (the server acks a
  signal after its row is committed; the stores are checked to hold every signal). The token is checked once
  per call (at the stream's start), never per signal; each frame is matched to the policy's rescore rule
  (per message, on plaintext too).
- Score: the generated stub on one channel, `CONCURRENCY` callers each awaiting its call before the next,
  a fresh signal per call (as bench_unary), `metadata=(("authorization", "Bearer ..."),)` on the token
  sides; calls/s. Here a call is a signal, so the per-call check is paid per signal: a context row.

Noise (a shared 2-core machine): the servers are started afresh for each of several blocks (so that one
lucky or unlucky process does not decide a ratio); in a block every round runs all sides back to back, in an
order rotated round by round (across blocks, each side takes each position equally often), after the
servers went quiet (no compaction of one side running under another's figure); streams first, then unary
calls. Each side's median round counts; the notes give the median of the per-round ratios too, and the CPU
each end spent per signal (server process, and this client process: it encrypts too).

Where the time goes, measured in the same run (context): `bench/echo_tls.py`, the raw echo plaintext and over
TLS, driven the same way (what TLS costs in grpc's C-core for the same bytes, nothing of ours), and the
token check alone in this process (header parsed, SHA-256 compared: what the interceptor adds per call).
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import yaml

from bench import workload
from bench.harness import Row, Spawned, cpu_seconds, say, scoring_server_process, spawn_server
from glm3.client import AsyncScoringClient
from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from glm3.scoring.v1 import signal_pb2

GROUP = "8 security"
CONCURRENCY = 32
FRAME_SIZE = 100
STREAM_TARGET = 0.9
# (name, TLS, token); the first is the baseline, the second the side the target is about.
SIDES = (
    ("plain", False, False),
    ("tls+token", True, True),
    ("tls only", True, False),
    ("token only", False, True),
    ("plain B", False, False),
)


@dataclass(slots=True)
class Credentials:
    directory: Path
    ca_pem: bytes
    cert_file: Path
    key_file: Path
    principals_file: Path
    token: str


def make_credentials(directory: Path) -> Credentials:
    """A throwaway CA, a server certificate for 127.0.0.1/localhost, and a principals file holding one
    principal (producer, operator) whose token is stored as its SHA-256."""
    import trustme

    from glm3.servers.common.auth import new_token, token_digest

    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file, ca_file = directory / "server.pem", directory / "server.key", directory / "ca.pem"
    for i, blob in enumerate(leaf.cert_chain_pems):
        blob.write_to_path(str(cert_file), append=i > 0)
    leaf.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))
    token = new_token()
    principals = directory / "principals.yaml"
    entry = {"name": "bench", "roles": ["producer", "operator"], "token_sha256": [token_digest(token)]}
    principals.write_text(yaml.safe_dump({"principals": [entry]}, sort_keys=False), encoding="utf-8")
    return Credentials(directory, ca_file.read_bytes(), cert_file, key_file, principals, token)


@dataclass(slots=True)
class Side:
    """One server and the ways to call it: the client library and a raw stub with the call metadata."""

    name: str
    tls: bool
    token: str | None
    server: Spawned
    client: AsyncScoringClient
    stub: pb_grpc.ScoringServiceStub
    metadata: tuple[tuple[str, str], ...] | None


def server_env(creds: Credentials, tls: bool, token: bool) -> dict[str, str]:
    env: dict[str, str] = {}
    if tls:
        env.update(GLM3_SERVER_TLS_CERT_FILE=str(creds.cert_file), GLM3_SERVER_TLS_KEY_FILE=str(creds.key_file))
    if token:
        env.update(GLM3_AUTH_PRINCIPALS_FILE=str(creds.principals_file))
    return env


def open_channel(target: str, ca_pem: bytes | None) -> grpc.aio.Channel:
    if ca_pem is None:
        return grpc.aio.insecure_channel(target)
    return grpc.aio.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=ca_pem))


async def wait_serving(target: str, ca_pem: bytes | None, timeout: float = 60.0) -> None:
    """`harness.wait_serving` over TLS when `ca_pem` is given (health needs no token)."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    deadline = time.perf_counter() + timeout
    async with open_channel(target, ca_pem) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{target} not SERVING after {timeout} s")
            await asyncio.sleep(0.005)


@contextlib.asynccontextmanager
async def sides(creds: Credentials) -> AsyncIterator[list[Side]]:
    async with contextlib.AsyncExitStack() as stack:
        out = []
        for name, tls, token in SIDES:
            server = await stack.enter_async_context(scoring_server_process(**server_env(creds, tls, token)))
            ca = creds.ca_pem if tls else None
            await wait_serving(server.target, ca)
            secret = creds.token if token else None
            kwargs: dict[str, object] = {"root_certificates": ca} if tls else {}
            client = await stack.enter_async_context(
                AsyncScoringClient(server.target, timeout=None, token=secret, **kwargs)
            )
            channel = await stack.enter_async_context(open_channel(server.target, ca))
            metadata = (("authorization", f"Bearer {secret}"),) if secret else None
            out.append(Side(name, tls, secret, server, client, pb_grpc.ScoringServiceStub(channel), metadata))
        yield out


async def stream_rate(side: Side, signals: list[signal_pb2.Signal]) -> float:
    """Signals/s through `score_stream` at FRAME_SIZE signals a message; every result must be a candidate."""
    received = 0
    started = time.perf_counter()
    async for result in side.client.score_stream(signals, frame_size=FRAME_SIZE):
        if result.error is not None:
            raise result.error
        received += 1
    elapsed = time.perf_counter() - started
    if received != len(signals):
        raise RuntimeError(f"{side.name}: {received} results for {len(signals)} signals")
    return len(signals) / elapsed


async def unary_rate(side: Side, calls: int, concurrency: int = CONCURRENCY) -> float:
    """Calls/s of `concurrency` callers sharing `calls` fresh-signal Score requests (as bench_unary)."""
    requests: Iterator[pb.ScoreRequest] = iter([pb.ScoreRequest(signal=s) for s in workload.signals(calls)])

    async def caller() -> None:
        for request in requests:  # shared iterator: each request is taken by exactly one caller
            reply = await side.stub.Score(request, timeout=60, metadata=side.metadata)
            if not reply.success:
                raise RuntimeError(f"{side.name}: Score failed: {reply}")

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return calls / (time.perf_counter() - started)


async def stored_total(side: Side) -> int:
    reply = await side.stub.ListCandidates(pb.ListCandidatesRequest(page_size=1), timeout=60, metadata=side.metadata)
    return int(reply.total_size)


async def check_refused(side: Side) -> None:
    """A token side must refuse a call without the token (else the figure would not be of auth)."""
    stub = side.stub
    try:
        await stub.Score(pb.ScoreRequest(signal=next(iter(workload.signals(1)))), timeout=10)
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
            return
        raise
    raise RuntimeError(f"{side.name}: a Score without a token was accepted")


@contextlib.contextmanager
def cpu_meter(side: Side, others: list[Side], count: int, into: dict[str, list[float]]) -> Iterator[None]:
    """Appends the CPU microseconds per signal (or call) spent inside the block by the server process and by
    this client process (less disturbed by other load than the wall-clock rate, and it says which end pays:
    the client encrypts too), and the CPU seconds the idle servers used meanwhile (their background
    compaction competing for the 2 cores: should be near 0 after `settle`)."""
    server0, client0 = cpu_seconds(side.server.pid), time.process_time()
    others0 = sum(cpu_seconds(o.server.pid) for o in others)
    yield
    into["server"].append((cpu_seconds(side.server.pid) - server0) * 1e6 / count)
    into["client"].append((time.process_time() - client0) * 1e6 / count)
    into["others_s"].append(sum(cpu_seconds(o.server.pid) for o in others) - others0)


async def settle(all_sides: list[Side], *, quiet: float = 0.05, window: float = 0.25, limit: float = 20.0) -> float:
    """Waits until the servers together use under `quiet` of a core over `window` seconds (the previous run's
    commits and background compaction done), at most `limit` seconds; returns the seconds waited."""
    started = time.perf_counter()
    while True:
        before = sum(cpu_seconds(s.server.pid) for s in all_sides)
        await asyncio.sleep(window)
        if sum(cpu_seconds(s.server.pid) for s in all_sides) - before < quiet * window:
            break
        if time.perf_counter() - started > limit:
            break
    return time.perf_counter() - started


def token_check_us(creds: Credentials, count: int = 20_000) -> float:
    """CPU microseconds of the per-call token check alone, in this process: the `authorization` header
    parsed and the token's SHA-256 compared with every stored one (what the interceptor adds per call)."""
    from glm3.servers.common.auth import Authenticator, bearer_token

    authenticator = Authenticator(creds.principals_file)
    header = f"Bearer {creds.token}"
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for _ in range(count):
            authenticator.authenticate(bearer_token(header), ())
        best = min(best, (time.process_time() - started) * 1e6 / count)
    return best


async def echo_pair(creds: Credentials, count: int, rounds: int) -> dict[str, dict[str, list[float]]]:
    """`bench/echo_tls.py` plaintext and over TLS (no scoring, no storage, no interceptors: the bytes of
    the real server's answers), driven the same way as ours, alternating: signals/s and CPU us/signal of
    each end. What TLS costs in grpc's C-core, apart from anything of ours."""
    out = {name: {"rate": [], "server": [], "client": []} for name in ("plain", "tls")}
    command = [sys.executable, "-m", "bench.echo_tls"]
    async with (
        spawn_server(command) as plain,
        spawn_server([*command, str(creds.cert_file), str(creds.key_file)]) as tls,
    ):
        await wait_serving(plain.target, None)
        await wait_serving(tls.target, creds.ca_pem)
        async with (
            AsyncScoringClient(plain.target, timeout=None) as plain_client,
            AsyncScoringClient(
                tls.target, timeout=None, root_certificates=creds.ca_pem, token=creds.token
            ) as tls_client,
        ):
            pairs = {"plain": (plain, plain_client), "tls": (tls, tls_client)}
            signals = list(workload.signals(count))
            for server, client in pairs.values():
                async for _ in client.score_stream(signals[:500], frame_size=FRAME_SIZE):
                    pass
            for number in range(rounds):
                for name in ("plain", "tls") if number % 2 == 0 else ("tls", "plain"):
                    server, client = pairs[name]
                    server0, client0, started = cpu_seconds(server.pid), time.process_time(), time.perf_counter()
                    received = 0
                    async for _ in client.score_stream(signals, frame_size=FRAME_SIZE):
                        received += 1
                    elapsed = time.perf_counter() - started
                    if received != count:
                        raise RuntimeError(f"echo {name}: {received} results for {count} signals")
                    out[name]["rate"].append(count / elapsed)
                    out[name]["server"].append((cpu_seconds(server.pid) - server0) * 1e6 / count)
                    out[name]["client"].append((time.process_time() - client0) * 1e6 / count)
    return out


def rotation(names: list[str], round_number: int) -> list[str]:
    """The sides in round `round_number`'s order: rotated by one each round, so that over a multiple of
    len(names) rounds each side runs in each position equally often."""
    k = round_number % len(names)
    return names[k:] + names[:k]


def cpu_samples() -> dict[str, list[float]]:
    return {"server": [], "client": [], "others_s": []}


async def run(quick: bool) -> list[Row]:
    stream_n, unary_n = (1_500, 150) if quick else (10_000, 1_000)
    blocks, rounds = (2, 3) if quick else (3, 5)  # full: 15 rounds, each of the 5 sides 3 times in each position
    names = [name for name, _, _ in SIDES]
    stream: dict[str, list[float]] = {n: [] for n in names}
    unary: dict[str, list[float]] = {n: [] for n in names}
    stream_cpu = {n: cpu_samples() for n in names}
    unary_cpu = {n: cpu_samples() for n in names}
    settled: list[float] = []
    with tempfile.TemporaryDirectory(prefix="glm3-bench-tls-") as tmp:
        creds = make_credentials(Path(tmp))
        for block in range(blocks):
            async with sides(creds) as all_sides:
                by_name = {s.name: s for s in all_sides}
                for side in all_sides:
                    if side.token:
                        await check_refused(side)
                # Warm-up: the channels' handshakes, first commits, lazily built state on every server.
                for side in all_sides:
                    await stream_rate(side, list(workload.signals(500)))
                    await unary_rate(side, 64)
                stored = {s.name: await stored_total(s) for s in all_sides}

                async def measure(kind: str, name: str, count: int, work: Any) -> None:
                    side = by_name[name]  # noqa: B023  # awaited within the block's iteration
                    settled.append(await settle(all_sides))  # noqa: B023
                    others = [s for s in all_sides if s is not side]  # noqa: B023
                    samples, cpu = (stream, stream_cpu) if kind == "stream" else (unary, unary_cpu)
                    with cpu_meter(side, others, count, cpu[name]):
                        samples[name].append(await work)
                    stored[name] += count  # noqa: B023

                # Streams, then unary calls: one kind's commits and compactions never run under the other's.
                for number in range(rounds):
                    signals = list(workload.signals(stream_n))  # the same contents for every side (own stores)
                    for name in rotation(names, block * rounds + number):
                        await measure("stream", name, stream_n, stream_rate(by_name[name], signals))
                    say(
                        f"  block {block + 1} stream round {number + 1}: "
                        + ", ".join(f"{n} {stream[n][-1]:,.0f}" for n in names)
                        + " /s"
                    )
                for number in range(rounds):
                    for name in rotation(names, block * rounds + number):
                        await measure("unary", name, unary_n, unary_rate(by_name[name], unary_n))
                    say(
                        f"  block {block + 1} Score x{CONCURRENCY} round {number + 1}: "
                        + ", ".join(f"{n} {unary[n][-1]:,.0f}" for n in names)
                        + " /s"
                    )
                for side in all_sides:
                    if (found := await stored_total(side)) != stored[side.name]:
                        raise RuntimeError(
                            f"{side.name}: the store holds {found} candidates, {stored[side.name]} expected"
                        )
        echo = await echo_pair(creds, 4 * stream_n, 4 if quick else 8)
        token_us = token_check_us(creds)
    say(f"  settle before each run: median {statistics.median(settled):.2f} s, longest {max(settled):.2f} s")
    say(
        "  echo (C-core TLS alone), /s and us CPU/signal server/client: "
        + ", ".join(
            f"{n} {statistics.median(v['rate']):,.0f} {statistics.median(v['server']):.1f}/"
            f"{statistics.median(v['client']):.1f}"
            for n, v in echo.items()
        )
    )
    say(f"  token check alone (in process): {token_us:.2f} us CPU per call")
    return rows(blocks, rounds, stream_n, unary_n, stream, unary, stream_cpu, unary_cpu, echo, token_us)


def rows(
    blocks: int,
    rounds: int,
    stream_n: int,
    unary_n: int,
    stream: dict[str, list[float]],
    unary: dict[str, list[float]],
    stream_cpu: dict[str, dict[str, list[float]]],
    unary_cpu: dict[str, dict[str, list[float]]],
    echo: dict[str, dict[str, list[float]]],
    token_us: float,
) -> list[Row]:
    """The table's rows from the samples (each side's median round)."""
    names = list(stream)
    med_s = {n: statistics.median(v) for n, v in stream.items()}
    med_u = {n: statistics.median(v) for n, v in unary.items()}
    cpu_s = {n: {end: statistics.median(v) for end, v in ends.items()} for n, ends in stream_cpu.items()}
    cpu_u = {n: {end: statistics.median(v) for end, v in ends.items()} for n, ends in unary_cpu.items()}
    runs = f"{blocks} blocks x {rounds} rounds"

    def paired(samples: dict[str, list[float]], name: str) -> float:
        return statistics.median(a / b for a, b in zip(samples[name], samples["plain"], strict=True))

    def halves(med: dict[str, float]) -> str:
        return f"TLS only {med['tls only'] / med['plain']:.2f}x, token only {med['token only'] / med['plain']:.2f}x"

    def cpu_line(cpu: dict[str, dict[str, float]], unit: str) -> str:
        return f"us CPU/{unit} server/client: " + ", ".join(
            f"{n} {cpu[n]['server']:.0f}/{cpu[n]['client']:.0f}" for n in names
        )

    for label, med, cpu, unit, raw in (
        ("stream", med_s, cpu_s, "signal", stream_cpu),
        ("Score", med_u, cpu_u, "call", unary_cpu),
    ):
        ratios = ", ".join(f"{n} {med[n] / med['plain']:.3f}x" for n in names[1:])
        say(f"  {label} median /s: plain {med['plain']:,.0f}, {ratios}")
        say(f"  {label} {cpu_line(cpu, unit)}")
        idle = [x for ends in raw.values() for x in ends["others_s"]]
        say(f"  {label}: idle servers' CPU in a run, median {statistics.median(idle):.2f} s, most {max(idle):.2f} s")
    common = {"blocks": blocks, "rounds": rounds, "stream_signals": stream_n, "unary_calls": unary_n}
    stream_extra = {
        **common,
        "frame_size": FRAME_SIZE,
        "samples": stream,
        "medians": med_s,
        "paired_ratios": {n: paired(stream, n) for n in names},
        "cpu_us_per_signal": stream_cpu,
        "cpu_us_per_signal_median": cpu_s,
    }
    unary_extra = {
        **common,
        "concurrency": CONCURRENCY,
        "samples": unary,
        "medians": med_u,
        "paired_ratios": {n: paired(unary, n) for n in names},
        "cpu_us_per_call": unary_cpu,
        "cpu_us_per_call_median": cpu_u,
    }
    secure, plain = cpu_s["tls+token"], cpu_s["plain"]
    secure_u, plain_u = cpu_u["tls+token"], cpu_u["plain"]
    echo_med = {n: {k: statistics.median(v) for k, v in d.items()} for n, d in echo.items()}
    tls_server_us = echo_med["tls"]["server"] - echo_med["plain"]["server"]
    tls_client_us = echo_med["tls"]["client"] - echo_med["plain"]["client"]
    return [
        Row(
            GROUP,
            f"ScoreStream {FRAME_SIZE} signals/message, TLS + token vs plaintext",
            med_s["tls+token"],
            med_s["plain"],
            "signals/s",
            target=STREAM_TARGET,
            note=f"median of {runs} of {stream_n:,} signals (one call each), fresh servers per block, sides in "
            f"rotated order; median per-round ratio {paired(stream, 'tls+token'):.2f}x; halves: {halves(med_s)}; "
            "client library score_stream on both sides, only the credentials differ",
            extra=stream_extra,
        ),
        Row(
            GROUP,
            "ScoreStream A/A: a second plaintext server vs plaintext",
            med_s["plain B"],
            med_s["plain"],
            "signals/s",
            note=f"context: the noise floor of the row above (identical servers); median per-round ratio "
            f"{paired(stream, 'plain B'):.2f}x",
        ),
        Row(
            GROUP,
            "ScoreStream server CPU per signal, TLS + token vs plaintext",
            secure["server"],
            plain["server"],
            "us CPU",
            higher_is_better=False,
            note=f"context, same runs: client CPU {secure['client']:.0f} vs {plain['client']:.0f} us/signal; "
            f"{cpu_line(cpu_s, 'signal')}",
        ),
        Row(
            GROUP,
            f"Score x{CONCURRENCY} concurrent, TLS + token vs plaintext",
            med_u["tls+token"],
            med_u["plain"],
            "calls/s",
            note=f"context (a call is one signal, so the per-call token check is paid per signal here); median of "
            f"{runs} of {unary_n:,} fresh-signal calls; median per-round ratio "
            f"{paired(unary, 'tls+token'):.2f}x; halves: {halves(med_u)}; A/A (plain B) "
            f"{med_u['plain B'] / med_u['plain']:.2f}x; raw stub on both sides",
            extra=unary_extra,
        ),
        Row(
            GROUP,
            "Score server CPU per call, TLS + token vs plaintext",
            secure_u["server"],
            plain_u["server"],
            "us CPU",
            higher_is_better=False,
            note=f"context: client CPU {secure_u['client']:.0f} vs {plain_u['client']:.0f} us/call; "
            f"{cpu_line(cpu_u, 'call')}; the token check alone (header parsed, SHA-256 compared, in process) "
            f"{token_us:.2f} us CPU a call, {100 * token_us / plain_u['server']:.2f}% of a plaintext Score",
            extra={"token_check_us": token_us},
        ),
        Row(
            GROUP,
            f"Raw echo ScoreStream {FRAME_SIZE}/message, TLS vs plaintext (C-core TLS alone)",
            echo_med["tls"]["rate"],
            echo_med["plain"]["rate"],
            "signals/s",
            note=f"context: bench/echo_tls.py (no scoring, storage or interceptors; the real answers' bytes), "
            f"{len(echo['plain']['rate'])} alternating runs each; CPU us/signal server "
            f"{echo_med['tls']['server']:.1f} vs {echo_med['plain']['server']:.1f}, client "
            f"{echo_med['tls']['client']:.1f} vs {echo_med['plain']['client']:.1f}: TLS costs "
            f"{tls_server_us:+.1f} us/signal on the server, {100 * tls_server_us / plain['server']:+.1f}% of ours "
            f"per signal ({plain['server']:.0f} us)",
            extra={"samples": echo, "medians": echo_med},
        ),
    ]

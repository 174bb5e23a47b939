"""`glm3`: the command line of GLM3 Signal Services, built on the `glm3.client` library.

Commands: `score` and `demo` (stream signals), `candidates get|list|search`, `feedback`, `stats` (the scoring
service), `ops health|watch|diagnose|resolve|runbooks|alerts|ack|status` (the ops service) and `health`
(grpc.health.v1 of any server). `glm3 --help` documents the output conventions and exit codes; each
command's `--help` its options. The work is in `cli_score`, `cli_scoring` and `cli_ops`; this module parses
arguments, opens clients with the global options, and turns failures into one line on stderr and an exit
code.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any, NoReturn, TextIO

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from glm3.client import cli_access, cli_ops, cli_score, cli_scoring
from glm3.client._channel import grpc_target, normalize_target
from glm3.client.cli_format import write_json
from glm3.client.cli_ops import ALERT_LEVELS, ALERT_STATES
from glm3.client.cli_scoring import ORDERS, VERDICTS, parse_since, verdict_list
from glm3.client.errors import CLIENT_DOMAIN, Glm3Error, error_from_rpc_error
from glm3.client.ops import DEFAULT_OPS_TARGET, OpsClient
from glm3.client.scoring import DEFAULT_SCORING_TARGET, ScoringClient

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_UNREACHABLE", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK = 0
EXIT_FAILED = 1  # a call failed, an item failed (score), an answer was not healthy (health)
EXIT_USAGE = 2  # bad options or arguments, an unreadable input file (argparse's own code)
EXIT_UNREACHABLE = 3  # the server could not be reached
EXIT_INTERRUPTED = 130  # Ctrl-C (except for the watches, where Ctrl-C is how they end: 0)

DEFAULT_HEALTH_TIMEOUT_S = 5.0

EPILOG = f"""\
targets:
  scoring commands (score, demo, candidates, feedback, stats, health) talk to --target, else $GLM3_TARGET,
  else {DEFAULT_SCORING_TARGET}; ops commands to --target, else $GLM3_OPS_TARGET, else {DEFAULT_OPS_TARGET}.
  --token (else $GLM3_TOKEN) is sent as "authorization: Bearer ..."; prefer the variable (a command line is
  visible to other users). Global options may come before or after the command.

output:
  Tables on stdout for people: aligned columns, one row per line, long text cut with "…"; notes such as
  "20 of 134 matching candidates" go to stderr, so stdout stays rows only.
  --json: JSON Lines on stdout, always: one compact JSON object per line, one line per row for lists
  and streams, exactly one line for commands that return one thing (get, feedback, stats, diagnose,
  resolve, ack, status, health). Objects are proto3 JSON with the protos' snake_case names (the seed's JSON);
  fields at their default value (0, "", false) are omitted. `glm3 score` always writes JSON Lines.

exit codes:
  0    success
  1    a call failed (one line on stderr: CODE: message [REASON] (field: problem; ...)), or, for
       score/demo, a signal failed (unless --allow-errors), or a resolution failed/partial, or for
       health, not SERVING; for ops health, the overall status is CRITICAL (or DEGRADED with --strict)
  2    usage error: bad options, an unreadable input file
  3    cannot reach the server (connection refused, DNS, TLS handshake)
  130  interrupted (Ctrl-C); the watches end with 0 on Ctrl-C
"""

SCORE_EPILOG = """\
input: JSON Lines, one signal per line in the seed's JSON (snake_case keys, null for absent values, ISO
  8601 timestamps). Blank lines are skipped. A malformed line (bad JSON, not an object, an unknown key, a
  wrong type, longer than 16 MiB) is reported on stderr with its line number, skipped, and counts as a
  failure. The file is read a line at a time; at most --window signals are in memory.

output: one JSON object per line and per signal, in the order results arrive (not the input order):
  {"correlation_id": ..., "signal_id": ..., "line": N, "already_scored": false, "candidate": {...}} or
  {"correlation_id": ..., "signal_id": ..., "line": N, "error": {"code": "INVALID_ARGUMENT", "message": ...,
   "reason": "INVALID_SIGNAL", "field_violations": [{"field": ..., "description": ...}]}}
  `line` is the input line number; a signal without an id has the correlation id "line:N".

stderr: a progress bar (rate, and ETA for a regular file) only when stderr is a terminal, each rejected
  signal, each failover (the stream broke and a new one resent the unanswered signals), and a summary:
  processed, scored by verdict, failed, failovers, elapsed time and rate.
exit: 1 if any signal failed (malformed or rejected) unless --allow-errors; 3 if the server is unreachable.
"""


def _version() -> str:
    try:
        return version("glm3-signal-services")
    except PackageNotFoundError:
        return "0+unknown"


class UsageError(Exception):
    """A bad option value found after parsing (exit 2)."""


class Context:
    """What a command needs: its arguments, its streams, and clients opened with the global options."""

    def __init__(self, args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> None:
        self.args = args
        self.stdout = stdout
        self.stderr = stderr
        self.json: bool = bool(getattr(args, "json", False))
        self.target = resolve_target(args)

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments of the clients from the global options (TLS, token, default deadline)."""
        args = self.args
        root_certificates = None
        if args.ca_file:
            with open(args.ca_file, "rb") as handle:
                root_certificates = handle.read()
        token = args.token if args.token is not None else os.environ.get("GLM3_TOKEN") or None
        if token is not None and (not token.strip() or any(c in token for c in "\r\n")):
            raise UsageError("the token (--token or $GLM3_TOKEN) must be non-empty and on one line")
        if bool(args.cert) != bool(args.key):
            raise UsageError("--cert and --key go together (mutual TLS): give both or neither")
        certificate_chain = private_key = None
        if args.cert:
            with open(args.cert, "rb") as handle:
                certificate_chain = handle.read()
            with open(args.key, "rb") as handle:
                private_key = handle.read()
        options: dict[str, Any] = {
            "secure": bool(args.tls),
            "root_certificates": root_certificates,
            "certificate_chain": certificate_chain,
            "private_key": private_key,
            "token": token,
        }
        if args.timeout is not None:
            options["timeout"] = args.timeout
        return options

    def scoring_client(self) -> ScoringClient:
        return ScoringClient(self.target, **self.client_options())

    def ops_client(self) -> OpsClient:
        return OpsClient(self.target, **self.client_options())

    def print_lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.stdout.write(line + "\n")
        self.stdout.flush()

    def note(self, text: str) -> None:
        """A remark for people (counts, footers): stderr, so stdout stays data."""
        self.stderr.write(text + "\n")
        self.stderr.flush()

    def fail(self, text: str) -> None:
        self.stderr.write(f"glm3: {text}\n")
        self.stderr.flush()

    def stderr_is_terminal(self) -> bool:
        isatty = getattr(self.stderr, "isatty", None)
        return bool(isatty and isatty())


def resolve_target(args: argparse.Namespace) -> str:
    """--target, else GLM3_OPS_TARGET / GLM3_TARGET, else the default; a host without a port gets the
    service's port (50052 for ops commands, 50051 otherwise). A URL or an empty entry is a usage error."""
    ops = getattr(args, "service_kind", "scoring") == "ops"
    default = DEFAULT_OPS_TARGET if ops else DEFAULT_SCORING_TARGET
    target = getattr(args, "target", None) or os.environ.get("GLM3_OPS_TARGET" if ops else "GLM3_TARGET") or default
    try:
        return normalize_target(str(target), int(default.rsplit(":", 1)[1]))
    except ValueError as exc:
        raise UsageError(f"--target: {exc}") from None


def report_error(error: Glm3Error, ctx: Context) -> int:
    """One line on stderr for a failed call; the exit code that goes with it."""
    if error.code == grpc.StatusCode.UNAVAILABLE and not error.reason:
        # No ErrorInfo: gRPC itself failed to get there (refused, DNS, TLS), not the server saying no.
        ctx.fail(f"cannot reach {ctx.target}: {error.message}")
        return EXIT_UNREACHABLE
    if error.code == grpc.StatusCode.UNIMPLEMENTED and not error.reason:
        ctx.fail(f"{error}; {wrong_server_hint(ctx)}")
        return EXIT_FAILED
    ctx.fail(str(error))
    return EXIT_USAGE if error.domain == CLIENT_DOMAIN and error.code == grpc.StatusCode.INVALID_ARGUMENT else EXIT_FAILED


SERVERS = {
    "scoring": ("the scoring server", "glm3.scoring.v1.ScoringService", DEFAULT_SCORING_TARGET),
    "ops": ("the ops server", "glm3.ops.v1.OpsService", DEFAULT_OPS_TARGET),
}


def wrong_server_hint(ctx: Context) -> str:
    """Why a method is not found: which server the target is (its health service names the services it
    serves) and which one the command needs."""
    needed = getattr(ctx.args, "service_kind", "scoring")
    name, service, default = SERVERS[needed]
    port = default.rsplit(":", 1)[1]
    served = [kind for kind, (_, full_name, _) in SERVERS.items() if _serves(ctx, full_name)]
    if needed in served:
        return f"{ctx.target} is {name}, but it lacks this method: it may be older than this glm3 ({_version()})"
    wanted = f"this command needs {name} ({service}, port {port} by default): --target HOST:{port}"
    if served:
        other, other_service, _ = SERVERS[served[0]]
        return f"{ctx.target} is {other} ({other_service}); {wanted}"
    return f"{ctx.target} serves neither GLM3 service (grpcurl ... list shows what it does serve); {wanted}"


def _serves(ctx: Context, service: str) -> bool:
    """Whether the target's grpc.health.v1 knows `service` (NOT_FOUND for a service it does not serve)."""
    try:
        with _health_channel(ctx) as (channel, metadata):
            health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=DEFAULT_HEALTH_TIMEOUT_S, metadata=metadata
            )
    except (grpc.RpcError, UsageError, OSError):
        return False
    return True


# -- health (grpc.health.v1, any server) -----------------------------------------------------------------


@contextlib.contextmanager
def _health_channel(ctx: Context) -> Iterator[tuple[grpc.Channel, tuple[tuple[str, str], ...] | None]]:
    """A plain grpc channel to the target with the global TLS options, and the token's metadata."""
    options = ctx.client_options()
    credentials = None
    if options["secure"] or options["root_certificates"] or options["certificate_chain"]:
        credentials = grpc.ssl_channel_credentials(
            root_certificates=options["root_certificates"],
            private_key=options["private_key"],
            certificate_chain=options["certificate_chain"],
        )
    target = grpc_target(ctx.target)[0]
    channel = grpc.secure_channel(target, credentials) if credentials is not None else grpc.insecure_channel(target)
    metadata = (("authorization", f"Bearer {options['token']}"),) if options["token"] else None
    with channel:
        yield channel, metadata


def run_health(args: argparse.Namespace, ctx: Context) -> int:
    """`glm3 health`: grpc.health.v1 Check; exit 0 only when SERVING."""
    timeout = args.timeout if args.timeout is not None else DEFAULT_HEALTH_TIMEOUT_S
    with _health_channel(ctx) as (channel, metadata):
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=args.service), timeout=timeout, metadata=metadata
            )
        except grpc.RpcError as exc:
            raise error_from_rpc_error(exc) from exc
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    if ctx.json:
        write_json(ctx.stdout, {"target": ctx.target, "service": args.service, "status": status})
    else:
        ctx.print_lines([f"{ctx.target} {args.service or '(server)'}: {status}"])
    return EXIT_OK if reply.status == health_pb2.HealthCheckResponse.SERVING else EXIT_FAILED


# -- the parser ------------------------------------------------------------------------------------------


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _int_range(low: int, high: int | None = None) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {low} to {high}" if high is not None else f"must be at least {low}")
        return value

    return parse


def _state_list(text: str) -> list[str]:
    values = [v.strip().lower() for v in text.split(",") if v.strip()]
    for value in values:
        if value not in ALERT_STATES:
            raise argparse.ArgumentTypeError(f"unknown state {value!r}; one of {', '.join(ALERT_STATES)}")
    return values


class ArgumentParser(argparse.ArgumentParser):
    """argparse with suggestions: a mistyped option or command gets "did you mean ...?". Each command's own
    parser reports the options it does not know (with its own usage), not the top-level one."""

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras and not self._subparsers:  # a command's parser: every option it takes is known here
            self.error(f"unrecognized arguments: {' '.join(extras)}{self._suggest_option(extras)}")
        return parsed, extras

    def _suggest_option(self, extras: Sequence[str]) -> str:
        known = [option for action in self._actions for option in action.option_strings if option.startswith("--")]
        for extra in extras:
            if extra.startswith("-"):
                close = difflib.get_close_matches(extra.split("=", 1)[0], known, n=1, cutoff=0.6)
                if close:
                    return f" (did you mean {close[0]}?)"
        return ""

    def error(self, message: str) -> NoReturn:
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)$", message)
        if choice:
            options = re.findall(r"'([^']*)'", choice.group(2))
            close = difflib.get_close_matches(choice.group(1), options, n=1, cutoff=0.5)
            if close:
                message += f"; did you mean {close[0]!r}?"
        elif message.startswith("unrecognized arguments: ") and "did you mean" not in message:
            message += self._suggest_option(message.removeprefix("unrecognized arguments: ").split())
        super().error(message)


def add_global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The options every command takes. On the commands they default to SUPPRESS, so a value given before
    the command is not overwritten by the command's default."""

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("global options")
    group.add_argument(
        "--target",
        metavar="HOST:PORT",
        default=default(None),
        help="server address, or several comma-separated (replicas: calls are spread over them); see 'targets' "
        "in glm3 --help",
    )
    group.add_argument(
        "--timeout", type=_positive_float, metavar="SECONDS", default=default(None),
        help="deadline of each unary call (default 30; health 5); score, demo and the watches have none",
    )
    group.add_argument("--token", metavar="TOKEN", default=default(None), help="bearer token (default $GLM3_TOKEN)")
    group.add_argument("--tls", action="store_true", default=default(False), help="connect with TLS (system root certificates)")
    group.add_argument(
        "--ca", "--ca-file", dest="ca_file", metavar="PEM", default=default(None),
        help="TLS with these root certificates instead of the system's (implies --tls)",
    )
    group.add_argument(
        "--cert", metavar="PEM", default=default(None),
        help="client certificate chain for mutual TLS (with --key; implies --tls): its identity is your principal",
    )
    group.add_argument("--key", metavar="PEM", default=default(None), help="private key of --cert")
    group.add_argument("--json", action="store_true", default=default(False), help="JSON Lines on stdout instead of tables")


def build_parser() -> argparse.ArgumentParser:
    common = ArgumentParser(add_help=False)
    add_global_options(common, suppress=True)
    formatter = argparse.RawDescriptionHelpFormatter

    parser = ArgumentParser(
        prog="glm3",
        description="Talk to the GLM3 Signal Services servers: score signals, read candidates, run ops.",
        epilog=EPILOG,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=_version())
    add_global_options(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(parent: Any, name: str, help: str, run: Any, kind: str, **kwargs: Any) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = parent.add_parser(
            name, help=help, description=kwargs.pop("description", help), parents=[common], formatter_class=formatter, **kwargs
        )
        sub.set_defaults(run=run, service_kind=kind)
        return sub

    # scoring
    score = command(
        commands, "score", "score JSON Lines signals from FILE (or - for stdin) with ScoreStream",
        cli_score.run_score, "scoring", epilog=SCORE_EPILOG,
    )
    score.add_argument("file", metavar="FILE|-", help="JSON Lines file of signals; - reads stdin")
    score.add_argument("--out", metavar="FILE", help="write the results here instead of stdout")
    score.add_argument("--allow-errors", action="store_true", help="exit 0 even when some signals failed")
    add_stream_options(score)
    score.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")

    demo = command(
        commands, "demo", "score the bundled sample signals and show the top candidates",
        cli_score.run_demo, "scoring",
        description="Stream the sample signals that ship with glm3 (realistic posts from forums, launch sites and "
        "reviews) to the scoring server and print the top candidates: title, verdict, overall score, strongest "
        "and weakest dimension. `make run` then `glm3 demo` shows the whole thing. Signals already scored "
        "return their stored candidates (use --rescore to score them again).",
    )
    demo.add_argument("--top", type=_int_range(0), default=10, metavar="N", help="how many candidates to show (default 10)")
    add_stream_options(demo)
    demo.set_defaults(no_progress=True)

    candidates = commands.add_parser("candidates", help="read scored candidates: get, list, search")
    which = candidates.add_subparsers(dest="candidates_command", required=True, metavar="COMMAND")
    get = command(which, "get", "one candidate by id, or the latest of a signal", cli_scoring.run_candidates_get, "scoring")
    get.add_argument("id", nargs="?", metavar="ID", help="candidate id")
    get.add_argument("--signal-id", metavar="ID", help="the latest candidate of this signal instead")

    listing = command(
        which, "list", "candidates matching filters (paged behind the scenes)",
        cli_scoring.run_candidates_list, "scoring",
    )
    listing.add_argument("--verdict", type=verdict_list, action="append", metavar="V[,V]", help=f"one or more of {', '.join(VERDICTS)} (repeatable)")
    listing.add_argument("--min-score", type=float, metavar="N", help="overall score at least N")
    listing.add_argument("--max-score", type=float, metavar="N", help="overall score at most N")
    listing.add_argument("--source", help="only this source (e.g. reddit)")
    listing.add_argument("--category", help="only this category")
    listing.add_argument("--tag", help="only candidates with this tag")
    listing.add_argument("--since", type=parse_since, metavar="TIME", help="scored at or after TIME: ISO 8601 or an age (90m, 24h, 7d)")
    listing.add_argument("--until", type=parse_since, metavar="TIME", help="scored before TIME (same forms)")
    listing.add_argument("--order", choices=ORDERS, default="time-desc", help="default %(default)s")
    listing.add_argument("--limit", type=_int_range(0), default=20, metavar="N", help="at most N rows (default 20; 0: all)")

    search = command(which, "search", "full-text search over titles, descriptions and reasoning", cli_scoring.run_candidates_search, "scoring")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--limit", type=_int_range(1, 100), default=10, metavar="N", help="at most N hits (default 10)")
    search.add_argument("--verdict", type=verdict_list, action="append", metavar="V[,V]", help="only these verdicts")

    feedback = command(commands, "feedback", "record what really happened to a candidate", cli_scoring.run_feedback, "scoring")
    feedback.add_argument("candidate_id", metavar="CANDIDATE_ID")
    right = feedback.add_mutually_exclusive_group()
    right.add_argument("--correct", dest="correct", action="store_const", const=True, default=None, help="the verdict was right")
    right.add_argument("--wrong", dest="correct", action="store_const", const=False, help="the verdict was wrong")
    feedback.add_argument("--expected", choices=VERDICTS, help="the verdict it should have had")
    feedback.add_argument("--outcome", metavar="TEXT", help="what actually happened (e.g. 'built it, 40 paying users')")
    feedback.add_argument("--rating", type=_int_range(1, 5), metavar="1-5", help="how good the idea turned out")
    feedback.add_argument("--comment", metavar="TEXT")
    feedback.add_argument("--by", metavar="NAME", help="who is giving the feedback")

    stats = command(commands, "stats", "scoring counts, verdicts, feedback, latency and health", cli_scoring.run_stats, "scoring")
    stats.add_argument("--since", type=parse_since, metavar="TIME", help="count from TIME (ISO 8601 or an age)")
    stats.add_argument("--until", type=parse_since, metavar="TIME", help="count until TIME")

    health = command(commands, "health", "ask a server's grpc.health.v1 whether it is SERVING", run_health, "scoring")
    health.add_argument("--service", default="", help="service name; empty asks about the whole server")

    # ops
    ops = commands.add_parser("ops", help="the ops service: health, watch, diagnose, resolve, runbooks, alerts, ack, status")
    ops_commands = ops.add_subparsers(dest="ops_command", required=True, metavar="COMMAND")
    oh = command(ops_commands, "health", "the latest check results (or run the checks now)", cli_ops.run_health, "ops")
    oh.add_argument("services", nargs="*", metavar="SERVICE", help="only these services (default: all)")
    oh.add_argument("--now", action="store_true", help="run the checks now instead of reading the latest results")
    oh.add_argument("--strict", action="store_true", help="exit 1 when the overall status is DEGRADED too (always when CRITICAL)")

    watch = command(ops_commands, "watch", "print check results as their status changes, and heartbeats, until Ctrl-C", cli_ops.run_watch, "ops")
    watch.add_argument("services", nargs="*", metavar="SERVICE", help="only these services (default: all)")
    watch.add_argument("--heartbeat", type=_positive_float, metavar="SECONDS", help="heartbeat interval, 1 to 3600 (server default 30)")

    diagnose = command(ops_commands, "diagnose", "explain a symptom, or a service's latest check result", cli_ops.run_diagnose, "ops")
    subject = diagnose.add_mutually_exclusive_group(required=True)
    subject.add_argument("--symptom", metavar="TEXT", help="what you see, in words (an error message, a log line)")
    subject.add_argument("--service", metavar="NAME", help="diagnose this service's latest check result (CheckHealth, then Diagnose)")
    diagnose.add_argument("--now", action="store_true", help="with --service: run its checks first")

    resolve = command(
        ops_commands, "resolve", "run a runbook (exit 1 unless it succeeded or was skipped)", cli_ops.run_resolve, "ops",
    )
    resolve.add_argument("runbook_id", metavar="RUNBOOK_ID")
    resolve.add_argument("--issue", metavar="NAME", help="the issue it resolves (default: the runbook's first)")
    resolve.add_argument("--service", metavar="NAME", help="the service it is for")
    resolve.add_argument("--dry-run", action="store_true", help="show what would run; run nothing")

    runbooks = command(ops_commands, "runbooks", "the declared runbooks", cli_ops.run_runbooks, "ops")
    runbooks.add_argument("--issue", metavar="NAME", help="only the runbooks for this issue")

    alerts = command(
        ops_commands, "alerts", "alerts, newest first (open and acknowledged by default)", cli_ops.run_alerts, "ops",
    )
    alerts.add_argument("--state", type=_state_list, action="append", metavar="S[,S]", help=f"one or more of {', '.join(ALERT_STATES)}")
    alerts.add_argument("--level", choices=ALERT_LEVELS, help="at least this level")
    alerts.add_argument("--service", metavar="NAME", help="only this service's alerts")
    alerts.add_argument("--limit", type=_int_range(0), default=50, metavar="N", help="at most N rows (default 50; 0: all)")
    alerts.add_argument("--watch", action="store_true", help="print the current alerts, then every change, until Ctrl-C")

    ack = command(ops_commands, "ack", "acknowledge an open alert", cli_ops.run_ack, "ops")
    ack.add_argument("alert_id", metavar="ALERT_ID")
    ack.add_argument(
        "--by", default=os.environ.get("USER") or "glm3", metavar="NAME",
        help="who acknowledges it (default $USER); a server with authentication records your principal instead",
    )
    ack.add_argument("--comment", metavar="TEXT")

    command(ops_commands, "status", "the agent's counters and escalation criteria", cli_ops.run_status, "ops")
    add_audit_options(command(ops_commands, "audit", "the ops server's audit trail (operator role)", cli_access.run_audit, "ops"))

    # access: the audit trail, tokens for a principals file
    add_audit_options(
        command(
            commands, "audit", "audit events of the scoring server: state changes and denials, newest first (operator role)",
            cli_access.run_audit, "scoring",
            description="Audit events (every call that changed state, every denied call), newest first. Servers that "
            "share a storage URI share one audit trail; `glm3 ops audit` asks the ops server.",
        )
    )
    token = commands.add_parser("token", help="make bearer tokens for a server's principals file (offline)")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="COMMAND")
    create = command(
        token_commands, "create", "a new random token and the principals-file entry that stores its SHA-256",
        cli_access.run_token_create, "scoring",
    )
    create.add_argument("--name", required=True, metavar="PRINCIPAL", help="who the token is for (audit trail name)")
    create.add_argument(
        "--role", required=True, action="append", choices=cli_access.ROLES,
        help="a role of the principal; repeat for several (operator includes reader)",
    )
    command(token_commands, "hash", "the SHA-256 of a token read from stdin, for a principals file", cli_access.run_token_hash, "scoring")
    return parser


def add_audit_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--principal", metavar="NAME", help="only this principal's calls")
    parser.add_argument("--method", metavar="NAME", help="only this method (Resolve, or /glm3.ops.v1.OpsService/Resolve)")
    parser.add_argument("--outcome", choices=cli_access.AUDIT_OUTCOMES, action="append", help="only this outcome; repeatable")
    parser.add_argument("--since", type=parse_since, metavar="TIME", help="events at or after TIME (ISO 8601 or 24h, 7d)")
    parser.add_argument("--until", type=parse_since, metavar="TIME", help="events before TIME")
    parser.add_argument("--limit", type=_int_range(0), default=50, metavar="N", help="at most N rows (default 50; 0: all)")


def add_stream_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("streaming")
    group.add_argument("--frame-size", type=_int_range(1, 1000), default=100, metavar="N", help="signals per request frame (default 100)")
    group.add_argument("--linger-ms", type=float, default=5.0, metavar="MS", help="wait this long to fill a frame (default 5)")
    group.add_argument("--window", type=_int_range(1), default=1000, metavar="N", help="signals in flight at most (default 1000)")
    group.add_argument("--rescore", action="store_true", help="score signals again even if their id was scored before")
    group.add_argument(
        "--view",
        choices=("basic", "full"),
        default="full",
        help="what each result carries: full (default: reasoning, recommendations, analysis) or basic (ids, scores,"
        " verdict and its reason; lighter for the server and the wire)",
    )
    group.add_argument(
        "--failover",
        type=_int_range(0),
        default=5,
        metavar="N",
        help="when the stream breaks (its server died or drains), open a new one that resends the unanswered"
        " signals that have an id, up to N times in a row without a result (default 5; 0: never)",
    )


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        ctx = Context(args, stdout or sys.stdout, stderr or sys.stderr)
    except UsageError as exc:
        (stderr or sys.stderr).write(f"glm3: {exc}\n")
        return EXIT_USAGE
    try:
        return int(args.run(args, ctx))
    except Glm3Error as exc:
        return report_error(exc, ctx)
    except UsageError as exc:
        ctx.fail(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        ctx.fail("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`glm3 ... | head`): stop quietly; make the interpreter's final flush harmless.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
    except OSError as exc:  # a --ca-file or --out that cannot be opened, say
        ctx.fail(f"{exc.filename + ': ' if exc.filename else ''}{exc.strerror or exc}")
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())

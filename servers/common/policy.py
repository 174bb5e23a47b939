"""The access policy: which role each RPC needs, and which calls are audited. The one table; nothing else
decides who may call what (handlers never test roles). Denied calls are always audited.

A rule names the role a method needs, and for a few methods a higher role when the request asks for more
(rescoring, running a runbook for real), judged on each request message (each frame of a stream). A
method missing from the table needs `operator`: a new RPC is closed to others until someone writes its rule. The "Roles"
section of docs/security.md and each RPC's proto comment show the same table; tests/integration/test_security.py checks that
every RPC of both services has a rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SCORING = "/glm3.scoring.v1.ScoringService/"
OPS = "/glm3.ops.v1.OpsService/"
HEALTH = "/grpc.health.v1.Health/"
REFLECTION_PREFIXES = ("/grpc.reflection.v1alpha.ServerReflection/", "/grpc.reflection.v1.ServerReflection/")

OPEN = None  # no credential needed
AUTHENTICATED = ""  # any valid credential, whatever its roles


@dataclass(frozen=True, slots=True)
class Rule:
    """`role` for every call; `elevated` (role, test on a request message, why) when the test holds.
    `audit`: the call changes state, so it leaves one audit row (a test on the request message: only when it
    holds); `target`: the request field it acts on."""

    role: str | None
    elevated: tuple[str, Callable[[Any], bool], str] | None = None
    audit: bool | Callable[[Any], bool] = False
    target: str = ""

    def required(self, message: Any) -> tuple[str | None, str]:
        """The role a request message needs, and why when it is the elevated one."""
        if self.elevated is not None:
            role, test, why = self.elevated
            if test(message):
                return role, why
        return self.role, ""


def _rescore(message: Any) -> bool:
    return bool(message.rescore)


def _frame_rescore(message: Any) -> bool:
    return message.WhichOneof("frame") == "batch" and bool(message.batch.rescore)


def _for_real(message: Any) -> bool:
    return not message.dry_run


_RESCORE = ("operator", _rescore, "rescore")

POLICY: dict[str, Rule] = {
    # Scoring: producers send signals; rescoring overwrites what was decided, so it is an operator's call.
    SCORING + "Score": Rule("producer", _RESCORE, audit=True, target="signal.id"),
    SCORING + "BatchScore": Rule("producer", _RESCORE, audit=True),
    SCORING + "ScoreStream": Rule("producer", ("operator", _frame_rescore, "rescore"), audit=True),
    SCORING + "ScoreUpload": Rule("producer", _RESCORE, audit=True),
    SCORING + "GetCandidate": Rule("reader"),
    SCORING + "GetSignal": Rule("reader"),
    SCORING + "ListCandidates": Rule("reader"),
    SCORING + "SearchCandidates": Rule("reader"),
    SCORING + "GetScoringStats": Rule("reader"),
    SCORING + "SubmitFeedback": Rule("operator", audit=True, target="candidate_id"),
    SCORING + "ListAuditEvents": Rule("operator"),
    # Ops: reading and advice for readers; anything that runs, acknowledges or teaches is an operator's.
    OPS + "CheckHealth": Rule("reader"),
    OPS + "WatchHealth": Rule("reader"),
    OPS + "Diagnose": Rule("reader"),
    OPS + "Resolve": Rule("reader", ("operator", _for_real, "dry_run false"), audit=_for_real, target="runbook_id"),
    OPS + "ListRunbooks": Rule("reader"),
    OPS + "ListAlerts": Rule("reader"),
    OPS + "WatchAlerts": Rule("reader"),
    OPS + "AcknowledgeAlert": Rule("operator", audit=True, target="alert_id"),
    OPS + "RecordResolution": Rule("operator", audit=True, target="resolution.issue_name"),
    OPS + "FindSimilarIssues": Rule("reader"),
    OPS + "GetAgentStatus": Rule("reader"),
    OPS + "ListAuditEvents": Rule("operator"),
    # Probes carry no token.
    HEALTH + "Check": Rule(OPEN),
    HEALTH + "Watch": Rule(OPEN),
    HEALTH + "List": Rule(OPEN),
}
# Reflection, when it is served (server.reflection): any valid credential.
for _prefix in REFLECTION_PREFIXES:
    POLICY[_prefix + "ServerReflectionInfo"] = Rule(AUTHENTICATED)


def rule_for(method: str) -> Rule | None:
    """The rule of a full method name (`/package.Service/Method`), None when the table has none."""
    return POLICY.get(method)


def target_of(message: Any, path: str) -> str:
    """The value of a dotted field path of a request message ('' when absent), cut to 256 characters."""
    value: Any = message
    for part in path.split("."):
        value = getattr(value, part, "")
    return str(value)[:256] if value else ""

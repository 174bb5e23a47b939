"""The contracts' enums by name: `Verdict(candidate.verdict)` prints `GO`, not `1`.

Generated messages hold enum fields as plain ints (`candidate.verdict == 1`). Each class here is an
`IntEnum` over one proto enum, its members named without the proto's prefix (`VERDICT_GO` is `Verdict.GO`),
so it compares equal to the field (`candidate.verdict == Verdict.GO`), converts it (`Verdict(3).name ==
"PASS"`), and prints as its name (`str(Verdict.GO) == "GO"`, also in f-strings). A value this client does
not know (a newer server's) converts to an unnamed member `UNKNOWN_<n>` instead of raising.
"""

from __future__ import annotations

import enum
from typing import Any

from glm3.audit.v1 import audit_pb2
from glm3.ops.v1 import ops_pb2, ops_service_pb2
from glm3.scoring.v1 import candidate_pb2, scoring_service_pb2

__all__ = [
    "AlertEventType",
    "AlertLevel",
    "AlertState",
    "AuditOutcome",
    "CandidateOrder",
    "CandidateView",
    "Confidence",
    "EscalationAction",
    "HealthStatus",
    "ResolutionStatus",
    "Verdict",
]


class ProtoEnum(enum.IntEnum):
    """An IntEnum that prints as its name and tolerates values it does not know."""

    def __str__(self) -> str:
        return self.name

    def __format__(self, spec: str) -> str:
        return format(self.name, spec)

    @classmethod
    def _missing_(cls, value: Any) -> ProtoEnum | None:
        if not isinstance(value, int):
            return None
        member = int.__new__(cls, value)
        member._name_ = f"UNKNOWN_{value}"
        member._value_ = value
        return member


def _from_proto(name: str, proto: Any, prefix: str) -> Any:
    members = {key.removeprefix(prefix): number for key, number in proto.items()}
    cls = ProtoEnum(name, members, module=__name__)
    cls.__doc__ = f"`{proto.DESCRIPTOR.full_name}` by name ({', '.join(members)})."
    return cls


Verdict = _from_proto("Verdict", candidate_pb2.Verdict, "VERDICT_")
CandidateOrder = _from_proto("CandidateOrder", scoring_service_pb2.CandidateOrder, "CANDIDATE_ORDER_")
CandidateView = _from_proto("CandidateView", candidate_pb2.CandidateView, "CANDIDATE_VIEW_")
HealthStatus = _from_proto("HealthStatus", ops_pb2.HealthStatus, "HEALTH_STATUS_")
Confidence = _from_proto("Confidence", ops_pb2.Confidence, "CONFIDENCE_")
ResolutionStatus = _from_proto("ResolutionStatus", ops_pb2.ResolutionStatus, "RESOLUTION_STATUS_")
AlertLevel = _from_proto("AlertLevel", ops_pb2.AlertLevel, "ALERT_LEVEL_")
EscalationAction = _from_proto("EscalationAction", ops_pb2.EscalationAction, "ESCALATION_ACTION_")
AlertState = _from_proto("AlertState", ops_pb2.AlertState, "ALERT_STATE_")
AlertEventType = _from_proto("AlertEventType", ops_service_pb2.AlertEventType, "ALERT_EVENT_TYPE_")
AuditOutcome = _from_proto("AuditOutcome", audit_pb2.AuditOutcome, "AUDIT_OUTCOME_")

"""Converters between `glm3.scoring.v1` messages and the scoring domain (keyword construction, no JSON)."""

from __future__ import annotations

import struct as _struct
from collections.abc import Mapping
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from google.protobuf import struct_pb2, timestamp_pb2

from glm3.scoring.v1 import candidate_pb2, scoring_service_pb2, signal_pb2
from glm3.servers.common.errors import FieldViolation
from glm3.servers.scoring import rules
from glm3.servers.scoring.models import Feedback, ScoredCandidate, Signal, Verdict

VERDICT_TO_PB = {
    Verdict.GO: candidate_pb2.VERDICT_GO,
    Verdict.RESEARCH: candidate_pb2.VERDICT_RESEARCH,
    Verdict.PASS: candidate_pb2.VERDICT_PASS,
}
VERDICT_FROM_PB = {v: k for k, v in VERDICT_TO_PB.items()}
CONFIG_FIELDS = tuple(f.name for f in candidate_pb2.ScoringConfig.DESCRIPTOR.fields)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def set_timestamp(message: timestamp_pb2.Timestamp, moment: datetime) -> None:
    """`message.FromDatetime(moment)`, in a tenth of the time for a UTC datetime (what the server makes): the
    whole seconds since the epoch, floored, and the microseconds as nanos, as FromDatetime sets them."""
    if type(moment) is datetime and moment.tzinfo is UTC:
        delta = moment - _EPOCH
        message.seconds = delta.days * 86_400 + delta.seconds
        message.nanos = delta.microseconds * 1_000
    else:
        message.FromDatetime(moment)


def timestamp_to_datetime(
    message: timestamp_pb2.Timestamp, field: str, violations: list[FieldViolation]
) -> datetime | None:
    try:
        return message.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        violations.append(FieldViolation(field, "is not a valid timestamp"))
        return None


def signal_from_pb(message: signal_pb2.Signal, prefix: str = "signal") -> tuple[Signal, list[FieldViolation]]:
    """The domain signal, and violations the conversion itself found (timestamps out of range)."""
    violations: list[FieldViolation] = []
    timestamp = (
        timestamp_to_datetime(message.timestamp, f"{prefix}.timestamp", violations)
        if message.HasField("timestamp")
        else None
    )
    extracted_at = (
        timestamp_to_datetime(message.extracted_at, f"{prefix}.extracted_at", violations)
        if message.HasField("extracted_at")
        else None
    )
    signal = Signal(  # positional, in the order of Signal's fields (keywords cost a microsecond a signal)
        message.title,
        message.description,
        message.source,
        message.id,
        timestamp,
        message.source_url,
        message.category,
        list(message.tags),
        dict(message.engagement),
        message.author,
        extracted_at,
        message.raw_content,
        list(message.comments),
    )
    return signal, violations


def signal_to_pb(signal: Signal, message: signal_pb2.Signal) -> None:
    """Fills `message` with a stored signal (the reverse of `signal_from_pb`)."""
    message.id = signal.id
    if signal.timestamp is not None:
        set_timestamp(message.timestamp, signal.timestamp)
    message.source = signal.source
    message.source_url = signal.source_url
    message.title = signal.title
    message.description = signal.description
    message.category = signal.category
    message.tags.extend(signal.tags)
    message.engagement.update(signal.engagement)
    message.author = signal.author
    if signal.extracted_at is not None:
        set_timestamp(message.extracted_at, signal.extracted_at)
    message.raw_content = signal.raw_content
    message.comments.extend(signal.comments)


def config_overrides(message: candidate_pb2.ScoringConfig) -> dict[str, float]:
    """The fields a request set (proto3 `optional`: unset means the server's value)."""
    return {name: getattr(message, name) for name in CONFIG_FIELDS if message.HasField(name)}


def fill_struct(struct: struct_pb2.Struct, values: Mapping[str, Any]) -> None:
    """`struct.update(values)`, about 2.5x faster for JSON-like values (what scorers put in `analysis`):
    exact types are set directly instead of through `Struct.update`'s generic per-value dispatch; any other
    type (an enum, a Struct) takes that generic path, so the result and the errors are the same."""
    fields = struct.fields
    for key, value in values.items():
        kind = type(value)
        if kind is float or kind is int:
            fields[key].number_value = value
        elif kind is str:
            fields[key].string_value = value
        elif kind is bool:
            fields[key].bool_value = value
        elif kind is dict:
            _fill_nested(fields[key].struct_value, value)
        elif kind is list:
            _fill_list(fields[key].list_value, value)
        else:
            struct.update({key: value})


def _fill_list(message: struct_pb2.ListValue, items: list[Any]) -> None:
    message.SetInParent()  # an empty list is still a list_value, as Struct.update makes it
    values = message.values
    for item in items:
        kind = type(item)
        if kind is str:
            values.add().string_value = item
        elif kind is float or kind is int:
            values.add().number_value = item
        elif kind is bool:
            values.add().bool_value = item
        elif kind is dict:
            _fill_nested(values.add().struct_value, item)
        else:
            message.append(item)


def _fill_nested(struct: struct_pb2.Struct, values: dict[str, Any]) -> None:
    if values:
        fill_struct(struct, values)
    else:
        struct.SetInParent()  # an empty dict is still a struct_value


# -- Struct as wire bytes ------------------------------------------------------------------------------------
# `fill_struct` costs about 0.5 us a value (a Value wrapper per map entry, a setter per field), and a scorer's
# `analysis` has some 95 of them: it was the largest part of building a candidate message. A Struct's wire
# bytes can be parsed in one call (upb, in C), and most of them can be written without a Python step per
# value: the dicts a scorer makes have the same keys and value types candidate after candidate, so for each
# such shape a plan is made once, and every number of it (most values) is written by one `struct.pack` (map
# entry heads are constants of the plan, doubles are slotted in). Strings, bools, lists and dicts are written
# one by one. Only exact JSON types are written so; anything else (None, enums, tuples, lists in lists,
# non-string keys, strings that are not valid UTF-8, numbers too large for a double) sends the whole Struct
# down `fill_struct`, so the message and the errors stay the same. Map entries may come in another order
# than the dict's, as any order is the same map (upb keeps its own order anyway).

_ONE_BYTE = [bytes((n,)) for n in range(128)]
_MAX_PLANS = 256  # shapes remembered; scorers make a handful, and an odd producer cannot grow it without end
_UNWIREABLE = object()  # a shape known to need fill_struct


class _NotWireable(Exception):
    """A value the wire writer leaves to `fill_struct`."""


def _varint(n: int) -> bytes:
    if n < 0x80:
        return _ONE_BYTE[n]
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _key_field(key: str) -> bytes:
    encoded = key.encode()
    return b"\x0a" + _varint(len(encoded)) + encoded  # MapEntry.key (1)


def _entry(key_field: bytes, value: bytes) -> bytes:
    """A Struct.fields map entry (field 1): the key field, then MapEntry.value (2) holding the Value's bytes."""
    size = len(value)
    entry = key_field + b"\x12" + (_ONE_BYTE[size] if size < 0x80 else _varint(size)) + value
    size = len(entry)
    return b"\x0a" + (_ONE_BYTE[size] if size < 0x80 else _varint(size)) + entry


def _value_bytes(value: Any, kind: type) -> bytes:
    """A Value's bytes for a number, string, bool, dict (struct_value, 5) or list (list_value, 6)."""
    if kind is float or kind is int:
        return b"\x11" + _pack_double(value)  # number_value (2)
    if kind is str:
        encoded = value.encode()
        return b"\x1a" + _varint(len(encoded)) + encoded  # string_value (3)
    if kind is bool:
        return b"\x20\x01" if value else b"\x20\x00"  # bool_value (4)
    if kind is dict:
        inner = _struct_bytes(value)
        return b"\x2a" + _varint(len(inner)) + inner  # present even when empty, as fill_struct makes it
    if kind is list:
        return _list_bytes(value)
    raise _NotWireable


def _list_bytes(items: list[Any]) -> bytes:
    """A list_value (6), present even when empty: ListValue.values (1), one Value per item."""
    parts = []
    for item in items:
        kind = type(item)
        if kind is str:
            encoded = item.encode()
            size = len(encoded)
            if size < 126:  # lengths of one byte each
                parts.append(b"\x0a" + _ONE_BYTE[size + 2] + b"\x1a" + _ONE_BYTE[size] + encoded)
                continue
            value = b"\x1a" + _varint(size) + encoded
        elif kind is list:
            raise _NotWireable  # fill_struct appends it through Struct's generic path
        else:
            value = _value_bytes(item, kind)
        parts.append(b"\x0a" + _varint(len(value)) + value)
    inner = b"".join(parts)
    return b"\x32" + _varint(len(inner)) + inner


_pack_double = _struct.Struct("<d").pack
_MAX_CACHED_STRINGS = 64  # per key of a plan: names such as the scorer's or the source's repeat


class _Plan:
    """How to write the dicts of one shape (keys in order, and each value's exact type)."""

    __slots__ = ("numbers", "args", "pack", "others")

    def __init__(self, keys: tuple[Any, ...], kinds: tuple[type, ...]) -> None:
        if any(type(key) is not str for key in keys):
            raise _NotWireable
        number_keys = [k for k, kind in zip(keys, kinds, strict=True) if kind is float or kind is int]
        heads = []
        for key in number_keys:
            key_field = _key_field(key)
            # The entry: its key, then MapEntry.value of 9 bytes: Value.number_value's tag and the double.
            heads.append(b"\x0a" + _varint(len(key_field) + 11) + key_field + b"\x12\x09\x11")
        self.numbers = None
        if len(number_keys) > 1:
            self.numbers = itemgetter(*number_keys)  # a tuple of the numbers, in C
        elif number_keys:
            only = number_keys[0]
            self.numbers = lambda values: (values[only],)
        self.args: list[Any] = [part for head in heads for part in (head, 0.0)]
        self.pack = _struct.Struct("<" + "".join(f"{len(head)}sd" for head in heads)).pack
        # (key, its key field, kind, what is known of its entries: both bools', an empty list's, strings')
        self.others: list[tuple[str, bytes, type, Any]] = []
        for key, kind in zip(keys, kinds, strict=True):
            if kind is float or kind is int:
                continue
            key_field = _key_field(key)
            known: Any
            if kind is bool:
                known = (_entry(key_field, b"\x20\x00"), _entry(key_field, b"\x20\x01"))
            elif kind is list:
                known = _entry(key_field, b"\x32\x00")
            elif kind is str:
                known = {}
            elif kind is dict:
                known = None
            else:
                raise _NotWireable
            self.others.append((key, key_field, kind, known))


_PLANS: dict[tuple[tuple[Any, ...], tuple[type, ...]], Any] = {}


def _struct_bytes(values: Mapping[str, Any]) -> bytes:
    """The wire bytes of the Struct `fill_struct` makes of `values` (Struct.fields is map<string, Value>)."""
    shape = (tuple(values), tuple(map(type, values.values())))
    plan = _PLANS.get(shape)
    if plan is None:
        try:
            plan = _Plan(*shape)
        except _NotWireable:
            plan = _UNWIREABLE
        if len(_PLANS) < _MAX_PLANS:
            _PLANS[shape] = plan
    if plan is _UNWIREABLE:
        raise _NotWireable
    parts = []
    if plan.numbers is not None:
        args = plan.args.copy()
        args[1::2] = plan.numbers(values)
        parts.append(plan.pack(*args))
    for key, key_field, kind, known in plan.others:
        value = values[key]
        if kind is bool:
            parts.append(known[value])
        elif kind is list:
            parts.append(_entry(key_field, _list_bytes(value)) if value else known)
        elif kind is str:
            entry = known.get(value)
            if entry is None:
                encoded = value.encode()
                entry = _entry(key_field, b"\x1a" + _varint(len(encoded)) + encoded)
                if len(known) < _MAX_CACHED_STRINGS:
                    known[value] = entry
            parts.append(entry)
        else:
            inner = _struct_bytes(value)
            parts.append(_entry(key_field, b"\x2a" + _varint(len(inner)) + inner))
    return b"".join(parts)


def fill_new_struct(struct: struct_pb2.Struct, values: Mapping[str, Any]) -> None:
    """`fill_struct(struct, values)` for a Struct that holds nothing yet, through its wire bytes: the same
    message in about half the time. A Struct that holds something already is left to `fill_struct`."""
    if not values:
        return
    if len(struct.fields) == 0:
        try:
            data = _struct_bytes(values)
        except (_NotWireable, UnicodeError, OverflowError, TypeError, _struct.error):
            pass  # fill_struct makes the same message, or raises its own error
        else:
            struct.MergeFromString(data)
            return
    fill_struct(struct, values)


def candidate_to_pb(
    candidate: ScoredCandidate, message: candidate_pb2.ScoredCandidate | None = None, *, full: bool = True
) -> candidate_pb2.ScoredCandidate:
    """The candidate as a message; filled into `message` when given (e.g. `response.candidate`, fresh).
    `full=False` is `CANDIDATE_VIEW_BASIC`: ids, scores, overall score, verdict and its reason, nothing else
    (the `analysis` Struct, the costliest part, is never built).

    Building a candidate where it is sent matters: a message passed to a constructor (`ScoreResult(
    candidate=...)`) is copied, and a candidate with its `analysis` costs as much to copy as to build."""
    if message is None:
        message = candidate_pb2.ScoredCandidate()
    message.id = candidate.id
    message.signal_id = candidate.signal_id
    scores = candidate.scores
    message_scores = message.scores
    message_scores.market = scores.market
    message_scores.competition = scores.competition
    message_scores.emotional = scores.emotional
    message_scores.feasibility = scores.feasibility
    message_scores.signal_quality = scores.signal_quality
    message.overall_score = candidate.overall_score
    message.verdict = VERDICT_TO_PB[candidate.verdict]
    message.verdict_reason = candidate.verdict_reason or rules.stored_verdict_reason(
        candidate.overall_score, scores.emotional, candidate.verdict, candidate.analysis
    )
    if not full:
        return message
    message.title = candidate.title
    message.description = candidate.description
    reasoning = candidate.reasoning
    message_reasoning = message.reasoning
    message_reasoning.market = reasoning.market
    message_reasoning.competition = reasoning.competition
    message_reasoning.emotional = reasoning.emotional
    message_reasoning.feasibility = reasoning.feasibility
    message_reasoning.signal_quality = reasoning.signal_quality
    message.recommendations.extend(candidate.recommendations)
    message.source = candidate.source
    message.source_url = candidate.source_url
    message.category = candidate.category
    message.tags.extend(candidate.tags)
    message.version = candidate.version
    message.previous_candidate_id = candidate.previous_candidate_id
    set_timestamp(message.timestamp, candidate.timestamp)
    fill_new_struct(message.analysis, candidate.analysis)
    return message


def feedback_to_pb(feedback: Feedback) -> scoring_service_pb2.Feedback:
    message = scoring_service_pb2.Feedback(
        id=feedback.id,
        candidate_id=feedback.candidate_id,
        expected_verdict=VERDICT_TO_PB[feedback.expected_verdict] if feedback.expected_verdict else 0,
        actual_outcome=feedback.actual_outcome,
        rating=feedback.rating,
        comment=feedback.comment,
        submitted_by=feedback.submitted_by,
    )
    if feedback.verdict_correct is not None:
        message.verdict_correct = feedback.verdict_correct
    set_timestamp(message.timestamp, feedback.timestamp)
    return message


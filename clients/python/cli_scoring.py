"""`glm3 candidates get|list|search`, `glm3 feedback` and `glm3 stats`: the scoring service's read side."""

from __future__ import annotations

import argparse
import itertools
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from glm3.client.cli_format import Column, counts, enum_name, format_time, key_values, render_table, to_dict, write_json
from glm3.client.errors import NotFoundError
from glm3.scoring.v1 import candidate_pb2
from glm3.scoring.v1 import scoring_service_pb2 as pb

__all__ = [
    "parse_since",
    "run_candidates_get",
    "run_candidates_list",
    "run_candidates_search",
    "run_feedback",
    "run_stats",
]

DIMENSIONS = ("market", "competition", "emotional", "feasibility", "signal_quality")
VERDICTS = ("go", "research", "pass")
ORDERS = ("time-desc", "time-asc", "score-desc", "score-asc")
VERDICT_ORDER = ("GO", "RESEARCH", "PASS")
_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str) -> datetime:
    """A point in time for --since/--until: ISO 8601 (`2026-10-01`, `2026-10-01T08:00:00Z`; no offset means
    UTC) or an age such as `90m`, `24h`, `7d`, `2w` (that long before now)."""
    value = text.strip()
    match = _RELATIVE.match(value)
    if match:
        return datetime.now(timezone.utc) - timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither an ISO 8601 time (2026-10-01T08:00:00Z) nor an age (90m, 24h, 7d)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def verdict_list(text: str) -> list[str]:
    """`go,research` → ["go", "research"]; each must be a known verdict."""
    values = [v.strip().lower() for v in text.split(",") if v.strip()]
    for value in values:
        if value not in VERDICTS:
            raise argparse.ArgumentTypeError(f"unknown verdict {value!r}; one of {', '.join(VERDICTS)}")
    return values


def verdict(candidate: candidate_pb2.ScoredCandidate) -> str:
    return enum_name(candidate_pb2.Verdict, candidate.verdict, "VERDICT_")


LIST_COLUMNS = (
    Column("ID", 40),
    Column("VERDICT", 8),
    Column("SCORE", 5, right=True),
    Column("TITLE", 70, flex=True, min_width=20),
    Column("SOURCE", 14),
    Column("CATEGORY", 14, flex=True),
    Column("SCORED AT", 20),
)


def list_row(candidate: candidate_pb2.ScoredCandidate) -> list[Any]:
    return [
        candidate.id,
        verdict(candidate),
        f"{candidate.overall_score:.1f}",
        candidate.title,
        candidate.source,
        candidate.category or "-",
        format_time(candidate.timestamp),
    ]


def candidate_details(candidate: candidate_pb2.ScoredCandidate) -> list[tuple[str, Any]]:
    """The key/value view of one candidate: identity, verdict, each dimension with its reasoning."""
    analysis = to_dict(candidate.analysis) if candidate.HasField("analysis") else {}
    scorer = str(analysis.get("scorer", "-"))
    if analysis.get("fallback_from"):
        # The LLM did not score it: say so, and why, rather than `heuristic (model)` as if the model had.
        scorer += f" (fallback from the {analysis['fallback_from'].upper()}"
        scorer += f" {analysis['model']}" if analysis.get("model") else ""
        scorer += f": {analysis['fallback_reason']})" if analysis.get("fallback_reason") else ")"
    elif analysis.get("model"):
        scorer += f" ({analysis['model']})"
    pairs: list[tuple[str, Any]] = [
        ("id", candidate.id),
        ("signal id", candidate.signal_id),
        ("title", candidate.title),
        ("verdict", f"{verdict(candidate)}  (overall {candidate.overall_score:.1f})"),
    ]
    for name in DIMENSIONS:
        reason = getattr(candidate.reasoning, name)
        pairs.append((f"  {name}", f"{getattr(candidate.scores, name):5.1f}  {reason}".rstrip()))
    for i, recommendation in enumerate(candidate.recommendations):
        pairs.append(("recommendations" if i == 0 else "", f"- {recommendation}"))
    pairs += [
        ("source", candidate.source + (f"  {candidate.source_url}" if candidate.source_url else "")),
        ("category", candidate.category or "-"),
        ("tags", ", ".join(candidate.tags) or "-"),
        ("scored at", format_time(candidate.timestamp)),
        ("scorer", scorer),
        ("version", f"{candidate.version}" + (f" (previous {candidate.previous_candidate_id})" if candidate.previous_candidate_id else "")),
    ]
    return pairs


def run_candidates_get(args: argparse.Namespace, ctx: Any) -> int:
    if (args.id is None) == (args.signal_id is None):
        ctx.fail("give a candidate ID or --signal-id (one of them)")
        return 2
    with ctx.scoring_client() as client:
        try:
            reply = client.get_candidate(args.id, signal_id=args.signal_id) if args.id else client.get_candidate(signal_id=args.signal_id)
        except NotFoundError:
            if args.id and not args.id.startswith("candidate_"):
                # Candidate ids start with candidate_; this looks like a signal id given where the candidate's goes.
                try:
                    found = client.get_candidate(signal_id=args.id)
                except NotFoundError:
                    found = None
                if found is not None:
                    ctx.fail(
                        f"no candidate has the id {args.id!r}, but a signal has: "
                        f"`glm3 candidates get --signal-id {args.id}` shows its candidate ({found.candidate.id})"
                    )
                    return 1
            raise
    if ctx.json:
        write_json(ctx.stdout, to_dict(reply.candidate))
    else:
        ctx.print_lines(key_values(candidate_details(reply.candidate), ctx.stdout))
    return 0


def run_candidates_list(args: argparse.Namespace, ctx: Any) -> int:
    limit = args.limit
    page_size = min(limit, 1_000) if limit > 0 else 200
    with ctx.scoring_client() as client:
        pager = client.list_candidates(
            verdicts=[v for group in args.verdict or [] for v in group] or None,
            min_overall_score=args.min_score,
            max_overall_score=args.max_score,
            source=args.source or "",
            category=args.category or "",
            tag=args.tag or "",
            start_time=args.since,
            end_time=args.until,
            order_by=args.order.replace("-", "_"),
            page_size=page_size,
        )
        rows = pager if limit <= 0 else itertools.islice(pager, limit)
        shown = 0
        if ctx.json:
            for candidate in rows:
                write_json(ctx.stdout, to_dict(candidate))
                shown += 1
        else:
            candidates = list(rows)
            shown = len(candidates)
            ctx.print_lines(render_table(LIST_COLUMNS, [list_row(c) for c in candidates], ctx.stdout))
        total = pager.total_size
    if not ctx.json:
        more = " (--limit 0 shows all)" if total is not None and total > shown else ""
        ctx.note(f"{shown:,} of {total if total is not None else shown:,} matching candidates{more}")
    return 0


SEARCH_COLUMNS = (
    Column("RELEVANCE", 9, right=True),
    Column("ID", 40),
    Column("VERDICT", 8),
    Column("SCORE", 5, right=True),
    Column("TITLE", 70, flex=True, min_width=20),
)


def run_candidates_search(args: argparse.Namespace, ctx: Any) -> int:
    with ctx.scoring_client() as client:
        reply = client.search_candidates(
            args.query, limit=args.limit, verdicts=[v for group in args.verdict or [] for v in group] or None
        )
    if ctx.json:
        for hit in reply.hits:
            write_json(ctx.stdout, to_dict(hit))
        return 0
    rows = [
        [f"{hit.relevance:.3f}", hit.candidate.id, verdict(hit.candidate), f"{hit.candidate.overall_score:.1f}", hit.candidate.title]
        for hit in reply.hits
    ]
    ctx.print_lines(render_table(SEARCH_COLUMNS, rows, ctx.stdout))
    ctx.note(f"{len(rows):,} hits ({reply.mode or 'unknown'} search)")
    return 0


def run_feedback(args: argparse.Namespace, ctx: Any) -> int:
    said = (args.correct is not None, args.expected, args.outcome, args.rating, args.comment)
    if not any(said):
        ctx.fail("feedback says nothing: give --correct or --wrong (or --expected, --outcome, --rating, --comment)")
        return 2  # a usage error, before anything is sent
    with ctx.scoring_client() as client:
        reply = client.submit_feedback(
            args.candidate_id,
            verdict_correct=args.correct,
            expected_verdict=args.expected,
            actual_outcome=args.outcome or "",
            rating=args.rating or 0,
            comment=args.comment or "",
            submitted_by=args.by or "",
        )
    feedback = reply.feedback
    if ctx.json:
        write_json(ctx.stdout, to_dict(feedback))
        return 0
    correct = "-" if not feedback.HasField("verdict_correct") else ("yes" if feedback.verdict_correct else "no")
    pairs: list[tuple[str, Any]] = [
        ("feedback", feedback.id),
        ("candidate", feedback.candidate_id),
        ("verdict correct", correct),
    ]
    if feedback.expected_verdict:
        pairs.append(("expected verdict", enum_name(candidate_pb2.Verdict, feedback.expected_verdict, "VERDICT_")))
    if feedback.actual_outcome:
        pairs.append(("outcome", feedback.actual_outcome))
    if feedback.rating:
        pairs.append(("rating", f"{feedback.rating}/5"))
    if feedback.comment:
        pairs.append(("comment", feedback.comment))
    if feedback.submitted_by:
        pairs.append(("by", feedback.submitted_by))
    pairs.append(("recorded at", format_time(feedback.timestamp)))
    ctx.print_lines(key_values(pairs, ctx.stdout))
    return 0


def _histogram(buckets: Any, width: int = 30) -> list[tuple[str, str]]:
    peak = max((b.count for b in buckets), default=0)
    rows = []
    for bucket in buckets:
        bar = "█" * (round(width * bucket.count / peak) if peak else 0)
        rows.append((f"  {bucket.lower:3.0f}-{bucket.upper:<3.0f}", f"{bar} {bucket.count:,}".strip()))
    return rows


def _llm_state(reply: pb.GetScoringStatsResponse) -> str:
    health = reply.health
    if health.brain_connected:
        return "LLM connected"
    if not health.llm_configured:
        return "no LLM (heuristic scorer)"
    if reply.llm_circuit_open:
        return "LLM FAILING: circuit open, heuristic fallbacks"
    if reply.llm_calls == 0:
        return "LLM configured, not called yet"
    return "LLM FAILING: its last call failed, heuristic fallbacks"


def run_stats(args: argparse.Namespace, ctx: Any) -> int:
    with ctx.scoring_client() as client:
        reply: pb.GetScoringStatsResponse = client.get_scoring_stats(start_time=args.since, end_time=args.until)
    if ctx.json:
        write_json(ctx.stdout, to_dict(reply))
        return 0
    latency = reply.scoring_latency
    health = reply.health
    facts = [
        health.status or "-",
        "store reachable" if health.store_reachable else "store UNREACHABLE",
        _llm_state(reply),
        f"queue {health.queue_size:,}",
    ]
    if health.version:
        facts.append(f"version {health.version}")
    pairs: list[tuple[str, Any]] = [
        ("candidates", f"{reply.candidates_total:,}  (mean overall {reply.mean_overall_score:.1f})"),
        ("verdicts", counts(dict(reply.verdict_counts), VERDICT_ORDER)),
        ("scorers", counts(dict(reply.scorer_counts))),
        (
            "feedback",
            f"{reply.feedback_count:,}"
            + (f"  (verdict agreement {reply.feedback_agreement_rate:.0%})" if reply.feedback_count else ""),
        ),
        (
            "latency",
            f"p50 {latency.p50_ms:.1f} ms · p90 {latency.p90_ms:.1f} ms · p99 {latency.p99_ms:.1f} ms"
            f"  ({latency.count:,} scored)",
        ),
        ("llm", f"{reply.llm_calls:,} calls, {reply.llm_fallbacks:,} fallbacks"),
        ("health", " · ".join(facts)),
    ]
    if reply.score_distribution:
        pairs.append(("overall scores", ""))
        pairs += _histogram(reply.score_distribution)
    ctx.print_lines(key_values(pairs, ctx.stdout))
    return 0

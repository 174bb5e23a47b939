"""The signals the benchmarks send: realistic, varied (so the heuristic scorer does its real work), unique ids."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from glm3.scoring.v1 import signal_pb2

_TITLES = (
    "Invoice matcher for small agencies",
    "Why is there no simple tool to track client feedback?",
    "Ask HN: what do you use for on-call handoffs?",
    "I built a spreadsheet to plan freelance taxes, people keep asking for it",
    "Frustrated with every meeting notes app",
)
_DESCRIPTIONS = (
    "Our team wastes hours every week matching invoices by hand; I would pay for a tool that fixes it.",
    "Every small business I talk to juggles emails and sticky notes. Existing tools are too expensive and "
    "clunky. Is anyone working on this?",
    "We tried three options and none of them integrate with our stack. Thousands of teams must have this "
    "problem; happy to pay $20/month.",
    "Sharing my side project: a template that saved me 10 hours a month. Founders and freelancers keep asking "
    "for a hosted version.",
    "I hate how slow and bloated these apps are. Looking for something simple that just works.",
)
_SOURCES = ("reddit", "hackernews", "producthunt", "twitter", "indiehackers")

_runs = itertools.count()


def signal(n: int, run: str = "") -> signal_pb2.Signal:
    """Signal number `n`; `run` makes ids unique across runs on the same store."""
    k = n % 5
    return signal_pb2.Signal(
        id=f"bench{run}-{n}",
        title=_TITLES[k],
        description=_DESCRIPTIONS[(n // 5) % 5],
        source=_SOURCES[(n // 25) % 5],
        tags=["saas", "workflow"] if n % 2 else ["finance"],
        engagement={"upvotes": n % 500, "comments": n % 60},
    )


def signals(count: int) -> Iterator[signal_pb2.Signal]:
    """`count` fresh signals whose ids no earlier call in this process used."""
    run = f"r{next(_runs)}"
    return (signal(n, run) for n in range(count))

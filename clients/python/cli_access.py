"""`glm3 audit` (read the audit trail of a server) and `glm3 token` (make bearer tokens for a principals file)."""

from __future__ import annotations

import argparse
import hashlib
import itertools
import secrets
import sys
from typing import Any

from glm3.audit.v1 import audit_pb2
from glm3.client.cli_format import Column, enum_name, format_time, render_table, to_dict, write_json

AUDIT_OUTCOMES = ("succeeded", "failed", "denied")
ROLES = ("producer", "reader", "operator")

AUDIT_COLUMNS = (
    Column("TIME", 20),
    Column("PRINCIPAL", 20),
    Column("METHOD", 36),
    Column("OUTCOME", 9),
    Column("CODE", 18),
    Column("TARGET", 40, flex=True, min_width=12),
)


def run_audit(args: argparse.Namespace, ctx: Any) -> int:
    """`glm3 audit` / `glm3 ops audit`: audit events, newest first (needs the operator role)."""
    client = ctx.ops_client() if args.service_kind == "ops" else ctx.scoring_client()
    with client:
        pager = client.list_audit_events(
            principal=args.principal or "",
            method=args.method or "",
            start_time=args.since,
            end_time=args.until,
            outcomes=args.outcome or None,
            page_size=min(args.limit, 1_000) if args.limit > 0 else 500,
        )
        events = pager if args.limit <= 0 else itertools.islice(pager, args.limit)
        if ctx.json:
            for event in events:
                write_json(ctx.stdout, to_dict(event))
            return 0
        rows = [
            [
                format_time(e.timestamp),
                e.principal or "-",
                e.method.rsplit("/", 2)[-2].rsplit(".", 1)[-1] + "/" + e.method.rsplit("/", 1)[-1] if e.method.count("/") >= 2 else e.method,
                enum_name(audit_pb2.AuditOutcome, e.outcome, "AUDIT_OUTCOME_"),
                e.code,
                e.target,
            ]
            for e in events
        ]
    ctx.print_lines(render_table(AUDIT_COLUMNS, rows, ctx.stdout))
    ctx.note(f"{len(rows):,} event{'' if len(rows) == 1 else 's'}")
    return 0


def new_token() -> str:
    """256 random bits, URL-safe, with a prefix that secret scanners and the redactor can recognise."""
    return "glm3_" + secrets.token_urlsafe(32)


def run_token_create(args: argparse.Namespace, ctx: Any) -> int:
    """`glm3 token create`: a new token, and the principals-file entry that holds only its hash."""
    token = new_token()
    digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
    roles = sorted(set(args.role))
    if ctx.json:
        write_json(ctx.stdout, {"name": args.name, "roles": roles, "token": token, "token_sha256": digest})
        return 0
    ctx.print_lines(
        [
            f"# the token of {args.name}: give it to the caller now; it is not stored anywhere",
            token,
            "# add this entry under `principals:` in the server's auth.principals_file (re-read within seconds):",
            f"  - name: {args.name}",
            f"    roles: [{', '.join(roles)}]",
            f'    token_sha256: ["{digest}"]',
        ]
    )
    return 0


def run_token_hash(args: argparse.Namespace, ctx: Any) -> int:
    """`glm3 token hash`: the SHA-256 of a token read from stdin (one line), for an existing token."""
    token = sys.stdin.readline().rstrip("\r\n")
    if not token:
        ctx.fail("give the token on stdin (one line), e.g. printf %s \"$TOKEN\" | glm3 token hash")
        return 2
    ctx.print_lines([hashlib.sha256(token.encode("utf-8")).hexdigest()])
    return 0

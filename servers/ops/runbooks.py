"""Runbooks: repairs declared in YAML from a small allowlist of step kinds, their catalog, and the executor.

Only declared steps ever run. Nothing from a check's output, an LLM reply or a request is executed: a
diagnosis may *name* a runbook, and the executor runs that runbook's steps as written. The step kinds are
deliberately few and narrow:

- `command`: an argv list run without a shell (a shell string is refused at load), in its own process
  group, killed with the group at its timeout; output captured and truncated.
- `http`: one request to an http(s) URL, redirects not followed, ok when the status is expected.
- `cleanup`: deletes regular files older than N days under a directory that must lie inside one of the
  configured `allowed_dirs` (checked on real paths at load and again at run time; symlinks are never
  followed, neither as the directory nor as files in it).
- `wait_recheck`: waits, then re-runs the service's check; ok when it is healthy.

A `RunbookCatalog` is loaded once at start from `RunbooksSection.path` (or the bundled
`default_runbooks.yaml`); every problem in the file is reported, one line each, naming the file, the
runbook, the step and what is wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import importlib.resources
import logging
import os
import shlex
import signal
import stat
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import aiohttp
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from glm3.servers.common.redact import is_secret_key
from glm3.servers.common.errors import FieldViolation, InvalidArgument, NotFound
from glm3.servers.common.settings import ConfigError, HttpUrlStr, Section
from glm3.servers.ops.models import CheckResult, HealthStatus, ResolutionResult, ResolutionStatus, StepResult

log = logging.getLogger("glm3.ops.runbooks")

__all__ = [
    "CleanupStep",
    "CommandStep",
    "Cooldown",
    "HttpStep",
    "Recheck",
    "Runbook",
    "RunbookCatalog",
    "RunbookError",
    "RunbookExecutor",
    "RunbooksSection",
    "STEP_KINDS",
    "Step",
    "WaitRecheckStep",
    "bundled_runbooks_path",
    "verified",
]

STEP_KINDS = ("command", "http", "cleanup", "wait_recheck")
MAX_STEP_TIMEOUT_S = 600.0
MAX_STEPS = 32
OUTPUT_LIMIT = 4096  # bytes of a command's stdout (and of its stderr) kept in the result
OUTPUT_GRACE_S = 0.5  # after a command exits, how long its output may still arrive (from its children)
HTTP_BODY_LIMIT = 1024  # bytes of an HTTP response body kept in the result
CLEANUP_BACKSTOP_S = 5.0  # a cleanup stops itself at its timeout; this bounds a stuck file system call

_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_STEP_NAME = r"^[a-z0-9][a-z0-9_-]*$"
_ISSUE_NAME = r"^[A-Za-z0-9_.:-]+$"

Recheck = Callable[[str], Awaitable[CheckResult]]
"""Re-runs the check of one service (by name) and returns its result."""


# -- declarations -------------------------------------------------------------------------------------


class _Declared(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Step(_Declared):
    name: str = Field(min_length=1, max_length=64, pattern=_STEP_NAME, description="unique in the runbook")
    description: str = Field("", max_length=1000, description="what the step does, for a person")
    timeout_s: float = Field(30.0, gt=0, le=MAX_STEP_TIMEOUT_S, description="the step fails after this long")


class CommandStep(_Step):
    """Runs a program with arguments, never through a shell."""

    kind: Literal["command"] = "command"
    argv: tuple[str, ...] = Field(min_length=1, description="program and arguments, e.g. [systemctl, restart, x]")
    cwd: str | None = Field(None, description="working directory; the server's when unset")
    env: dict[str, str] = Field(default_factory=dict, description="variables added to the server's environment")
    expected_exit_codes: tuple[int, ...] = Field((0,), min_length=1, description="exit codes that mean success")

    @field_validator("argv", mode="before")
    @classmethod
    def _no_shell_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            hint = f": write {_split_hint(value)}" if _split_hint(value) else ""
            raise ValueError(f"must be a list of strings, never a shell string{hint}")
        return value

    @field_validator("argv")
    @classmethod
    def _program_named(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value[0].strip():
            raise ValueError("the program (first item) must not be empty")
        if any("\x00" in part for part in value):
            raise ValueError("must not contain NUL characters")
        return value

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [name for name in value if not name or "=" in name or "\x00" in name]
        if bad:
            raise ValueError(f"invalid variable name {bad[0]!r}")
        return value

    def describe(self) -> str:
        where = f" in {self.cwd}" if self.cwd else ""
        return f"would run: {shlex.join(self.argv)}{where} (timeout {self.timeout_s:g} s)"


class HttpStep(_Step):
    """Sends one HTTP request (e.g. an admin endpoint that restarts a worker)."""

    kind: Literal["http"] = "http"
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: HttpUrlStr = Field(description="http:// or https:// URL")
    expected_status: tuple[int, ...] = Field((200,), min_length=1, description="statuses that mean success")
    body: dict[str, Any] | list[Any] | None = Field(None, description="JSON body to send")
    headers: dict[str, str] = Field(default_factory=dict, description="request headers (never logged)")

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("expected_status", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, int) else value

    @field_validator("expected_status")
    @classmethod
    def _statuses(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 100 <= code <= 599 for code in value):
            raise ValueError("HTTP statuses are 100 to 599")
        return value

    def describe(self) -> str:
        expected = ", ".join(str(code) for code in self.expected_status)
        return f"would send: {self.method} {self.url}, expecting {expected} (timeout {self.timeout_s:g} s)"


class CleanupStep(_Step):
    """Deletes regular files older than `older_than_days` matching `pattern` in an allowed directory."""

    kind: Literal["cleanup"] = "cleanup"
    directory: str = Field(description="absolute path inside one of runbooks.allowed_dirs")
    older_than_days: float = Field(gt=0, description="only files last modified longer ago than this go")
    pattern: str = Field("*", min_length=1, description="file name pattern (fnmatch, case-sensitive)")
    recursive: bool = Field(False, description="also clean subdirectories (symlinked ones are not entered)")

    @field_validator("directory")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not os.path.isabs(value):
            raise ValueError("must be an absolute path")
        return value

    @field_validator("pattern")
    @classmethod
    def _name_only(cls, value: str) -> str:
        if "/" in value or os.sep in value or value in (".", ".."):
            raise ValueError("is a file name pattern: it must not contain a path separator")
        return value

    def describe(self) -> str:
        depth = " and its subdirectories" if self.recursive else ""
        return (
            f"would delete regular files matching {self.pattern!r} older than {self.older_than_days:g} days "
            f"in {self.directory}{depth}"
        )


class WaitRecheckStep(_Step):
    """Waits, then re-runs the service's check; ok when the service is healthy again."""

    kind: Literal["wait_recheck"] = "wait_recheck"
    wait_s: float = Field(5.0, ge=0, le=MAX_STEP_TIMEOUT_S, description="seconds to wait before re-checking")
    service: str = Field("", max_length=256, description="service to re-check; empty: the one being resolved")

    @model_validator(mode="after")
    def _wait_fits(self) -> WaitRecheckStep:
        if self.wait_s >= self.timeout_s:
            raise ValueError(f"wait_s ({self.wait_s:g}) must be shorter than timeout_s ({self.timeout_s:g})")
        return self

    def describe(self) -> str:
        target = self.service or "the service"
        return f"would wait {self.wait_s:g} s, then re-check {target}"


Step = Annotated[CommandStep | HttpStep | CleanupStep | WaitRecheckStep, Field(discriminator="kind")]


class Runbook(_Declared):
    """A named, ordered list of steps that repairs some issues."""

    id: str = Field(min_length=1, max_length=64, pattern=_SLUG, description="unique slug, e.g. recheck-endpoint")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    issues: tuple[Annotated[str, Field(min_length=1, max_length=128, pattern=_ISSUE_NAME)], ...] = Field(
        min_length=1, description="issue names it applies to, e.g. disk_full"
    )
    safe_for_automation: bool = Field(False, description="whether the agent may run it on its own")
    steps: tuple[Step, ...] = Field(min_length=1, max_length=MAX_STEPS)

    @model_validator(mode="after")
    def _unique_step_names(self) -> Runbook:
        seen: set[str] = set()
        for step in self.steps:
            if step.name in seen:
                raise ValueError(f"step name {step.name!r} is used twice")
            seen.add(step.name)
        return self

    def applies_to(self, issue_name: str) -> bool:
        return issue_name in self.issues

    @property
    def has_recheck(self) -> bool:
        return any(isinstance(step, WaitRecheckStep) for step in self.steps)


def _split_hint(value: str) -> str:
    """The argv list a shell string probably meant, to show in the error (empty if it cannot tell)."""
    try:
        parts = shlex.split(value)
    except ValueError:
        return ""
    return "[" + ", ".join(parts) + "]" if parts else ""


# -- settings -----------------------------------------------------------------------------------------


class RunbooksSection(Section):
    path: str = Field(
        "", description="YAML file declaring the runbooks; empty means the bundled default_runbooks.yaml"
    )
    allowed_dirs: tuple[str, ...] = Field(
        (),
        description="absolute directories cleanup steps may delete files in (separated by "
        f"'{os.pathsep}' in the environment); empty refuses every cleanup step",
    )
    auto_resolve: bool = Field(
        True, description="run runbooks marked safe_for_automation on their own when a problem is diagnosed"
    )
    cooldown_s: float = Field(
        900.0, ge=0, description="seconds before the agent runs the same runbook for the same service again"
    )

    @field_validator("allowed_dirs", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part for part in value.split(os.pathsep) if part.strip())
        return value

    @field_validator("allowed_dirs")
    @classmethod
    def _absolute_not_root(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for directory in value:
            if not os.path.isabs(directory):
                raise ValueError(f"{directory!r} must be an absolute path")
            real = Path(os.path.realpath(directory))
            if real == Path(real.anchor):
                raise ValueError(f"{directory!r} is the file system root; name a narrower directory")
        return value


def bundled_runbooks_path() -> Path:
    """The default_runbooks.yaml shipped with the package."""
    return Path(str(importlib.resources.files("glm3.servers.ops").joinpath("default_runbooks.yaml")))


# -- catalog ------------------------------------------------------------------------------------------


class RunbookError(ConfigError):
    """A runbooks file that cannot be used. `problems` holds one line per problem; the message joins them."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def _resolve_roots(allowed_dirs: Iterable[str | Path]) -> tuple[Path, ...]:
    return tuple(Path(os.path.realpath(directory)) for directory in allowed_dirs)


def _outside_allowed(directory: str, roots: Sequence[Path]) -> str | None:
    """Why cleanup may not touch `directory` (symlinks resolved), or None when it lies inside a root."""
    if not roots:
        return "cleanup is disabled: runbooks.allowed_dirs is empty"
    real = Path(os.path.realpath(directory))
    if any(real.is_relative_to(root) for root in roots):
        return None
    shown = f"{directory} (really {real})" if str(real) != os.path.normpath(directory) else directory
    return f"directory {shown} is not inside an allowed directory ({', '.join(map(str, roots))})"


class RunbookCatalog:
    """The runbooks declared for this server, by id."""

    def __init__(self, runbooks: Iterable[Runbook], *, source: str = "", allowed_dirs: Iterable[str | Path] = ()):
        self._runbooks = {runbook.id: runbook for runbook in sorted(runbooks, key=lambda r: r.id)}
        self.source = source
        self.allowed_dirs = _resolve_roots(allowed_dirs)

    @classmethod
    def load(cls, section: RunbooksSection) -> RunbookCatalog:
        """Reads `section.path` (or the bundled file). Raises RunbookError listing every problem."""
        path = Path(section.path) if section.path else bundled_runbooks_path()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RunbookError([f"runbooks file {path}: cannot read: {exc.strerror or exc}"]) from None
        catalog = cls.parse(text, source=str(path), allowed_dirs=section.allowed_dirs)
        log.info("runbooks loaded", extra={"source": str(path), "runbooks": catalog.ids()})
        return catalog

    @classmethod
    def parse(cls, text: str, *, source: str, allowed_dirs: Iterable[str | Path] = ()) -> RunbookCatalog:
        """Builds a catalog from YAML text; `source` names it in error messages."""
        roots = _resolve_roots(allowed_dirs)
        entries = _entries(text, source)
        problems: list[str] = []
        runbooks: list[Runbook] = []
        seen: dict[str, int] = {}
        for index, raw in enumerate(entries):
            where = _runbook_label(source, index, raw)
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            if isinstance(raw_id, str) and raw_id in seen:
                problems.append(f"{where}: id is already used by runbook #{seen[raw_id] + 1}")
                continue
            if isinstance(raw_id, str):
                seen[raw_id] = index
            try:
                runbook = Runbook.model_validate(raw)
            except ValidationError as exc:
                problems.extend(_describe_errors(where, raw, exc))
                continue
            problems.extend(_cleanup_problems(where, runbook, roots))
            runbooks.append(runbook)
        if problems:
            raise RunbookError(problems)
        return cls(runbooks, source=source, allowed_dirs=roots)

    def get(self, runbook_id: str) -> Runbook:
        try:
            return self._runbooks[runbook_id]
        except KeyError:
            raise NotFound(f"no runbook {runbook_id!r}", metadata={"runbook_id": runbook_id}) from None

    def all(self) -> list[Runbook]:
        return list(self._runbooks.values())

    def for_issue(self, issue_name: str) -> list[Runbook]:
        """The runbooks that apply to `issue_name`, by id."""
        return [runbook for runbook in self._runbooks.values() if runbook.applies_to(issue_name)]

    def ids(self) -> list[str]:
        return list(self._runbooks)

    def __len__(self) -> int:
        return len(self._runbooks)


def _entries(text: str, source: str) -> list[Any]:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}" if mark is not None else ""
        raise RunbookError([f"runbooks file {source}{at}: not valid YAML"]) from None
    if not isinstance(loaded, dict) or not isinstance(loaded.get("runbooks"), list):
        raise RunbookError([f"runbooks file {source}: must be a mapping with a 'runbooks' list"])
    unknown = sorted(set(map(str, loaded)) - {"runbooks", "version"})
    if unknown:
        raise RunbookError([f"runbooks file {source}: unknown top-level key '{unknown[0]}' (known: runbooks, version)"])
    if loaded.get("version", 1) != 1:
        raise RunbookError([f"runbooks file {source}: version {loaded['version']!r} is not supported (1 is)"])
    return list(loaded["runbooks"])


def _runbook_label(source: str, index: int, raw: Any) -> str:
    name = raw.get("id") if isinstance(raw, dict) else None
    label = f"runbook '{name}'" if isinstance(name, str) and name else f"runbook #{index + 1}"
    return f"{source}: {label}"


def _step_label(raw: Any, index: int) -> str:
    steps = raw.get("steps") if isinstance(raw, dict) else None
    step = steps[index] if isinstance(steps, list) and index < len(steps) else None
    name = step.get("name") if isinstance(step, dict) else None
    return f"step '{name}'" if isinstance(name, str) and name else f"step #{index + 1}"


def _describe_errors(where: str, raw: Any, exc: ValidationError) -> list[str]:
    """One line per pydantic error, naming the runbook, the step and the field."""
    lines: list[str] = []
    errors = exc.errors()
    with_items = {e["loc"][0] for e in errors if len(e["loc"]) > 1}
    for error in errors:
        loc = list(error["loc"])
        if error["type"] == "too_short" and len(loc) == 1 and loc[0] in with_items:
            continue  # a list left short by its own bad items: those are reported themselves
        prefix = where
        if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
            prefix = f"{where} {_step_label(raw, loc[1])}"
            loc = loc[2:]
            if loc and loc[0] in STEP_KINDS:  # the union's tag, not a field
                loc = loc[1:]
        field_name = ".".join(str(part) for part in loc)
        lines.append(f"{prefix}: {_problem(field_name, error)}")
    return lines


def _problem(field_name: str, error: Any) -> str:
    kind = error["type"]
    allowed = ", ".join(STEP_KINDS)
    if kind == "union_tag_invalid":
        return f"unknown kind {error['input'].get('kind')!r} (allowed: {allowed})"
    if kind == "union_tag_not_found":
        return f"kind is missing (allowed: {allowed})"
    if kind == "missing":
        return f"{field_name} is required"
    if kind == "extra_forbidden":
        return f"unknown field '{field_name}'"
    if kind == "string_pattern_mismatch":
        return f"{field_name}: {_PATTERN_HINTS.get(error['ctx']['pattern'], error['msg'])}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{field_name}: {message}" if field_name else message


_PATTERN_HINTS = {
    _SLUG: "must be a slug: lower-case letters and digits joined by single dashes, e.g. recheck-endpoint",
    _STEP_NAME: "must be lower-case letters, digits, '-' or '_', starting with a letter or digit",
    _ISSUE_NAME: "must be letters, digits, '_', '.', ':' or '-', e.g. disk_full",
}


def _cleanup_problems(where: str, runbook: Runbook, roots: Sequence[Path]) -> list[str]:
    problems = []
    for step in runbook.steps:
        if isinstance(step, CleanupStep):
            why = _outside_allowed(step.directory, roots)
            if why is not None:
                problems.append(f"{where} step '{step.name}': {why}")
    return problems


# -- execution ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Outcome:
    ok: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)


class RunbookExecutor:
    """Runs runbooks' declared steps in order, each under its timeout, stopping at the first failure.

    `recheck` re-runs a service's check (for `wait_recheck` steps and the final re-check); `allowed_dirs`
    are the directories cleanup may touch (pass `RunbookCatalog.allowed_dirs`), checked again at run time
    because a path can become a symlink after loading. `wall_clock` dates files for cleanup; `sleep` is
    the wait of `wait_recheck` (both injectable for tests).
    """

    def __init__(
        self,
        recheck: Recheck | None = None,
        *,
        allowed_dirs: Iterable[str | Path] = (),
        recheck_timeout_s: float = 30.0,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.recheck = recheck
        self.allowed_dirs = _resolve_roots(allowed_dirs)
        self.recheck_timeout_s = recheck_timeout_s
        self._wall_clock = wall_clock
        self._sleep = sleep

    async def run(
        self, runbook: Runbook, issue_name: str, service: str = "", dry_run: bool = False
    ) -> ResolutionResult:
        """Runs `runbook` for `issue_name` (which it must apply to) about `service` (may be empty)."""
        if not runbook.applies_to(issue_name):
            raise InvalidArgument(
                f"runbook {runbook.id} does not apply to issue {issue_name!r}",
                [FieldViolation("issue_name", f"must be one of {', '.join(runbook.issues)}")],
            )
        if dry_run:
            return self._dry_run(runbook, issue_name, service)
        results: list[StepResult] = []
        step_details: dict[str, Any] = {}
        for step in runbook.steps:
            outcome, result = await self._timed(runbook, step, service)
            results.append(result)
            if outcome.details:
                step_details[step.name] = outcome.details
            if not outcome.ok:
                break
        details: dict[str, Any] = {"service": service, "steps": step_details}
        status, message = await self._conclude(runbook, service, results, details)
        resolution = ResolutionResult(
            issue_name=issue_name,
            status=status,
            steps_completed=[r.name for r in results if r.ok],
            steps_failed=[r.name for r in results if not r.ok],
            message=message,
            details=details,
            runbook_id=runbook.id,
            steps=results,
        )
        log.info(
            "runbook finished",
            extra={"runbook": runbook.id, "issue": issue_name, "service": service, "status": status.value},
        )
        return resolution

    async def _conclude(
        self, runbook: Runbook, service: str, results: list[StepResult], details: dict[str, Any]
    ) -> tuple[ResolutionStatus, str]:
        """The status and message once steps ran; re-checks the service when no step did."""
        done = sum(1 for r in results if r.ok)
        failed = next((r for r in results if not r.ok), None)
        if failed is not None:
            status = ResolutionStatus.FAILED if done == 0 else ResolutionStatus.PARTIAL
            total = len(runbook.steps)
            return status, f"{runbook.id}: {done} of {total} steps ok; step '{failed.name}' failed: {failed.message}"
        summary = f"{runbook.id}: {done} step{'s' if done != 1 else ''} ok"
        if runbook.has_recheck or not service or self.recheck is None:
            return ResolutionStatus.SUCCESS, summary
        healthy, said = await self._final_recheck(service)
        details["recheck"] = said
        if healthy:
            return ResolutionStatus.SUCCESS, f"{summary}; {service} is healthy"
        return ResolutionStatus.PARTIAL, f"{summary} but {service} is still not healthy: {said['message']}"

    async def _final_recheck(self, service: str) -> tuple[bool, dict[str, Any]]:
        assert self.recheck is not None
        try:
            async with asyncio.timeout(self.recheck_timeout_s):
                check = await self.recheck(service)
        except TimeoutError:
            return False, {"service": service, "status": "unknown", "message": "the re-check timed out"}
        except Exception as exc:  # a broken check must not hide what the steps did
            return False, {"service": service, "status": "unknown", "message": f"the re-check failed: {exc}"}
        said = {"service": service, "status": check.status.value, "message": check.message}
        return check.status is HealthStatus.HEALTHY, said

    def _dry_run(self, runbook: Runbook, issue_name: str, service: str) -> ResolutionResult:
        steps = [self._describe(step, service) for step in runbook.steps]
        refused = [s for s in steps if not s.ok]
        count = f"{len(steps)} step{'s' if len(steps) != 1 else ''}"
        message = f"dry run of {runbook.id}: {count} would run, nothing ran"
        if refused:
            message += f"; step '{refused[0].name}' would fail: {refused[0].message}"
        return ResolutionResult(
            issue_name=issue_name,
            status=ResolutionStatus.SKIPPED,
            steps_completed=[],
            steps_failed=[],
            message=message,
            details={"service": service},
            runbook_id=runbook.id,
            dry_run=True,
            steps=steps,
        )

    def _describe(self, step: Step, service: str) -> StepResult:
        """What the step would do; not ok when it would certainly be refused as things stand."""
        ok, message = True, step.describe()
        if isinstance(step, CleanupStep):
            why = _outside_allowed(step.directory, self.allowed_dirs)
            if why is not None:
                ok, message = False, f"would be refused: {why}"
        elif isinstance(step, WaitRecheckStep):
            target = step.service or service
            if not target or self.recheck is None:
                ok, message = False, f"would fail: {_no_recheck(target)}"
            else:
                message = f"would wait {step.wait_s:g} s, then re-check {target}"
        return StepResult(name=step.name, kind=step.kind, ok=ok, message=message)

    async def _timed(self, runbook: Runbook, step: Step, service: str) -> tuple[_Outcome, StepResult]:
        started = time.perf_counter()
        where = {"runbook": runbook.id, "step": step.name, "kind": step.kind, "service": service}
        log.info("runbook step starting", extra=where)
        try:
            outcome = await self._run_step(step, service)
        except TimeoutError:
            killed = "; the process group was killed" if isinstance(step, CommandStep) else ""
            outcome = _Outcome(False, f"timed out after {step.timeout_s:g} s{killed}")
        except Exception as exc:  # a step that breaks fails; the runbook stops and says why
            log.warning("runbook step raised", exc_info=True, extra=where)
            outcome = _Outcome(False, f"{type(exc).__name__}: {exc}")
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        log.info(
            "runbook step finished",
            extra={**where, "ok": outcome.ok, "duration_ms": duration_ms},
        )
        return outcome, StepResult(step.name, step.kind, outcome.ok, outcome.message, duration_ms)

    async def _run_step(self, step: Step, service: str) -> _Outcome:
        if isinstance(step, CommandStep):
            return await _run_command(step)
        if isinstance(step, HttpStep):
            async with asyncio.timeout(step.timeout_s):
                return await _send_request(step)
        if isinstance(step, CleanupStep):
            return await self._cleanup(step)
        async with asyncio.timeout(step.timeout_s):
            return await self._wait_recheck(step, service)

    async def _cleanup(self, step: CleanupStep) -> _Outcome:
        why = _outside_allowed(step.directory, self.allowed_dirs)
        if why is not None:
            return _Outcome(False, f"refused: {why}")
        cutoff = self._wall_clock() - step.older_than_days * 86400
        deadline = time.monotonic() + step.timeout_s
        async with asyncio.timeout(step.timeout_s + CLEANUP_BACKSTOP_S):
            report = await asyncio.to_thread(_delete_old_files, step, cutoff, deadline)
        return report.outcome(step)

    async def _wait_recheck(self, step: WaitRecheckStep, service: str) -> _Outcome:
        target = step.service or service
        if not target or self.recheck is None:
            return _Outcome(False, _no_recheck(target))
        await self._sleep(step.wait_s)
        check = await self.recheck(target)
        said = {"service": target, "status": check.status.value, "message": check.message}
        ok = check.status is HealthStatus.HEALTHY
        return _Outcome(ok, f"{target} is {check.status.value}: {check.message}", {"recheck": said})


# What a re-check that saw the service reports; "unknown" is also what one that timed out or raised says.
_OBSERVED = frozenset(s.value for s in (HealthStatus.HEALTHY, HealthStatus.DEGRADED, HealthStatus.CRITICAL))


def verified(result: ResolutionResult) -> bool:
    """Whether a re-check of the service after the runbook's steps observed the outcome `result.status`
    reports: the executor's final re-check (`details["recheck"]`) saw the service, or the runbook's last
    step was a `wait_recheck` that re-ran its check. A runbook whose steps ran with nothing re-checked
    afterwards (no service, no re-check available, a step that failed or timed out first) says what its
    steps did, not whether the problem went away."""
    if result.dry_run or not result.steps:
        return False
    final = result.details.get("recheck")
    if isinstance(final, dict):
        return final.get("status") in _OBSERVED
    last = result.steps[-1]
    steps = result.details.get("steps")
    if last.kind != "wait_recheck" or not isinstance(steps, dict):
        return False
    said = steps.get(last.name, {}).get("recheck")
    return isinstance(said, dict) and said.get("status") in _OBSERVED


def _no_recheck(target: str) -> str:
    if not target:
        return "no service to re-check (name one in the step or when resolving)"
    return "no re-check is available to this executor"


# -- command ------------------------------------------------------------------------------------------


async def _run_command(step: CommandStep) -> _Outcome:
    """Runs argv without a shell in a new process group; at the timeout the whole group is killed.

    Output goes through pipes this function owns (not asyncio's), so the step ends when the program
    exits, even if a daemon it started keeps the pipes open: output is then read for OUTPUT_GRACE_S more
    and the daemon is left running, as the program meant."""
    # The server's environment minus its secrets and its own settings (API keys, webhook URL): a runbook
    # program gets what it declares, not the LLM key.
    inherited = {k: v for k, v in os.environ.items() if not is_secret_key(k) and not k.startswith(("OPENAI_", "GLM3_"))}
    env = {**inherited, **step.env}
    out, err = _Capture(), _Capture()
    pipes = [os.pipe(), os.pipe()]
    try:
        process = await asyncio.create_subprocess_exec(
            *step.argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=pipes[0][1],
            stderr=pipes[1][1],
            cwd=step.cwd,
            env=env,
            start_new_session=True,  # its own process group, so children die with it at the timeout
        )
    except OSError as exc:
        for read_end, _ in pipes:
            os.close(read_end)
        return _Outcome(False, f"cannot start {step.argv[0]}: {exc.strerror or exc}")
    finally:
        for _, write_end in pipes:
            os.close(write_end)
    transports: list[asyncio.BaseTransport] = []
    readers: list[asyncio.Task[None]] = []
    try:
        await _read_pipes([pipes[0][0], pipes[1][0]], [out, err], transports, readers)
        async with asyncio.timeout(step.timeout_s):
            code = await process.wait()
        await asyncio.wait(readers, timeout=OUTPUT_GRACE_S)
    except BaseException:  # timeout or cancellation: no orphan keeps running
        _kill_group(process)
        with contextlib.suppress(ProcessLookupError):
            await process.wait()
        raise
    finally:
        for reader in readers:
            reader.cancel()
        for transport in transports:
            transport.close()
    details = {"exit_code": code, "stdout": out.text(), "stderr": err.text()}
    if code in step.expected_exit_codes:
        return _Outcome(True, f"exit code {code}", details)
    last = _last_line(details["stderr"]) or _last_line(details["stdout"])
    expected = ", ".join(map(str, step.expected_exit_codes))
    return _Outcome(False, f"exit code {code} (expected {expected})" + (f": {last}" if last else ""), details)


class _Capture:
    """The first OUTPUT_LIMIT bytes of a stream; the rest is read and dropped."""

    def __init__(self) -> None:
        self.kept = bytearray()
        self.cut = False

    async def drain(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            room = OUTPUT_LIMIT - len(self.kept)
            if len(chunk) > room:
                self.cut = True
            self.kept += chunk[: max(room, 0)]

    def text(self) -> str:
        text = self.kept.decode("utf-8", "replace")
        return text + "\n[truncated]" if self.cut else text


async def _read_pipes(
    fds: Sequence[int],
    captures: Sequence[_Capture],
    transports: list[asyncio.BaseTransport],
    readers: list[asyncio.Task[None]],
) -> None:
    """Starts reading each pipe's read end into its capture (appending to `transports` and `readers` as it
    goes, so the caller can close what was opened if this fails half way)."""
    loop = asyncio.get_running_loop()
    files = [os.fdopen(fd, "rb", buffering=0) for fd in fds]
    try:
        for file, capture in zip(files, captures, strict=True):
            stream = asyncio.StreamReader()
            protocol = asyncio.StreamReaderProtocol(stream)
            transport, _ = await loop.connect_read_pipe(lambda protocol=protocol: protocol, file)
            transports.append(transport)
            readers.append(asyncio.create_task(capture.drain(stream)))
    except BaseException:
        for file in files[len(transports) :]:
            file.close()
        raise


def _kill_group(process: asyncio.subprocess.Process) -> None:
    killpg = getattr(os, "killpg", None)
    try:
        if killpg is not None:
            killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows has no process groups here
            process.kill()
    except ProcessLookupError:
        pass


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.removesuffix("\n[truncated]").splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


# -- http ---------------------------------------------------------------------------------------------


async def _send_request(step: HttpStep) -> _Outcome:
    timeout = aiohttp.ClientTimeout(total=step.timeout_s)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.request(
                step.method, step.url, json=step.body, headers=step.headers, allow_redirects=False
            ) as response:
                body = (await response.content.read(HTTP_BODY_LIMIT)).decode("utf-8", "replace")
                status = response.status
    except aiohttp.ClientError as exc:
        return _Outcome(False, f"{step.method} {step.url} failed: {type(exc).__name__}: {exc}")
    details = {"status": status, "body": body}
    if status in step.expected_status:
        return _Outcome(True, f"{step.method} {step.url}: {status}", details)
    expected = ", ".join(map(str, step.expected_status))
    return _Outcome(False, f"{step.method} {step.url}: {status} (expected {expected})", details)


# -- cleanup ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _CleanupReport:
    directory: str
    files_deleted: int = 0
    bytes_freed: int = 0
    files_kept: int = 0  # matched the pattern but are newer than the cut-off
    symlinks_skipped: int = 0
    errors: list[str] = field(default_factory=list)
    timed_out: bool = False
    missing: bool = False

    def outcome(self, step: CleanupStep) -> _Outcome:
        details = {
            "directory": self.directory,
            "files_deleted": self.files_deleted,
            "bytes_freed": self.bytes_freed,
            "files_kept": self.files_kept,
            "symlinks_skipped": self.symlinks_skipped,
            "errors": self.errors[:10],
        }
        if self.missing:
            return _Outcome(False, f"directory {step.directory} does not exist", details)
        done = (
            f"deleted {self.files_deleted} file{'s' if self.files_deleted != 1 else ''} "
            f"({_size(self.bytes_freed)}) older than {step.older_than_days:g} days matching "
            f"{step.pattern!r} in {step.directory}"
        )
        if self.timed_out:
            return _Outcome(False, f"stopped at the timeout ({step.timeout_s:g} s) after it {done}", details)
        if self.errors:
            return _Outcome(False, f"{done}; {len(self.errors)} could not be deleted: {self.errors[0]}", details)
        return _Outcome(True, done, details)


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    value = count / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def _delete_old_files(step: CleanupStep, cutoff: float, deadline: float) -> _CleanupReport:
    """Deletes matching regular files modified before `cutoff` (epoch seconds), walking by directory file
    descriptors so a directory swapped for a symlink mid-walk is not followed. Runs in a worker thread."""
    real = os.path.realpath(step.directory)
    report = _CleanupReport(directory=real)
    if not os.path.isdir(real):
        report.missing = True
        return report
    for _, dirnames, filenames, dir_fd in os.fwalk(real, follow_symlinks=False):
        if not step.recursive:
            dirnames.clear()
        for name in filenames:
            if time.monotonic() > deadline:
                report.timed_out = True
                return report
            _consider(name, dir_fd, step.pattern, cutoff, report)
    return report


def _consider(name: str, dir_fd: int, pattern: str, cutoff: float, report: _CleanupReport) -> None:
    try:
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        report.symlinks_skipped += 1
        return
    if not stat.S_ISREG(info.st_mode) or not fnmatch.fnmatchcase(name, pattern):
        return
    if info.st_mtime >= cutoff:
        report.files_kept += 1
        return
    try:
        os.unlink(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return
    except OSError as exc:
        report.errors.append(f"{name}: {exc.strerror or exc}")
        return
    report.files_deleted += 1
    report.bytes_freed += info.st_size


# -- cool-down ----------------------------------------------------------------------------------------


class Cooldown:
    """Lets the agent run a runbook for a service on its own at most once per `seconds`."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._last: dict[tuple[str, str], float] = {}

    def allow(self, runbook_id: str, service: str) -> bool:
        """True (and starts the cool-down) when the pair did not run within the last `seconds`."""
        now = self._clock()
        self._last = {key: at for key, at in self._last.items() if now - at < self.seconds}
        key = (runbook_id, service)
        if key in self._last:
            return False
        self._last[key] = now
        return True

    def remaining(self, runbook_id: str, service: str) -> float:
        """Seconds until `allow` would say yes for the pair (0 when it would now)."""
        at = self._last.get((runbook_id, service))
        return 0.0 if at is None else max(0.0, self.seconds - (self._clock() - at))

"""One conformance suite for every client: the vectors of conformance/vectors.jsonl, streamed by the Python
(`glm3 score`), Go, Node and Java clients to a freshly started scoring server, must come out the same:
each line scored, refused by the server with the expected code, reason and field paths, or refused by the
client as malformed (with its line number) without ending the stream.

conformance/README.md describes the vectors' format. A client that is not built is skipped with a message,
except on CI (CI=true), where that is a failure (`missing`).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import RunningServer
from tests.e2e.test_other_language_clients import ERROR_LINE, REPO, RESULT_LINE, command, flags, missing, run

VECTORS = REPO / "conformance" / "vectors.jsonl"
GLM3 = Path(sys.executable).parent / "glm3"
JAVA_JAR = REPO / "clients/java/target/glm3-stream.jar"
CONFORMANCE_CLIENTS = ["python", "go", "node", "java"]


@dataclass(frozen=True)
class Vector:
    number: int  # its line in the input file (1-based)
    name: str
    line: str
    expect: dict[str, object]

    @property
    def correlation_id(self) -> str:
        """The id every client correlates the line's result with: the signal's id, else `line-N`."""
        try:
            data = json.loads(self.line)
        except ValueError:
            return f"line-{self.number}"
        return str(data.get("id") or f"line-{self.number}") if isinstance(data, dict) else f"line-{self.number}"


def vectors() -> list[Vector]:
    rows = [json.loads(text) for text in VECTORS.read_text(encoding="utf-8").splitlines() if text.strip()]
    return [Vector(n, row["name"], row["line"], row["expect"]) for n, row in enumerate(rows, start=1)]


def test_the_vectors_are_well_formed() -> None:
    found = vectors()
    assert len(found) >= 12
    outcomes = {v.expect["outcome"] for v in found}
    assert outcomes == {"scored", "error", "malformed"}
    for vector in found:
        assert vector.name and "\n" not in vector.line, vector
        if vector.expect["outcome"] == "error":
            assert vector.expect["code"] and vector.expect["reason"] and vector.expect["fields"], vector
    ids = [v.correlation_id for v in found if v.expect["outcome"] != "malformed"]
    assert len(ids) == len(set(ids)), "two vectors share a correlation id"


Outcome = tuple[str, ...]  # ("scored",), ("error", code, reason, field, ...) or ("malformed",)


def expected(vector: Vector) -> Outcome:
    e = vector.expect
    if e["outcome"] == "error":
        return ("error", str(e["code"]), str(e["reason"]), *sorted(map(str, e["fields"])))  # type: ignore[call-overload]
    return (str(e["outcome"]),)


def fields_of(rest: str) -> list[str]:
    """The field paths of `<REASON> <field>: <why>; <field>: <why>` (the Go, Node and Java output)."""
    violations = rest.split(" ", 1)[1] if " " in rest else ""
    return sorted(part.split(": ", 1)[0] for part in violations.split("; ") if ": " in part)


def outcomes_of_line_clients(stdout: str, stderr: str) -> tuple[dict[str, Outcome], set[int]]:
    results: dict[str, Outcome] = {}
    for line in stdout.splitlines():
        if m := RESULT_LINE.fullmatch(line):
            results[m["cid"]] = ("scored",)
        elif m := ERROR_LINE.fullmatch(line):
            reason = m["rest"].split(" ", 1)[0]
            results[m["cid"]] = ("error", m["code"], reason, *fields_of(m["rest"]))
    skipped = {int(n) for n in re.findall(r"line (\d+) skipped", stderr)}
    return results, skipped


def outcomes_of_glm3(stdout: str, stderr: str) -> tuple[dict[str, Outcome], set[int]]:
    results: dict[str, Outcome] = {}
    for line in stdout.splitlines():
        row = json.loads(line)
        # glm3 names a signal without an id `line:N`; the other clients `line-N`.
        cid = str(row["correlation_id"])
        cid = f"line-{row['line']}" if cid.startswith("line:") else cid
        if "candidate" in row:
            results[cid] = ("scored",)
        else:
            error = row["error"]
            fields = sorted(v["field"] for v in error.get("field_violations", []))
            results[cid] = ("error", error["code"], error.get("reason", ""), *fields)
    skipped = {int(n) for n in re.findall(r"line (\d+): .*\(skipped\)", stderr)}
    return results, skipped


def client_argv(client: str, target: str, path: Path) -> list[str]:
    if client == "python":
        return [str(GLM3), "score", str(path), "--target", target, "--no-progress", "--frame-size", "5"]
    if client == "java":
        java = shutil.which("java")
        if java is None or not JAVA_JAR.exists():
            missing(f"{JAVA_JAR.relative_to(REPO)} is not built or java is not installed")
        return [java, "-jar", str(JAVA_JAR), *flags("java", target=target, frame="5"), str(path)]
    return [*command(client), *flags(client, target=target, frame="5"), str(path)]


@pytest.mark.parametrize("client", CONFORMANCE_CLIENTS)
async def test_every_client_gives_the_vectors_the_same_outcomes(
    client: str, scoring_server: RunningServer, tmp_path: Path
) -> None:
    found = vectors()
    path = tmp_path / "vectors.jsonl"
    path.write_text("".join(v.line + "\n" for v in found), encoding="utf-8")
    argv = client_argv(client, scoring_server.target, path)

    result = await run(argv, timeout=120)

    assert result.code == 1, f"some vectors fail, so the client must exit 1\n{result.stdout}\n{result.stderr}"
    parse = outcomes_of_glm3 if client == "python" else outcomes_of_line_clients
    results, skipped = parse(result.stdout, result.stderr)
    got: dict[str, Outcome] = {}
    for vector in found:
        if vector.number in skipped:
            got[vector.name] = ("malformed",)
        else:
            got[vector.name] = results.get(vector.correlation_id, ("missing",))
    want = {v.name: expected(v) for v in found}
    assert got == want, f"{client} differs from the vectors\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"

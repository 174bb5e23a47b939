"""generated/go as a Go module that a program outside the repository imports, against a real scoring server.

The program lives in a temporary directory with a go.mod of its own that requires
`github.com/glm3/signal-services/generated/go` and replaces it with the repository's generated/go, as a
consumer's module would (docs/clients.md). It sets proto3 `optional` fields of `ScoringConfig` through
pointers (`proto.Float64`), explicit zeros among them, sends them with grpc-go and prints the replies as
protojson; the test checks that the server received every value sent (the candidate's `analysis.config`),
and that an explicit `verdict_correct: false` of `SubmitFeedback` arrives as false, not as unset.

It needs the Go toolchain (Go 1.26) and the modules of generated/go/go.mod in the module cache or from the
module proxy (`make clients` downloads them). Without `go` the test is skipped and says so, except on CI
(CI=true), where that is a failure.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from tests.conftest import RunningServer

REPO = Path(__file__).resolve().parents[2]
GENERATED_GO = REPO / "generated/go"
MODULE = "github.com/glm3/signal-services/generated/go"
FALLBACK_GO = Path("/usr/local/go/bin/go")

PROGRAM = """\
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	scoringv1 "github.com/glm3/signal-services/generated/go/glm3/scoring/v1"
)

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\\n", what, err)
	os.Exit(1)
}

func main() {
	conn, err := grpc.NewClient(os.Args[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fail("client", err)
	}
	defer conn.Close()
	client := scoringv1.NewScoringServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Two weights changed (the five still sum to 1), two thresholds set to an explicit 0: only a field with
	// presence can tell that 0 from "unset, take the server's value".
	scored, err := client.Score(ctx, &scoringv1.ScoreRequest{
		Signal: &scoringv1.Signal{
			Id:          "go-module-0001",
			Timestamp:   timestamppb.New(time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC)),
			Source:      "reddit",
			Title:       "I hate reconciling invoices by hand",
			Description: "Every month our small business wastes hours matching payments. I would pay for a fix.",
			Tags:        []string{"invoicing", "smb"},
			Engagement:  map[string]int64{"upvotes": 120, "comments": 14},
		},
		Config: &scoringv1.ScoringConfig{
			MarketWeight:      proto.Float64(0.4),
			CompetitionWeight: proto.Float64(0.05),
			GoThreshold:       proto.Float64(0),
			ResearchThreshold: proto.Float64(0),
		},
	})
	if err != nil {
		fail("Score", err)
	}
	line, err := protojson.Marshal(scored)
	if err != nil {
		fail("marshal", err)
	}
	fmt.Println(string(line))

	feedback, err := client.SubmitFeedback(ctx, &scoringv1.SubmitFeedbackRequest{
		CandidateId:     scored.GetCandidate().GetId(),
		VerdictCorrect:  proto.Bool(false),
		ExpectedVerdict: scoringv1.Verdict_VERDICT_PASS,
		Rating:          2,
	})
	if err != nil {
		fail("SubmitFeedback", err)
	}
	line, err = protojson.Marshal(feedback)
	if err != nil {
		fail("marshal", err)
	}
	fmt.Println(string(line))
}
"""


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def go_command() -> str:
    """`go` from PATH, else the machine's /usr/local/go/bin/go (what the Makefile uses too)."""
    found = shutil.which("go") or (str(FALLBACK_GO) if FALLBACK_GO.exists() else None)
    if found is None:
        message = "the Go toolchain (go) is not installed: it is needed to build a program on generated/go"
        if on_ci():
            pytest.fail(message)
        pytest.skip(message)
    return found


def go_directive() -> str:
    """The `go` line of generated/go/go.mod: the consumer's module asks for the same language version."""
    match = re.search(r"^go (\S+)$", (GENERATED_GO / "go.mod").read_text(encoding="utf-8"), re.MULTILINE)
    assert match is not None, "generated/go/go.mod has no go directive"
    return match.group(1)


@pytest.fixture(scope="module")
def go_program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Builds the program in a module of its own outside the repository; returns the binary."""
    go = go_command()
    module = tmp_path_factory.mktemp("go-consumer")
    assert not module.is_relative_to(REPO)
    (module / "go.mod").write_text(
        f"module example.com/glm3-consumer\n\ngo {go_directive()}\n\n"
        f"require {MODULE} v0.0.0\n\nreplace {MODULE} => {GENERATED_GO}\n",
        encoding="utf-8",
    )
    # generated/go's checksums cover every module the program needs, so the build asks no checksum
    # database; -mod=mod lets go build add grpc and protobuf (from generated/go's requirements) to go.mod.
    shutil.copyfile(GENERATED_GO / "go.sum", module / "go.sum")
    (module / "main.go").write_text(PROGRAM, encoding="utf-8")
    env = {
        **os.environ,
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "-mod=mod -buildvcs=false",
        "GONOSUMDB": "github.com/glm3",
        "GOWORK": "off",
    }
    binary = module / "consumer"
    result = subprocess.run(
        [go, "build", "-o", str(binary), "."], cwd=module, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"go build failed:\n{result.stdout}\n{result.stderr}"
    return binary


async def test_a_module_outside_the_repository_sends_optional_fields_intact(
    go_program: Path, scoring_server: RunningServer
) -> None:
    process = await asyncio.create_subprocess_exec(
        str(go_program), scoring_server.target, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    score_line, feedback_line = stdout.decode().splitlines()
    scored = json.loads(score_line)
    feedback = json.loads(feedback_line)["feedback"]

    # The weights and thresholds sent, explicit zeros included; the fields not sent took the defaults.
    candidate = scored["candidate"]
    config = candidate["analysis"]["config"]
    assert config["market_weight"] == 0.4 and config["competition_weight"] == 0.05
    assert config["go_threshold"] == 0.0 and config["research_threshold"] == 0.0
    assert config["emotional_weight"] == 0.30 and config["feasibility_weight"] == 0.15
    assert candidate["verdict"] == "VERDICT_GO"  # every overall score is >= a go_threshold of 0

    # An explicit false is present (proto3 JSON omits an unset optional field).
    assert feedback["candidateId"] == candidate["id"]
    assert feedback["verdictCorrect"] is False and feedback["expectedVerdict"] == "VERDICT_PASS"

    # What the server stored is what the Go program printed.
    async with scoring_server.channel() as channel:
        stub = pb_grpc.ScoringServiceStub(channel)
        stored = await stub.GetCandidate(pb.GetCandidateRequest(id=candidate["id"]), timeout=10)
    assert stored.candidate.analysis["config"]["market_weight"] == 0.4
    assert stored.candidate.analysis["config"]["go_threshold"] == 0.0

"""What a server imports to start: not openai without an LLM, and not LanceDB's REST namespace client.

Each check runs in a fresh interpreter (the test process has imported both already). The second serves
real RPCs from both servers on a real LanceDB, so it also shows that nothing in normal use touches the
package whose `__init__` servers/storage/lazy_imports.py defers.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFERRED = "lance_namespace_urllib3_client"


def run_python(code: str) -> dict[str, object]:
    """Runs `code` in a fresh interpreter from the repository root; returns the JSON it printed last."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_servers_imports_neither_openai_nor_the_rest_namespace_client() -> None:
    state = run_python(
        f"""
        import json, sys
        import glm3.servers.ops.main, glm3.servers.scoring.main
        from glm3.servers.storage import lazy_imports
        print(json.dumps({{
            "openai": "openai" in sys.modules,
            "lancedb": "lancedb" in sys.modules,
            "waiting": lazy_imports.waiting("{DEFERRED}"),
            "api": [m for m in sys.modules if m.startswith("{DEFERRED}.api")],
        }}))
        """
    )
    assert state == {"openai": False, "lancedb": True, "waiting": True, "api": []}


def test_serving_both_servers_never_runs_the_deferred_init(tmp_path: Path) -> None:
    state = run_python(
        f"""
        import asyncio, json, sys
        from pathlib import Path
        from glm3.ops.v1 import ops_pb2, ops_service_pb2 as ops_pb, ops_service_pb2_grpc as ops_grpc
        from glm3.scoring.v1 import scoring_service_pb2 as pb, scoring_service_pb2_grpc as pb_grpc, signal_pb2
        from glm3.servers.ops import main as ops_main
        from glm3.servers.scoring import main as scoring_main
        from glm3.servers.scoring.settings import ScoringSettings
        from glm3.servers.storage import lazy_imports
        from tests.conftest import ops_settings, running, server_settings

        async def main():
            tmp = Path({str(tmp_path)!r})
            settings = server_settings(ScoringSettings, tmp / "scoring")
            async with running(settings, await scoring_main.make_deps(settings)) as srv, srv.channel() as ch:
                stub = pb_grpc.ScoringServiceStub(ch)
                signal = signal_pb2.Signal(
                    id="sig-1", source="reddit", title="Invoices by hand", description="Matching them wastes hours."
                )
                assert (await stub.Score(pb.ScoreRequest(signal=signal), timeout=30)).success
                assert (await stub.ListCandidates(pb.ListCandidatesRequest(), timeout=30)).total_size == 1
                await stub.SearchCandidates(pb.SearchCandidatesRequest(query="invoices"), timeout=30)
            settings = ops_settings(tmp / "ops")
            async with running(settings, await ops_main.make_deps(settings)) as srv, srv.channel() as ch:
                stub = ops_grpc.OpsServiceStub(ch)
                await stub.Diagnose(ops_pb.DiagnoseRequest(symptom="connection refused"), timeout=30)
                resolution = ops_pb2.IssueResolution(
                    issue_name="disk_full", diagnosis="disk full", action_taken="rotated logs",
                    resolution_status=ops_pb2.RESOLUTION_STATUS_SUCCESS, lesson_learned="turn log rotation on",
                )
                await stub.RecordResolution(ops_pb.RecordResolutionRequest(resolution=resolution), timeout=30)
                await stub.FindSimilarIssues(ops_pb.FindSimilarIssuesRequest(query="log rotation"), timeout=30)

        asyncio.run(main())
        print(json.dumps({{"openai": "openai" in sys.modules, "waiting": lazy_imports.waiting("{DEFERRED}")}}))
        """
    )
    assert state == {"openai": False, "waiting": True}


def test_the_deferred_package_still_works_when_used() -> None:
    state = run_python(
        f"""
        import json
        from glm3.servers.storage import lazy_imports
        import lancedb  # after glm3.servers, as in a server
        assert lazy_imports.waiting("{DEFERRED}")
        import {DEFERRED} as client
        before = lazy_imports.waiting("{DEFERRED}")
        from {DEFERRED} import ApiClient, TableApi
        from {DEFERRED}.models import ListTablesResponse
        try:
            client.no_such_name
            missing = "no error"
        except AttributeError as exc:
            missing = str(exc)
        print(json.dumps({{
            "before": before,
            "waiting": lazy_imports.waiting("{DEFERRED}"),
            "api_client": ApiClient.__module__,
            "same": TableApi is client.TableApi and ListTablesResponse is client.ListTablesResponse,
            "version": client.__version__,
            "missing": missing,
            "getattr_left": "__getattr__" in vars(client),
        }}))
        """
    )
    assert state["before"] is True and state["waiting"] is False
    assert state["api_client"] == f"{DEFERRED}.api_client" and state["same"] is True and state["version"]
    assert state["missing"] == f"module {DEFERRED!r} has no attribute 'no_such_name'"
    assert state["getattr_left"] is False

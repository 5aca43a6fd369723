"""Operators manage the dashboard's users with ``backbone users``; no password is ever shown."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from services.runtime.settings import load_settings
from tests.integration.web.conftest import PASSWORD
from tests.processes import run


def users(home: Path, *args: str, password: str = "") -> subprocess.CompletedProcess[str]:
    return run(load_settings(home=home), "users", *args, stdin=password + "\n")


def test_an_operator_adds_a_supervisor_and_lists_users_without_their_hashes(
    tmp_path: Path,
) -> None:
    added = users(
        tmp_path,
        "add", "minh", "--role", "district_supervisor", "--area", "585",
        "--agency", "district-585", "--password-stdin",
        password=PASSWORD,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = users(tmp_path, "list")
    assert json.loads(listed.stdout) == [
        {
            "name": "minh",
            "role": "district_supervisor",
            "area": "585",
            "agency": "district-585",
            "language": "vi",
        }
    ]
    assert "argon2" not in listed.stdout and PASSWORD not in (tmp_path / "users.toml").read_text()


def test_a_short_password_is_refused_with_a_reason(tmp_path: Path) -> None:
    refused = users(tmp_path, "add", "kim", "--role", "auditor", "--password-stdin", password="x")
    assert refused.returncode == 2
    assert json.loads(refused.stdout)["error"] == "password_too_short"
    assert not (tmp_path / "users.toml").exists()

"""Operator commands for agency systems: API keys, the public sealing key, own inbox keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from events import generate_keypair
from services.cli import main
from services.kafka.sealingkeys import agency_keypair, backbone_keypair
from services.runtime.settings import load_settings


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BACKBONE_HOME", str(tmp_path / "home"))
    # In-process commands must not bind the process's logger to this test's captured stderr.
    monkeypatch.setattr("services.commands.common.configure_logging", lambda *a, **k: None)
    return tmp_path / "home"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_public_key_prints_the_backbones_public_key_alone(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    printed = run(capsys, "agencies", "public-key")
    pair = backbone_keypair(load_settings())
    assert printed == pair.public_key + "\n"
    assert pair.private_key not in printed


def test_api_keys_are_made_rotated_listed_and_revoked_by_the_operator(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = json.loads(run(capsys, "agencies", "api-key", "create", "hotline-111"))
    second = json.loads(run(capsys, "agencies", "api-key", "rotate", "hotline-111"))
    listed = json.loads(run(capsys, "agencies", "api-key", "list"))
    assert [row["key_id"] for row in listed] == [first["key_id"], second["key_id"]]
    assert listed[0]["expires_at"] and not listed[1]["expires_at"]
    assert first["key"] not in (home / "api-keys.json").read_text()
    revoked = json.loads(run(capsys, "agencies", "api-key", "revoke", "hotline-111"))
    assert revoked == {"agency": "hotline-111", "revoked": 2}
    with pytest.raises(SystemExit, match="not in the agency directory"):
        main(["agencies", "api-key", "create", "nobody"])


def test_an_agency_registers_its_own_inbox_key_and_no_private_key_is_kept(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own = generate_keypair()
    agency_keypair(load_settings(), "hotline-111")  # one the backbone generated earlier
    run(capsys, "agencies", "inbox-key", "hotline-111", own.public_key)
    kept = agency_keypair(load_settings(), "hotline-111")
    assert (kept.public_key, kept.private_key) == (own.public_key, "")
    with pytest.raises(SystemExit, match="bad_key"):
        main(["agencies", "inbox-key", "hotline-111", "not-a-key"])

"""Auditors and witnesses through the ``backbone`` command, as real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from services.audit.accesslog import open_personal_data
from services.audit.service import AuditService
from services.cases.application import CaseService
from services.runtime.settings import Settings
from tests.casefactory import PERSONAL, new_case_id, payload
from tests.integration.cases.test_case_tampering import Rows
from tests.processes import run as backbone
from tests.processes import run_in_terminal, spawn

START = 1_760_000_000_000
WITNESS = "procuracy-khanh-hoa"


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


def record_case(settings: Settings) -> str:
    service = CaseService.from_settings(settings)
    case_id = new_case_id()
    service.record(case_id, "CaseReported", payload("CaseReported"), "hotline-111", "s0", START,
                   PERSONAL)  # fmt: skip
    body = payload("TransferredToCommune")
    service.record(case_id, "TransferredToCommune", body, "hotline-111", "s1", START + 1)
    service.close()
    return case_id


def test_verify_all_at_a_terminal_shows_its_progress_then_the_verdict(settings: Settings) -> None:
    """At a terminal the progress bar counts the store's events first (that count once failed
    with a traceback only a person at a terminal saw)."""
    record_case(settings)
    assert backbone(settings, "audit", "checkpoint").returncode == 0
    code, seen = run_in_terminal(settings, "verify", "--all", "--lang", "en")
    assert code == 0, seen
    assert "2 events in 1 cases, checkpoint of 2: intact" in seen
    assert "Traceback" not in seen and "unexpected" not in seen


def test_verify_all_refuses_an_area_code_nobody_has(settings: Settings) -> None:
    """A typo in --area would otherwise count 0 cases and call the store intact."""
    record_case(settings)
    assert backbone(settings, "audit", "checkpoint").returncode == 0
    done = backbone(settings, "verify", "--all", "--area", "5880", "--lang", "en")
    assert done.returncode != 0 and "intact" not in done.stdout
    assert "unknown area '5880'" in done.stdout + done.stderr


def test_verify_all_passes_an_untouched_store_and_names_a_changed_row(settings: Settings) -> None:
    case_id = record_case(settings)
    assert backbone(settings, "audit", "checkpoint").returncode == 0
    done = backbone(settings, "verify", "--all", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] is True
    service = CaseService.from_settings(settings)
    rows = Rows(service, case_id)
    state = rows.state(2) | {"agency": "police-khanh-hoa"}
    rows.update(2, state=json.dumps(state).encode())
    service.close()
    done = backbone(settings, "verify", "--all", "--lang", "en")
    assert done.returncode == 1
    assert f"altered  {case_id} #2" in done.stdout


def test_a_bundle_round_trips_through_the_command_and_a_changed_byte_fails(
    settings: Settings, tmp_path: Path
) -> None:
    case_id = record_case(settings)
    backbone(settings, "audit", "checkpoint")
    bundle = tmp_path / "case.json"
    done = backbone(settings, "audit", "export", "--case", case_id, "-o", str(bundle))
    assert done.returncode == 0, done.stdout + done.stderr
    assert PERSONAL["child_name"] not in bundle.read_text(encoding="utf-8")
    checked = backbone(settings, "audit", "verify-bundle", str(bundle), "--json")
    assert checked.returncode == 1  # the policy wants a witness cosignature
    assert "policy" in json.loads(checked.stdout)["problems"][0]
    backbone(settings, "witness", "--agency", WITNESS, "--once", "--no-publish")
    backbone(settings, "audit", "export", "--case", case_id, "-o", str(bundle))
    assert backbone(settings, "audit", "verify-bundle", str(bundle)).returncode == 0
    bundle.write_text(bundle.read_text(encoding="utf-8").replace("hotline-111", "hotline-112"))
    assert backbone(settings, "audit", "verify-bundle", str(bundle)).returncode == 1


def test_revealing_personal_data_without_a_purpose_is_refused(settings: Settings) -> None:
    done = backbone(settings, "inbox", "--agency", "doh-khanh-hoa", "--reveal-personal")
    assert done.returncode == 2
    assert json.loads(done.stdout)["error"] == "purpose_required"


def test_audit_access_lists_who_opened_which_case_and_why(settings: Settings) -> None:
    case_id = record_case(settings)
    service, audit = CaseService.from_settings(settings), AuditService.from_settings(settings)
    open_personal_data(service.read_personal_data, audit.access, case_id, "commune-22921",
                       "officer-7", "home visit planning")  # fmt: skip
    service.close()
    audit.close()
    done = backbone(settings, "audit", "access", case_id, "--json")
    [row] = json.loads(done.stdout)
    assert (row["agency"], row["actor"], row["purpose"]) == (
        "commune-22921",
        "officer-7",
        "home visit planning",
    )
    assert "+00:00" in row["opened_at"]
    assert PERSONAL["child_name"] not in done.stdout


def _wait_for_state(path: Path, size: int, deadline: float = 60.0) -> dict[str, object]:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if path.exists():
            state: dict[str, object] = json.loads(path.read_text())
            if state.get("size") == size and state.get("published"):
                return state
        time.sleep(0.1)
    raise AssertionError(f"the witness did not accept size {size} in {deadline}s")


def test_a_witness_stops_on_sigterm_and_resumes_after_sigkill(
    settings: Settings, tmp_path: Path
) -> None:
    record_case(settings)
    backbone(settings, "audit", "checkpoint")
    state = settings.home / "witnesses" / WITNESS / "state.json"
    args = ("witness", "--agency", WITNESS, "--no-publish", "--interval", "0.2")
    process = spawn(settings, *args, log=tmp_path / "w1.log")
    _wait_for_state(state, 2)
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    killed = spawn(settings, *args, log=tmp_path / "w2.log")
    record_case(settings)
    backbone(settings, "audit", "checkpoint")
    _wait_for_state(state, 4)
    killed.kill()
    killed.wait(30)
    record_case(settings)
    backbone(settings, "audit", "checkpoint")
    resumed = spawn(settings, *args, log=tmp_path / "w3.log")
    try:
        _wait_for_state(state, 6)
    finally:
        resumed.send_signal(signal.SIGTERM)
        resumed.wait(30)
    # Read back in a process of its own, as an auditor would, after the witnesses are gone.
    probe = (
        "from services.audit.service import AuditService; from services.runtime.settings import "
        "load_settings; a = AuditService.from_settings(load_settings()); "
        "print([len(a.log.cosigned(size)) for size in (2, 4, 6)]); a.close()"
    )
    env = {**os.environ, **settings.as_environment()}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "[1, 1, 1]", done.stderr


def test_a_mistyped_agency_or_case_in_the_access_log_is_refused_not_answered_with_none(
    settings: Settings,
) -> None:
    typo = backbone(settings, "audit", "access", "--agency", "procuracy-khanh-hao", "--json")
    assert typo.returncode == 2
    assert json.loads(typo.stdout)["error"] == "unknown_agency"
    assert "procuracy-khanh-hoa" in json.loads(typo.stdout)["message"]  # the close name
    cut = backbone(settings, "audit", "access", "3e99acc3-5b1f-4c58", "--json")
    assert cut.returncode == 2 and json.loads(cut.stdout)["error"] == "malformed_case_id"
    known = backbone(settings, "audit", "access", "--agency", "procuracy-khanh-hoa", "--json")
    assert known.returncode == 0 and json.loads(known.stdout) == []

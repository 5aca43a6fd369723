"""Auditors replay, verify and erase through the ``backbone`` command."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from services.cases.application import CaseService
from services.runtime.settings import Settings
from tests.casefactory import PERSONAL, new_case_id, payload
from tests.processes import run as backbone

DAY = 86_400_000
START = 1_760_000_000_000


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def case_id(settings: Settings) -> str:
    service = CaseService.from_settings(settings)
    case_id = new_case_id()
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("CaseReported", "hotline-111", payload("CaseReported")),
        ("TransferredToCommune", "hotline-111", payload("TransferredToCommune")),
        ("PoliceReportReceived", "police-khanh-hoa", payload("PoliceReportReceived")),
    ]
    for i, (step, agency, body) in enumerate(steps):
        personal = PERSONAL if step == "CaseReported" else None
        service.record(case_id, step, body, agency, f"s{i}", START + i * DAY, personal)
    service.close()
    return case_id


def test_history_replays_every_step_in_order(settings: Settings, case_id: str) -> None:
    done = backbone(settings, "history", case_id, "--json")
    assert done.returncode == 0, done.stderr
    steps = [(e["sequence"], e["step"]) for e in json.loads(done.stdout)]
    assert steps == [(1, "CaseReported"), (2, "TransferredToCommune"), (3, "PoliceReportReceived")]
    assert PERSONAL["child_name"] not in done.stdout + done.stderr


def test_history_as_of_a_past_instant_leaves_out_later_records(
    settings: Settings, case_id: str
) -> None:
    full = json.loads(backbone(settings, "history", case_id, "--json").stdout)
    cutoff = full[1]["recorded_at"]  # ISO 8601 with its offset
    assert datetime.fromisoformat(cutoff).utcoffset() is not None
    done = backbone(settings, "history", case_id, "--as-of", cutoff, "--json")
    assert [e["sequence"] for e in json.loads(done.stdout)] == [1, 2]


def test_verify_passes_an_intact_case_and_names_an_altered_event(
    settings: Settings, case_id: str
) -> None:
    assert backbone(settings, "verify", case_id).returncode == 0
    engine = sa.create_engine(settings.effective_database_url)
    with engine.begin() as conn:
        table = next(t for t in sa.inspect(conn).get_table_names() if t.endswith("events"))
        rows = conn.execute(sa.text(f"SELECT originator_version, state FROM {table}")).all()
        version, state = next((v, s) for v, s in rows if v == 2)
        forged = bytes(state).replace(b"22738", b"22741")
        assert forged != bytes(state)
        conn.execute(
            sa.text(f"UPDATE {table} SET state = :s WHERE originator_version = 2"), {"s": forged}
        )
    engine.dispose()
    done = backbone(settings, "verify", case_id, "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)[0]["first_bad"] == version


def test_forget_erases_personal_data_and_keeps_the_history_verifiable(
    settings: Settings, case_id: str
) -> None:
    done = backbone(settings, "forget", case_id, "--by", "doh-khanh-hoa")
    assert done.returncode == 0, done.stderr
    service = CaseService.from_settings(settings)
    try:
        assert service.get(case_id).personal_data_erased
    finally:
        service.close()
    assert backbone(settings, "verify", case_id).returncode == 0
    steps = [e["step"] for e in json.loads(backbone(settings, "history", case_id, "--json").stdout)]
    assert steps[-1] == "PersonalDataErased" and len(steps) == 4


def test_a_refused_forget_gives_a_machine_readable_reason(settings: Settings, case_id: str) -> None:
    done = backbone(settings, "forget", case_id, "--by", "court-khanh-hoa", "--json")
    assert done.returncode == 2
    assert json.loads(done.stdout)["error"] == "role_not_allowed"
    assert "court" in done.stderr and "Traceback" not in done.stderr


def _delete_last_event(settings: Settings) -> None:
    engine = sa.create_engine(settings.effective_database_url)
    with engine.begin() as conn:
        table = next(t for t in sa.inspect(conn).get_table_names() if t.endswith("events"))
        conn.execute(sa.text(f"DELETE FROM {table} WHERE originator_version = 3"))
    engine.dispose()


def test_a_cut_tail_shows_only_against_a_head_kept_outside_the_database(
    settings: Settings, case_id: str
) -> None:
    last = json.loads(backbone(settings, "history", case_id, "--json").stdout)[-1]
    head = f"{last['sequence']}:{last['hash']}"
    assert backbone(settings, "verify", case_id, "--head", head).returncode == 0

    _delete_last_event(settings)

    assert backbone(settings, "verify", case_id).returncode == 0  # the chain alone looks intact
    done = backbone(settings, "verify", case_id, "--head", head, "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)[0]["first_bad"] == 3


def test_a_malformed_head_is_refused_before_anything_is_read(
    settings: Settings, case_id: str
) -> None:
    done = backbone(settings, "verify", case_id, "--head", "last")
    assert done.returncode == 2 and "SEQUENCE:HASH" in done.stderr

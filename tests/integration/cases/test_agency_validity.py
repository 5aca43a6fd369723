"""An agency records steps only on the days it exists, days of the province's calendar."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.cases.application import CaseService
from services.cases.errors import AgencyNotValid
from services.settings import DEFAULT_CONFIG_DIR, Settings
from tests.casefactory import new_case_id, new_submission_id, payload

LAST_EVENING_LOCAL = datetime(2025, 6, 30, 16, 59, tzinfo=UTC)  # 23:59 on 30 June in Vietnam
FIRST_MORNING_LOCAL = datetime(2025, 6, 30, 18, 0, tzinfo=UTC)  # 01:00 on 1 July, still 30 June UTC


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


@pytest.fixture
def service(
    make_settings: Callable[..., Settings], database_url: str, tmp_path: Path
) -> Iterator[CaseService]:
    """The shipped directory, with the sample commune closed at the end of 30 June 2025."""
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, config)
    agencies = config / "agencies.toml"
    text = agencies.read_text(encoding="utf-8")
    opened = 'area = "22738"\nvalid_from = 2022-01-01\n'
    closed = text.replace(opened, opened + "valid_to = 2025-06-30\n")
    assert closed != text
    agencies.write_text(closed, encoding="utf-8")
    app = CaseService.from_settings(make_settings(database_url=database_url, config_dir=config))
    yield app
    app.close()


def _reported(service: CaseService) -> str:
    case_id = new_case_id()
    body = payload("CaseReported")
    before = _ms(LAST_EVENING_LOCAL) - 3_600_000
    service.record(case_id, "CaseReported", body, "hotline-111", new_submission_id(), before)
    service.record(case_id, "TransferredToCommune", payload("TransferredToCommune"),
                   "hotline-111", new_submission_id(), before)  # fmt: skip
    return case_id


def test_a_step_on_the_agency_s_last_local_day_is_recorded(service: CaseService) -> None:
    case_id = _reported(service)
    body = payload("InitialRiskAssessed")
    when = _ms(LAST_EVENING_LOCAL)
    step = service.record(
        case_id, "InitialRiskAssessed", body, "commune-22738", new_submission_id(), when
    )
    assert step.sequence == 3


def test_a_step_after_local_midnight_is_refused_though_utc_is_still_the_last_day(
    service: CaseService,
) -> None:
    case_id = _reported(service)
    with pytest.raises(AgencyNotValid, match="2025-07-01"):
        service.record(case_id, "InitialRiskAssessed", payload("InitialRiskAssessed"),
                       "commune-22738", new_submission_id(), _ms(FIRST_MORNING_LOCAL))  # fmt: skip
    assert service.history(case_id)[-1].sequence == 2  # nothing recorded

"""An agency records steps only on the days it exists, days of the province's calendar."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from services.cases.application import CaseService
from services.cases.errors import AgencyNotValid
from services.runtime.settings import Settings
from tests.casefactory import new_case_id, new_submission_id, payload

LAST_EVENING_LOCAL = datetime(2025, 6, 30, 16, 59, tzinfo=UTC)  # 23:59 on 30 June in Vietnam
FIRST_MORNING_LOCAL = datetime(2025, 6, 30, 18, 0, tzinfo=UTC)  # 01:00 on 1 July, still 30 June UTC


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


@pytest.fixture
def service(make_settings: Callable[..., Settings], database_url: str) -> Iterator[CaseService]:
    """The shipped directory: Ninh Thuận's agencies end on 30 June 2025 (the 2025 merger)."""
    app = CaseService.from_settings(make_settings(database_url=database_url))
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


def test_a_step_by_an_ended_agency_is_refused_naming_its_successor(service: CaseService) -> None:
    case_id, after = _reported_after_the_merger(service)
    with pytest.raises(AgencyNotValid, match="'police-khanh-hoa' acts for it") as refused:
        service.record(case_id, "PoliceReportReceived", payload("PoliceReportReceived"),
                       "police-ninh-thuan", new_submission_id(), after)  # fmt: skip
    assert refused.value.reason == "agency_not_valid"
    assert refused.value.successor == "police-khanh-hoa"
    assert len(service.history(case_id)) == 1


def test_a_referral_to_an_ended_agency_is_refused_so_the_case_goes_to_one_that_exists(
    service: CaseService,
) -> None:
    case_id, after = _reported_after_the_merger(service)
    referral = payload("ReferralSent", to_agency="hospital-ninh-thuan")
    with pytest.raises(AgencyNotValid, match="'hospital-khanh-hoa' acts for it"):
        service.record(case_id, "ReferralSent", referral, "hotline-111", new_submission_id(),
                       after)  # fmt: skip
    referral = payload("ReferralSent", to_agency="hospital-khanh-hoa")
    service.record(case_id, "ReferralSent", referral, "hotline-111", new_submission_id(), after)


def test_a_case_recorded_by_the_old_agencies_stays_readable_and_verifiable(
    service: CaseService,
) -> None:
    # Recorded before the merger by agencies that have ended since: the history, the case view
    # and the hash chain read as they were; only new steps and personal-data reads need an
    # agency that exists today.
    case_id = new_case_id()
    before = _ms(datetime(2025, 5, 5, 2, tzinfo=UTC))
    service.record(case_id, "CaseReported", payload("CaseReported"), "hotline-18008079",
                   new_submission_id(), before, {"child_name": "An"})  # fmt: skip
    service.record(case_id, "PoliceReportReceived", payload("PoliceReportReceived"),
                   "police-ninh-thuan", new_submission_id(), before + 3_600_000)  # fmt: skip
    history = service.history(case_id)
    assert [(e.agency, e.step) for e in history] == [
        ("hotline-18008079", "CaseReported"),
        ("police-ninh-thuan", "PoliceReportReceived"),
    ]
    assert service.get(case_id).case_id == case_id
    assert service.verify(case_id).ok
    with pytest.raises(AgencyNotValid, match="'police-khanh-hoa' acts for it"):
        service.read_personal_data(case_id, "police-ninh-thuan")
    assert service.read_personal_data(case_id, "police-khanh-hoa") == {"child_name": "An"}


def _reported_after_the_merger(service: CaseService) -> tuple[str, int]:
    case_id, after = new_case_id(), _ms(datetime(2026, 3, 2, 2, tzinfo=UTC))
    service.record(case_id, "CaseReported", payload("CaseReported"), "hotline-111",
                   new_submission_id(), after)  # fmt: skip
    return case_id, after

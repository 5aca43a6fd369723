"""The case service on a real store: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from services.cases import errors
from services.cases.application import CaseService, StepRequest
from services.cases.views import RecordedStep
from services.runtime.settings import Settings

NOW = 1_700_000_000_000  # 2023-11-14, while every sample agency exists


def report(service: CaseService, **personal_data: str) -> str:
    case_id = str(uuid.uuid4())
    service.report(case_id, {"channel": "hotline"}, "hotline-111", "sub-0", NOW, personal_data)
    return case_id


def record(
    service: CaseService, case_id: str, step: str, agency: str, sub: str, **fields: Any
) -> None:
    service.record(case_id, step, fields, agency, sub, NOW)


def test_recorded_steps_are_read_back_by_a_new_process(
    service: CaseService, settings: Settings
) -> None:
    case_id = report(service)
    record(service, case_id, "TransferredToCommune", "hotline-111", "sub-1", commune_code="22738")
    again = CaseService.from_settings(settings)
    try:
        steps = [(e.sequence, e.step, e.agency, e.role) for e in again.history(case_id)]
    finally:
        again.close()
    assert steps == [
        (1, "CaseReported", "hotline-111", "hotline"),
        (2, "TransferredToCommune", "hotline-111", "hotline"),
    ]


def test_a_refused_step_records_nothing(service: CaseService) -> None:
    case_id = report(service)
    with pytest.raises(errors.MissingPrerequisite) as refused:
        record(service, case_id, "VerdictDelivered", "court-ninh-thuan", "sub-1", outcome="x")
    assert refused.value.reason == "missing_prerequisite"
    assert service.get(case_id).version == 1


def test_an_unknown_agency_is_refused(service: CaseService) -> None:
    case_id = report(service)
    with pytest.raises(errors.UnknownAgency):
        record(service, case_id, "NeedsAssessed", "nobody", "sub-1", needs=[])


def test_a_resubmission_returns_the_recorded_event(service: CaseService) -> None:
    case_id = report(service)
    first = service.record(case_id, "NeedsAssessed", {"needs": []}, "commune-22738", "s1", NOW)
    second = service.record(case_id, "NeedsAssessed", {"needs": []}, "commune-22738", "s1", NOW)
    assert (second.sequence, second.hash, second.duplicate) == (first.sequence, first.hash, True)
    assert len(service.history(case_id)) == 2


@pytest.mark.parametrize(
    "changed",
    [
        {"fields": {"needs": ["medical"]}},
        {"occurred_at": NOW + 1},
        {"agency": "dolisa-ninh-thuan"},
        {"step": "NeedsAssessed", "fields": {"needs": ["counselling"]}},
    ],
)
def test_a_different_submission_under_a_recorded_id_is_refused_not_dropped(
    service: CaseService, changed: dict[str, Any]
) -> None:
    case_id = report(service)
    sent = {"step": "NeedsAssessed", "fields": {"needs": []}, "agency": "commune-22738"}
    service.record(case_id, sent["step"], sent["fields"], sent["agency"], "s1", NOW)
    other = sent | {"occurred_at": NOW} | changed
    with pytest.raises(errors.SubmissionIdReused) as refused:
        service.record(
            case_id, other["step"], other["fields"], other["agency"], "s1", other["occurred_at"]
        )
    assert refused.value.reason == "submission_id_reused"
    assert "send this submission under a new submission id" in str(refused.value)
    assert len(service.history(case_id)) == 2


def test_a_reused_id_in_a_batch_is_refused_and_the_rest_recorded(service: CaseService) -> None:
    case_id = str(uuid.uuid4())
    first = [
        _request(case_id, "CaseReported", "hotline-111", "s0", channel="hotline"),
        _request(case_id, "PoliceReportReceived", "police-ninh-thuan", "s1", report_id="r"),
    ]
    service.record_many(first)
    outcomes = service.record_many(
        [
            _request(case_id, "PoliceReportReceived", "police-ninh-thuan", "s1", report_id="r2"),
            _request(case_id, "PoliceReportReceived", "police-ninh-thuan", "s2", report_id="r3"),
        ]
    )
    assert isinstance(outcomes[0], errors.SubmissionIdReused)
    assert isinstance(outcomes[1], RecordedStep) and not outcomes[1].duplicate


def test_a_second_report_under_the_reports_id_with_other_fields_is_refused(
    service: CaseService,
) -> None:
    case_id = report(service)
    with pytest.raises(errors.SubmissionIdReused):
        service.report(case_id, {"channel": "police"}, "hotline-111", "sub-0", NOW)
    again = service.report(case_id, {"channel": "hotline"}, "hotline-111", "sub-0", NOW)
    assert again.duplicate


def test_a_case_id_is_reported_once(service: CaseService) -> None:
    case_id = report(service)
    with pytest.raises(errors.DuplicateCase):
        service.report(case_id, {}, "hotline-111", "another", NOW)


def test_two_agencies_writing_at_once_lose_no_event(
    service: CaseService, settings: Settings
) -> None:
    case_id = report(service)
    other = CaseService.from_settings(settings)
    writers = [
        (service, "EmergencyMeasureApplied", "police-ninh-thuan", {"measure": "shelter"}),
        (other, "NeedsAssessed", "commune-22738", {"needs": ["school"]}),
    ]

    failures: list[BaseException] = []

    def write(app: CaseService, step: str, agency: str, fields: dict[str, Any]) -> None:
        try:
            for n in range(10):
                app.record(case_id, step, fields, agency, f"{agency}-{n}", NOW)
        except BaseException as failure:
            failures.append(failure)

    threads = [threading.Thread(target=write, args=w) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    other.close()
    assert failures == []
    history = service.history(case_id)
    assert len(history) == 21
    assert len({e.submission_id for e in history}) == 21
    assert service.verify(case_id).ok


def test_personal_data_is_readable_by_entitled_agencies_only(service: CaseService) -> None:
    case_id = report(service, child_name="Trần Thị Bé")
    assert service.read_personal_data(case_id, "commune-22921") == {"child_name": "Trần Thị Bé"}
    with pytest.raises(errors.PersonalDataAccessDenied):
        service.read_personal_data(case_id, "doet-khanh-hoa")


def test_later_personal_data_is_merged_with_the_earlier(service: CaseService) -> None:
    case_id = report(service, child_name="Trần Thị Bé")
    service.record(
        case_id,
        "NeedsAssessed",
        {"needs": []},
        "commune-22738",
        "s1",
        NOW,
        {"child_address": "Thôn 3"},
    )
    data = service.read_personal_data(case_id, "police-khanh-hoa")
    assert data == {"child_name": "Trần Thị Bé", "child_address": "Thôn 3"}


def test_forgetting_shreds_the_personal_data_and_keeps_an_auditable_history(
    service: CaseService,
) -> None:
    case_id = report(service, child_name="Trần Thị Bé")
    erased = service.forget(case_id, "doh-khanh-hoa")
    with pytest.raises(errors.PersonalDataErasedError):
        service.read_personal_data(case_id, "doh-khanh-hoa")
    assert service.keys.is_shredded(case_id)
    assert [e.step for e in service.history(case_id)] == ["CaseReported", "PersonalDataErased"]
    assert service.verify(case_id).ok
    assert service.forget(case_id, "doh-khanh-hoa").sequence == erased.sequence


def test_only_entitled_roles_may_forget(service: CaseService) -> None:
    case_id = report(service, child_name="Trần Thị Bé")
    with pytest.raises(errors.RoleNotAllowed):
        service.forget(case_id, "police-khanh-hoa")
    assert service.read_personal_data(case_id, "police-khanh-hoa")


def test_unknown_personal_data_fields_are_refused(service: CaseService) -> None:
    with pytest.raises(errors.InvalidPersonalData):
        report(service, shoe_size="32")


def test_timestamps_in_a_payload_are_stored_as_epoch_milliseconds(service: CaseService) -> None:
    from datetime import UTC, datetime

    case_id = report(service)
    due = datetime(2025, 3, 21, 10, 0, tzinfo=UTC)
    fields = {
        "referral_id": "r1",
        "to_agency": "hospital-ninh-thuan",
        "service": "medical",
        "due_at": due,
    }
    service.record(case_id, "ReferralSent", fields, "hotline-111", "sub-ts", NOW)
    stored = service.history(case_id)[-1].payload
    assert stored["due_at"] == int(due.timestamp() * 1000)
    assert service.verify(case_id).ok


def _request(case_id: str, step: str, agency: str, sub: str, **fields: Any) -> StepRequest:
    return StepRequest(case_id, step, fields, agency, sub, NOW)


def test_a_batch_is_recorded_in_order_with_each_refusal_returned(service: CaseService) -> None:
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    batch = [
        _request(first, "CaseReported", "hotline-111", "a0", channel="hotline"),
        _request(second, "CaseReported", "hotline-111", "b0", channel="hotline"),
        _request(first, "VerdictDelivered", "court-ninh-thuan", "a1", outcome="x"),
        _request(first, "PoliceReportReceived", "police-ninh-thuan", "a2", report_id="r"),
        _request(second, "CaseClosed", "commune-22738", "b1", reason="done"),
    ]
    outcomes = service.record_many(batch)

    refused = outcomes[2]
    assert isinstance(refused, errors.CaseError) and refused.reason == "missing_prerequisite"
    assert [e.step for e in service.history(first)] == ["CaseReported", "PoliceReportReceived"]
    assert [e.step for e in service.history(second)] == ["CaseReported", "CaseClosed"]


def test_a_batch_sent_twice_is_recorded_once(service: CaseService) -> None:
    case_id = str(uuid.uuid4())
    batch = [
        _request(case_id, "CaseReported", "hotline-111", "s0", channel="hotline"),
        _request(case_id, "PoliceReportReceived", "police-ninh-thuan", "s1", report_id="r"),
        _request(case_id, "PoliceReportReceived", "police-ninh-thuan", "s1", report_id="r"),
    ]
    service.record_many(batch)
    again = service.record_many(batch)
    assert all(isinstance(o, RecordedStep) and o.duplicate for o in again)
    assert len(service.history(case_id)) == 2


def test_a_batch_that_meets_a_concurrent_writer_loses_nothing(
    service: CaseService, settings: Settings
) -> None:
    case_id = report(service)
    other = CaseService.from_settings(settings)
    stale = service._load(case_id)  # loaded before the other writer moves the case on
    other.record(
        case_id, "PoliceReportReceived", {"report_id": "r1"}, "police-ninh-thuan", "other", NOW
    )
    other.close()
    fresh, first_read = service._load_many, iter([{case_id: stale}])  # later reads are fresh
    service._load_many = lambda ids, *on: next(first_read, None) or fresh(ids, *on)  # type: ignore[method-assign]
    outcomes = service.record_many(
        [_request(case_id, "PoliceReportReceived", "police-ninh-thuan", "mine", report_id="r2")]
    )
    del service._load_many
    assert isinstance(outcomes[0], RecordedStep) and not outcomes[0].duplicate
    assert [e.submission_id for e in service.history(case_id)] == ["sub-0", "other", "mine"]


def test_an_erasure_can_only_be_recorded_by_an_erasure_order(service: CaseService) -> None:
    case_id = report(service, child_name="Đinh Thị Mai")
    with pytest.raises(errors.StepNotAllowed):
        record(service, case_id, "PersonalDataErased", "dolisa-ninh-thuan", "sub-e")
    outcome = service.record_many([_request(case_id, "PersonalDataErased", "commune-22738", "e2")])
    assert isinstance(outcome[0], errors.StepNotAllowed)
    assert service.read_personal_data(case_id, "doh-khanh-hoa") == {"child_name": "Đinh Thị Mai"}
    service.forget(case_id, "doh-khanh-hoa")
    with pytest.raises(errors.PersonalDataErasedError):
        service.read_personal_data(case_id, "doh-khanh-hoa")

"""The intake applies each submission once, on the agency of its topic, or rejects it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError

from events import MARKER, Codec, Topics, generate_keypair, seal
from services.cases.application import CaseService
from services.kafka.agency import AgencyClient, RejectedSubmission
from services.kafka.intake_wiring import run_intake
from services.kafka.sealingkeys import backbone_keypair
from services.runtime.kafkaclients import broker_endpoint
from services.runtime.settings import Settings
from services.runtime.supervisor import StopFlag
from tests.casefactory import PERSONAL, new_case_id, new_submission_id, payload
from tests.integration.kafka.conftest import history
from tests.kafkatools import create_topics, poll_until, produce

pytestmark = pytest.mark.integration
NOW = 1_760_000_000_000
Clients = Callable[[str], AgencyClient]


def step_bytes(
    codec: Codec, step: str, case_id: str, submission_id: str = "", **fields: Any
) -> bytes:
    """A step record as an agency system would encode it."""
    common = {
        "submission_id": submission_id or new_submission_id(),
        "case_id": case_id,
        "occurred_at": NOW,
    }
    return codec.encode(step, common | payload(step) | fields)


def reported(client: AgencyClient, service: CaseService) -> str:
    """A case opened by ``client``'s agency, once the intake recorded it."""
    case_id = new_case_id()
    client.submit("CaseReported", case_id, payload("CaseReported"), NOW)
    poll_until(lambda: len(history(service, case_id)) == 1, 30, "the report recorded")
    return case_id


def read_rejections(client: AgencyClient, count: int) -> list[RejectedSubmission]:
    """``count`` rejections, then make sure no further one comes."""
    found: list[RejectedSubmission] = []
    poll_until(
        lambda: len(found.extend(client.rejections(1.0)) or found) >= count,
        30,
        f"{count} rejections",
    )
    found += client.rejections(1.5)
    return found


def test_a_submission_is_recorded_as_the_agency_whose_topic_carried_it(
    settings: Settings, service: CaseService, intake: StopFlag, client: Clients
) -> None:
    hotline = client("hotline-111")
    case_id = reported(hotline, service)
    body = step_bytes(Codec.from_directory(), "MedicalSupportRequested", case_id)
    topic = Topics(settings.topic_prefix).intake("doh-khanh-hoa")
    produce(broker_endpoint(settings), topic, [body], key=case_id.encode())

    poll_until(lambda: len(history(service, case_id)) == 2, 30, "the second step recorded")
    entries = history(service, case_id)
    assert [(e.agency, e.role) for e in entries] == [
        ("hotline-111", "hotline"),
        ("doh-khanh-hoa", "social_affairs"),
    ]


def test_a_resent_or_redelivered_submission_is_recorded_once(
    settings: Settings, service: CaseService, intake: StopFlag, client: Clients
) -> None:
    hotline = client("hotline-111")
    case_id, submission_id = new_case_id(), new_submission_id()
    fields = payload("CaseReported")
    hotline.submit("CaseReported", case_id, fields, NOW, submission_id=submission_id)
    hotline.submit("CaseReported", case_id, fields, NOW, submission_id=submission_id)
    again = step_bytes(Codec.from_directory(), "CaseReported", case_id, submission_id)
    topic = Topics(settings.topic_prefix).intake("hotline-111")
    produce(broker_endpoint(settings), topic, [again, again], key=case_id.encode())
    marker = hotline.submit("TransferredToCommune", case_id, payload("TransferredToCommune"))

    poll_until(lambda: len(history(service, case_id)) == 2, 30, "the marker after the resends")
    assert [e.submission_id for e in history(service, case_id)] == [submission_id, marker]
    assert hotline.rejections(timeout_s=2.0) == []


def test_every_bad_submission_gets_one_rejection_with_its_reason_and_the_intake_goes_on(
    settings: Settings, service: CaseService, intake: StopFlag, client: Clients
) -> None:
    codec, topics, endpoint = (
        Codec.from_directory(),
        Topics(settings.topic_prefix),
        broker_endpoint(settings),
    )
    hotline, court = client("hotline-111"), client("court-khanh-hoa")
    case_id = reported(hotline, service)
    foreign = seal(generate_keypair().public_key, codec.encode("PersonalData", PERSONAL))
    valid = step_bytes(codec, "CaseReported", new_case_id())
    bad_hotline = {
        "not_single_object": b"hello, backbone",
        "unknown_fingerprint": MARKER + b"\x00" * 8 + b"\x02x",
        "bad_body": valid[:-4],
        "not_openable": step_bytes(codec, "CaseReported", new_case_id(), personal_data=foreign),
        "unknown_step": codec.encode("PersonalData", PERSONAL),
        "case_not_found": step_bytes(codec, "TransferredToCommune", new_case_id()),
        "invalid_case_id": step_bytes(codec, "TransferredToCommune", "case-42"),
    }
    bad_court = {
        "missing_prerequisite": step_bytes(codec, "VerdictDelivered", case_id),
        "role_not_allowed": step_bytes(codec, "CaseReported", new_case_id()),
    }
    produce(endpoint, topics.intake("hotline-111"), bad_hotline.values(), key=case_id.encode())
    produce(endpoint, topics.intake("court-khanh-hoa"), bad_court.values(), key=case_id.encode())
    reported(hotline, service)  # the intake is still going

    for agency, sent in ((hotline, bad_hotline), (court, bad_court)):
        rejections = read_rejections(agency, len(sent))
        assert {r.reason: r.original for r in rejections} == sent
        assert len({r.rejection_id for r in rejections}) == len(sent)
        assert all(
            r.rejection_id.startswith(topics.intake(agency.agency) + ":") for r in rejections
        )
    assert len(history(service, case_id)) == 1


def test_an_agency_outside_the_directory_is_rejected_on_its_own_topic(
    settings: Settings, request: pytest.FixtureRequest, client: Clients
) -> None:
    topics, endpoint = Topics(settings.topic_prefix), broker_endpoint(settings)
    create_topics(endpoint, [topics.intake("ghost-agency")])
    request.getfixturevalue("intake")
    body = step_bytes(Codec.from_directory(), "CaseReported", new_case_id(), "s-ghost")
    produce(endpoint, topics.intake("ghost-agency"), [body])

    ghost = AgencyClient("ghost-agency", endpoint, topics, backbone_keypair(settings).public_key)
    try:
        rejections = read_rejections(ghost, 1)
    finally:
        ghost.close()
    assert [(r.reason, r.submission_id, r.original) for r in rejections] == [
        ("unknown_agency", "s-ghost", body)
    ]


def test_personal_data_is_opened_into_the_store_and_reaches_a_referred_agency(
    settings: Settings, service: CaseService, intake: StopFlag, client: Clients
) -> None:
    from services.kafka.wiring import build_relay

    hotline, hospital = client("hotline-111"), client("hospital-khanh-hoa")
    case_id = new_case_id()
    hotline.submit("CaseReported", case_id, payload("CaseReported"), NOW, personal_data=PERSONAL)
    referral = payload("ReferralSent", to_agency="hospital-khanh-hoa")
    hotline.submit("ReferralSent", case_id, referral, NOW)
    poll_until(lambda: len(history(service, case_id)) == 2, 30, "both steps recorded")
    assert service.read_personal_data(case_id, "hotline-111") == PERSONAL

    relay = build_relay(settings, service)
    while relay.step():
        pass
    relay._reset_producer()
    items = hospital.inbox(timeout_s=20)
    assert [i.event_type for i in items] == ["ReferralSent"]
    assert items[0].step["to_agency"] == "hospital-khanh-hoa"
    assert items[0].personal_data == PERSONAL
    assert hospital.inbox(timeout_s=1.0) == []


class FlakyStore(CaseService):
    """The real service, but the database is down for the first ``outages`` appends."""

    outages = 2

    def record_many(self, *args: Any, **kwargs: Any) -> Any:
        if self.outages:
            self.outages -= 1
            raise OperationalError("database is down")
        return super().record_many(*args, **kwargs)


def test_a_database_outage_is_retried_not_rejected(settings: Settings, client: Clients) -> None:
    flaky = FlakyStore.from_settings(settings)
    stop = StopFlag()
    worker = threading.Thread(target=run_intake, args=(settings, stop, flaky), daemon=True)
    worker.start()
    hotline = client("hotline-111")
    try:
        case_id = new_case_id()
        submission_id = hotline.submit("CaseReported", case_id, payload("CaseReported"), NOW)
        poll_until(lambda: len(history(flaky, case_id)) == 1, 30, "recorded after the outage")
        assert [e.submission_id for e in history(flaky, case_id)] == [submission_id]
        assert hotline.rejections(timeout_s=1.5) == []
    finally:
        stop.set()
        worker.join(timeout=30)
        flaky.close()


def test_a_step_read_before_the_report_it_builds_on_waits_for_it(
    settings: Settings, service: CaseService, intake: StopFlag, client: Clients
) -> None:
    hotline, police = client("hotline-111"), client("police-khanh-hoa")
    case_id = new_case_id()
    # The police act on a case whose report, on the hotline's topic, the intake reads later.
    police.submit("PoliceReportReceived", case_id, payload("PoliceReportReceived"), NOW)
    hotline.submit("CaseReported", case_id, payload("CaseReported"), NOW)

    poll_until(lambda: len(history(service, case_id)) == 2, 30, "both steps recorded")
    steps = [e.step for e in history(service, case_id)]
    assert steps == ["CaseReported", "PoliceReportReceived"]
    assert police.rejections(timeout_s=2.0) == []


def test_a_step_whose_case_never_arrives_is_rejected_after_the_hold(
    settings: Settings, service: CaseService, intake: StopFlag, client: Clients
) -> None:
    police = client("police-khanh-hoa")
    case_id = new_case_id()
    sent = police.submit("PoliceReportReceived", case_id, payload("PoliceReportReceived"), NOW)
    marker = police.submit("PoliceReportReceived", case_id, payload("PoliceReportReceived"), NOW)

    rejections = read_rejections(police, 2)
    assert sorted(r.submission_id for r in rejections) == sorted([sent, marker])
    assert {r.reason for r in rejections} == {"case_not_found"}

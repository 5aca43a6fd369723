"""The relay publishes what the store recorded, in order, to case-events and the inboxes."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

import pytest

from events import Codec, Topics, open_sealed
from services.cases.application import CaseService
from services.kafka.sealingkeys import agency_keypair
from services.kafka.wiring import build_relay
from services.runtime.kafkaclients import broker_endpoint
from services.runtime.settings import Settings
from services.runtime.supervisor import StopFlag
from tests.casefactory import PERSONAL, new_case_id, new_submission_id, payload
from tests.kafkatools import consume

pytestmark = pytest.mark.integration
NOW = 1_760_000_000_000


def record(service: CaseService, case_id: str, step: str, agency: str, **fields: Any) -> None:
    body = payload(step, **fields)
    personal = PERSONAL if step == "CaseReported" else None
    service.record(case_id, step, body, agency, new_submission_id(), NOW, personal_data=personal)


def open_case(service: CaseService) -> str:
    case_id = new_case_id()
    record(service, case_id, "CaseReported", "hotline-111", commune_code="22741")
    return case_id


def drain(settings: Settings, service: CaseService) -> int:
    relay = build_relay(settings, service)
    total = 0
    while published := relay.step():
        total += published
    relay._reset_producer()
    return total


def decoded(codec: Codec, records: list[Any]) -> list[dict[str, Any]]:
    return [codec.decode(r.value).record for r in records]


def test_recorded_events_reach_case_events_in_store_order(
    kafka_settings: Settings, service: CaseService, codec: Codec
) -> None:
    cases = [open_case(service) for _ in range(3)]
    for case_id in cases:
        record(service, case_id, "PoliceReportReceived", "police-khanh-hoa")
        record(service, case_id, "MedicalSupportRequested", "police-khanh-hoa")

    assert drain(kafka_settings, service) == 9
    topic = Topics(kafka_settings.topic_prefix).case_events
    events = decoded(codec, consume(broker_endpoint(kafka_settings), topic, count=9))

    by_case: dict[str, list[int]] = defaultdict(list)
    for event in events:
        by_case[event["case_id"]].append(event["sequence"])
    assert by_case == {case_id: [1, 2, 3] for case_id in cases}
    assert all(event["personal_data"] == b"" for event in events)
    steps = [codec.decode(e["payload"]).wire_name for e in events if e["case_id"] == cases[0]]
    assert steps == ["CaseReported", "PoliceReportReceived", "MedicalSupportRequested"]


def test_a_referral_reaches_the_addressee_with_the_personal_data_it_may_read(
    kafka_settings: Settings, service: CaseService, codec: Codec
) -> None:
    case_id = open_case(service)
    record(service, case_id, "ReferralSent", "hotline-111", to_agency="hospital-khanh-hoa")
    drain(kafka_settings, service)
    topics = Topics(kafka_settings.topic_prefix)

    inbox = decoded(
        codec,
        consume(broker_endpoint(kafka_settings), topics.inbox("hospital-khanh-hoa"), count=1),
    )
    assert inbox[0]["event_type"] == "ReferralSent"
    private = agency_keypair(kafka_settings, "hospital-khanh-hoa").private_key
    opened = codec.decode(open_sealed(private, inbox[0]["personal_data"])).record
    assert opened["child_name"] == PERSONAL["child_name"]
    assert PERSONAL["child_name"].encode() not in inbox[0]["payload"]


def test_an_agency_that_may_not_read_personal_data_gets_the_step_without_it(
    kafka_settings: Settings, service: CaseService, codec: Codec
) -> None:
    case_id = open_case(service)
    record(service, case_id, "ReferralSent", "hotline-111", to_agency="doet-khanh-hoa")
    drain(kafka_settings, service)
    topic = Topics(kafka_settings.topic_prefix).inbox("doet-khanh-hoa")
    inbox = decoded(codec, consume(broker_endpoint(kafka_settings), topic, count=1))
    assert inbox[0]["event_type"] == "ReferralSent"
    assert inbox[0]["personal_data"] == b""


def test_after_erasure_inbox_messages_carry_no_personal_data(
    kafka_settings: Settings, service: CaseService, codec: Codec
) -> None:
    case_id = open_case(service)
    service.forget(case_id, "doh-khanh-hoa")
    record(service, case_id, "ReferralSent", "hotline-111", to_agency="hospital-khanh-hoa")
    drain(kafka_settings, service)
    topic = Topics(kafka_settings.topic_prefix).inbox("hospital-khanh-hoa")
    inbox = decoded(codec, consume(broker_endpoint(kafka_settings), topic, count=1))
    assert inbox[0]["personal_data"] == b""


def test_personal_data_is_read_back_only_for_a_case_that_has_some_and_without_a_replay(
    kafka_settings: Settings, service: CaseService, codec: Codec, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_data = open_case(service)
    without = new_case_id()
    body = payload("CaseReported", commune_code="22741")
    service.record(without, "CaseReported", body, "hotline-111", new_submission_id(), NOW)
    drain(kafka_settings, service)
    for case_id in (with_data, without):
        record(service, case_id, "ReferralSent", "hotline-111", to_agency="hospital-khanh-hoa")
    read_back: list[str] = []
    replayed: list[str] = []
    monkeypatch.setattr(service, "latest_sealed", _noting(service.latest_sealed, read_back))
    monkeypatch.setattr(service, "_load", _noting(service._load, replayed))

    drain(kafka_settings, service)  # a new relay, which never saw the reports

    assert (read_back, replayed) == ([with_data], [])
    topic = Topics(kafka_settings.topic_prefix).inbox("hospital-khanh-hoa")
    inbox = decoded(codec, consume(broker_endpoint(kafka_settings), topic, count=2))
    carried = {m["case_id"]: m["personal_data"] != b"" for m in inbox}
    assert carried == {with_data: True, without: False}


def _noting(method: Any, calls: list[str]) -> Any:
    def noted(case_id: str, *args: Any) -> Any:
        calls.append(case_id)
        return method(case_id, *args)

    return noted


def test_the_relay_resumes_from_its_stored_position(
    kafka_settings: Settings, service: CaseService, codec: Codec
) -> None:
    first = open_case(service)
    assert drain(kafka_settings, service) == 1
    second = open_case(service)
    assert drain(kafka_settings, service) == 1
    topic = Topics(kafka_settings.topic_prefix).case_events
    events = decoded(codec, consume(broker_endpoint(kafka_settings), topic, count=2))
    assert sorted(e["case_id"] for e in events) == sorted([first, second])


def test_a_batch_read_ahead_goes_out_with_what_was_recorded_after_it(
    kafka_settings: Settings, service: CaseService, codec: Codec
) -> None:
    relay = build_relay(kafka_settings, service)
    relay.batch_size = 2
    for _ in range(2):
        open_case(service)
    late = open_case(service)  # read ahead while the first two are in flight
    assert relay.step() == 2
    record(service, late, "PoliceReportReceived", "police-khanh-hoa")  # recorded since

    assert relay.step() == 2  # the report read ahead and the step recorded after it
    relay._reset_producer()
    assert {"hotline-111", "police-khanh-hoa"} <= relay.state.participants_of([late])[late]
    topic = Topics(kafka_settings.topic_prefix).case_events
    events = decoded(codec, consume(broker_endpoint(kafka_settings), topic, count=4))
    steps = [e["event_type"] for e in events if e["case_id"] == late]
    assert steps == ["CaseReported", "PoliceReportReceived"]


def test_the_relay_finishes_and_returns_when_stopped(
    kafka_settings: Settings, service: CaseService
) -> None:
    relay = build_relay(kafka_settings, service)
    stop = StopFlag()
    worker = threading.Thread(target=relay.run, args=(stop,), kwargs={"idle_wait": 0.05})
    worker.start()
    open_case(service)
    stop.set()
    worker.join(timeout=30)
    assert not worker.is_alive()

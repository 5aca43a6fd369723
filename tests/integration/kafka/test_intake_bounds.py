"""On the real broker: implausible values, unknown codes, a reused submission id and a message at
the broker's size limit each get a rejection, and none holds back anyone else's records."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from kafka import KafkaProducer
from kafka.errors import MessageSizeTooLargeError

from events import Codec, Topics
from services.cases.application import CaseService
from services.kafka.oversize import PREFIX_BYTES
from services.runtime.kafkaclients import broker_endpoint, client_config, set_topic_configs
from services.runtime.settings import Settings
from services.runtime.supervisor import StopFlag
from tests.casefactory import new_case_id, new_submission_id
from tests.integration.kafka.conftest import history
from tests.integration.kafka.test_intake import (
    Clients,
    read_rejections,
    reported,
    step_bytes,
)
from tests.kafkatools import poll_until, produce
from tests.processes import run

pytestmark = pytest.mark.integration
BROKER_LIMIT = 1_048_588  # the broker's default message.max.bytes


def test_submit_refuses_serious_danger_maybe_and_nothing_is_recorded(
    settings: Settings, service: CaseService, intake: StopFlag, client: Clients
) -> None:
    case_id = reported(client("commune-22921"), service)
    args = ["submit", "InitialRiskAssessed", "--agency", "commune-22921", "--case", case_id]
    args += ["--field", "risk_level=high", "--field", "serious_danger=maybe"]
    done = run(settings, *args, timeout=60)
    assert done.returncode != 0
    # In Vietnamese, the default language; the field and the value as they were typed.
    assert "serious_danger phải là `true` hoặc `false`, không phải 'maybe'" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(history(service, case_id)) == 1


def test_a_2030_date_and_x_codes_are_rejected_with_their_reasons(
    settings: Settings, service: CaseService, intake: StopFlag, client: Clients
) -> None:
    codec, topics = Codec.from_directory(), Topics(settings.topic_prefix)
    hotline = client("hotline-111")
    case_id = reported(hotline, service)
    in_2030 = datetime(2030, 1, 1, tzinfo=UTC)
    sent = {
        "occurred_in_future": step_bytes(
            codec, "TransferredToCommune", case_id, occurred_at=in_2030
        ),
        "occurred_too_early": step_bytes(codec, "TransferredToCommune", case_id, occurred_at=0),
        "unknown_code": step_bytes(codec, "CaseReported", new_case_id(), child_sex="x"),
        "field_too_long": step_bytes(codec, "CaseClosed", case_id, "s" * 200_000),
    }
    produce(broker_endpoint(settings), topics.intake("hotline-111"), sent.values())

    rejections = read_rejections(hotline, len(sent))
    assert {r.reason: r.original for r in rejections} == sent
    details = {r.reason: r.detail for r in rejections}
    assert "CaseReported.child_sex = 'x' is not a code" in details["unknown_code"]
    assert "submission_id is 200000 characters, at most 100" in details["field_too_long"]
    assert [e.step for e in history(service, case_id)] == ["CaseReported"]


def test_a_reused_submission_id_is_rejected_with_its_bytes_and_a_resend_is_not(
    settings: Settings, service: CaseService, intake: StopFlag, client: Clients
) -> None:
    codec, topics = Codec.from_directory(), Topics(settings.topic_prefix)
    hotline = client("hotline-111")
    case_id, reused = reported(hotline, service), new_submission_id()
    first = step_bytes(codec, "TransferredToCommune", case_id, reused, commune_code="22738")
    other = step_bytes(codec, "TransferredToCommune", case_id, reused, commune_code="22741")
    topic = topics.intake("hotline-111")
    produce(broker_endpoint(settings), topic, [first, first, other], key=case_id.encode())

    rejections = read_rejections(hotline, 1)
    assert [(r.reason, r.submission_id, r.original) for r in rejections] == [
        ("submission_id_reused", reused, other)
    ]
    assert [e.submission_id for e in history(service, case_id)][1:] == [reused]


def test_the_intake_topics_refuse_a_message_beyond_the_maximum_submission_size(
    settings: Settings,
) -> None:
    topic = Topics(settings.topic_prefix).intake("hotline-111")
    for size, accepted in (
        (settings.max_submission_bytes - 200, True),
        (settings.max_submission_bytes + 1, False),
    ):
        producer = KafkaProducer(**client_config(broker_endpoint(settings)))
        try:
            future = producer.send(topic, b"x" * size)
            producer.flush(timeout=30)
            assert future.succeeded() is accepted, size
            assert accepted or isinstance(future.exception, MessageSizeTooLargeError)
        finally:
            producer.close()


def test_a_message_at_the_brokers_size_limit_is_rejected_and_holds_back_no_one(
    settings: Settings, service: CaseService, client: Clients, request: pytest.FixtureRequest
) -> None:
    """A topic whose limit was raised to the broker's (outside the backbone) lets about 1 MB
    in: its rejection cannot carry it, yet goes out, and every other record is recorded."""
    codec, topics, endpoint = (
        Codec.from_directory(),
        Topics(settings.topic_prefix),
        broker_endpoint(settings),
    )
    set_topic_configs(endpoint, [topics.intake("hotline-111")], {"max.message.bytes": "1048588"})
    hotline, police = client("hotline-111"), client("police-khanh-hoa")
    huge = b"\xc3\x01" + b"\x7f" * (BROKER_LIMIT - 600)
    others = [new_case_id() for _ in range(3)]
    produce(endpoint, topics.intake("hotline-111"), [huge])
    produce(
        endpoint,
        topics.intake("police-khanh-hoa"),
        [step_bytes(codec, "CaseReported", case_id) for case_id in others]
        + [b"police's own bad message"],
    )
    request.getfixturevalue("intake")  # one batch holds them all

    poll_until(
        lambda: all(len(history(service, case_id)) == 1 for case_id in others),
        60,
        "the other agency's reports recorded",
    )
    [rejected] = read_rejections(hotline, 1)
    assert rejected.reason == "submission_too_large"
    assert (rejected.original_truncated, rejected.original_size) == (True, len(huge))
    assert rejected.original == huge[:PREFIX_BYTES]
    assert rejected.original_sha256 == hashlib.sha256(huge).hexdigest()
    assert [r.reason for r in read_rejections(police, 1)] == ["not_single_object"]
    reported(hotline, service)  # and the intake has moved past it


def test_a_rejection_the_broker_will_not_take_in_full_goes_out_with_the_first_bytes(
    settings: Settings, service: CaseService, client: Clients, request: pytest.FixtureRequest
) -> None:
    """Here the rejection topic's limit is below the message's size: the full rejection is
    refused by the broker, the bounded one is published, and the batch goes on."""
    topics, endpoint = Topics(settings.topic_prefix), broker_endpoint(settings)
    set_topic_configs(endpoint, [topics.rejected("hotline-111")], {"max.message.bytes": "50000"})
    hotline = client("hotline-111")
    big = b"not a step " * 10_000
    produce(endpoint, topics.intake("hotline-111"), [big, b"small and bad"])
    request.getfixturevalue("intake")

    rejections = sorted(read_rejections(hotline, 2), key=lambda r: -r.original_size)
    assert [(r.reason, r.original_truncated, r.original_size) for r in rejections] == [
        ("not_single_object", True, len(big)),
        ("not_single_object", False, len(b"small and bad")),
    ]
    assert rejections[0].original == big[:PREFIX_BYTES]
    reported(hotline, service)

"""The intake refuses what breaks the contract's bounds, and no message is too large to reject.

No broker here: the intake's planning and publishing run on stand-ins for the consumer, the
producer and the case store (the end-to-end cases are in tests/integration/kafka).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import structlog
from kafka.errors import MessageSizeTooLargeError

from events import Codec, Topics, generate_keypair, seal
from services.cases.agencies import load_agencies
from services.cases.application import StepRequest
from services.kafka.bounds import PREFIX_BYTES, Bounds
from services.kafka.intake import Intake, Outgoing, Refusal
from services.settings import DEFAULT_CONFIG_DIR
from services.vocabulary import load_vocabulary
from tests.casefactory import PERSONAL
from tests.unit.events.samples import SAMPLES

NOW = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)  # half an hour after the samples' steps
MAX_BYTES = 262_144
CODEC = Codec.from_directory()
KEYS = generate_keypair()
TOPICS = Topics("backbone")


@dataclass
class Record:
    """What the intake reads of a consumer record."""

    value: bytes
    topic: str = "backbone.intake.hotline-111"
    partition: int = 0
    offset: int = 7
    timestamp: int = 0


class Store:
    """The case service as far as planning needs it: the agency directory."""

    agencies = load_agencies(DEFAULT_CONFIG_DIR)


class Future:
    def __init__(self, error: Exception | None = None) -> None:
        self.exception = error

    def succeeded(self) -> bool:
        return self.exception is None

    def get(self, timeout: float = 0) -> None:
        if self.exception is not None:
            raise self.exception


class Producer:
    """Refuses values above ``most`` bytes, before sending or as the broker would."""

    def __init__(self, most: int, *, at_broker: bool = False) -> None:
        self.most, self.at_broker = most, at_broker
        self.sent: list[tuple[str, bytes]] = []

    def send(self, topic: str, value: bytes, key: bytes | None = None) -> Future:
        if len(value) > self.most:
            error = MessageSizeTooLargeError(f"{len(value)} bytes")
            if not self.at_broker:
                raise error
            return Future(error)
        self.sent.append((topic, value))
        return Future()

    def flush(self) -> None:
        pass

    def close(self, timeout: float = 0) -> None:
        pass


def intake(producer: Producer | None = None) -> Intake:
    bounds = Bounds(load_vocabulary(DEFAULT_CONFIG_DIR), MAX_BYTES, clock=lambda: NOW)
    return Intake(
        service=Store(),  # type: ignore[arg-type]
        codec=CODEC,
        topics=TOPICS,
        private_key=KEYS.private_key,
        consumer=None,
        producer_factory=lambda: producer or Producer(10**9),
        ensure_topic=lambda name: None,
        bounds=bounds,
    )


def plan(wire_name: str, **changed: Any) -> StepRequest | Refusal:
    return intake()._plan(Record(CODEC.encode(wire_name, SAMPLES[wire_name] | changed)))


def refusal(wire_name: str, **changed: Any) -> Refusal:
    planned = plan(wire_name, **changed)
    assert isinstance(planned, Refusal), planned
    return planned


def test_a_sample_submission_within_every_bound_is_planned() -> None:
    assert isinstance(plan("CaseReported", personal_data=b""), StepRequest)


@pytest.mark.parametrize(
    ("field", "value"),
    [("child_sex", "x"), ("risk_level", "x"), ("channel", "x"), ("district_code", "x")],
)
def test_an_unknown_code_is_refused_naming_the_field_and_the_value(field: str, value: str) -> None:
    refused = refusal("CaseReported", **{field: value})
    assert refused.reason == "unknown_code"
    assert f"CaseReported.{field} = 'x' is not a code" in refused.detail
    assert refused.submission_id == SAMPLES["CaseReported"]["submission_id"]


def test_a_step_dated_2030_is_refused_as_in_the_future() -> None:
    refused = refusal("CaseClosed", occurred_at=datetime(2030, 1, 1, tzinfo=UTC))
    assert refused.reason == "occurred_in_future"


def test_a_step_dated_in_1970_is_refused_as_too_early() -> None:
    assert refusal("CaseClosed", occurred_at=86_400_000).reason == "occurred_too_early"


def test_a_200000_character_submission_id_is_refused_and_never_echoed_or_logged() -> None:
    huge = "s" * 200_000
    record = Record(CODEC.encode("CaseClosed", SAMPLES["CaseClosed"] | {"submission_id": huge}))
    the_intake = intake()
    refused = the_intake._plan(record)
    assert isinstance(refused, Refusal) and refused.reason == "field_too_long"
    assert refused.submission_id == "" and huge not in refused.detail
    with structlog.testing.capture_logs() as logs:
        outgoing = the_intake._rejected(record, refused)
    assert outgoing.key is None
    assert all(len(str(entry)) < 1000 for entry in logs)
    assert CODEC.decode(outgoing.value).record["original"] == record.value  # bytes come back


def test_personal_data_beyond_its_limit_is_refused_once_opened() -> None:
    clear = CODEC.encode("PersonalData", PERSONAL | {"child_address": "a" * 501})
    refused = refusal("CaseReported", personal_data=seal(KEYS.public_key, clear))
    assert refused.reason == "field_too_long"
    assert "PersonalData.child_address is 501 characters" in refused.detail


def test_a_message_beyond_the_maximum_size_is_refused_before_it_is_decoded() -> None:
    refused = intake()._plan(Record(b"\xc3\x01" + b"\0" * MAX_BYTES))
    assert refused == Refusal(
        "submission_too_large",
        f"the message is {MAX_BYTES + 2} bytes, at most {MAX_BYTES} are accepted; "
        "send one step per message within the contract's field limits",
    )


def _rejection(outgoing: Outgoing, bounded: bool = False) -> dict[str, Any]:
    return CODEC.decode(outgoing.bounded if bounded else outgoing.value).record


def test_a_too_large_message_is_returned_by_its_size_hash_and_first_bytes() -> None:
    value = b"\xc3\x01" + bytes(range(256)) * 1100
    record = Record(value)
    the_intake = intake()
    outgoing = the_intake._rejected(record, the_intake._plan(record))  # type: ignore[arg-type]
    rejection = _rejection(outgoing)
    assert rejection["reason"] == "submission_too_large"
    assert rejection["original"] == value[:PREFIX_BYTES]
    assert rejection["original_truncated"] is True
    assert rejection["original_size"] == len(value)
    assert rejection["original_sha256"] == hashlib.sha256(value).hexdigest()


def test_a_small_rejection_carries_the_message_whole_even_in_its_bounded_form() -> None:
    record = Record(b"not avro")
    the_intake = intake()
    outgoing = the_intake._rejected(record, Refusal("not_single_object", "short"))
    for bounded in (False, True):
        rejection = _rejection(outgoing, bounded)
        assert rejection["original"] == b"not avro" and not rejection["original_truncated"]


@pytest.mark.parametrize("at_broker", [False, True])
def test_a_rejection_the_broker_will_not_take_goes_out_bounded_and_the_others_as_they_are(
    at_broker: bool,
) -> None:
    producer = Producer(MAX_BYTES, at_broker=at_broker)
    the_intake = intake(producer)
    small, large = Record(b"small", offset=1), Record(b"x" * (MAX_BYTES - 100), offset=2)
    messages = [
        the_intake._rejected(record, Refusal("not_single_object", "no marker"))
        for record in (small, large)
    ]
    the_intake._publish(messages)
    originals = [CODEC.decode(value).record for _, value in producer.sent]
    assert [(r["source_offset"], r["original_truncated"]) for r in originals] == [
        (1, False),
        (2, True),
    ]
    assert originals[1]["original_size"] == MAX_BYTES - 100


class BrokenCodec:
    """A codec with a bug: any message makes it fail in an unexpected way."""

    def decode(self, data: bytes) -> Any:
        raise RuntimeError("a bug")


def test_a_message_that_trips_a_bug_is_rejected_instead_of_stopping_the_intake() -> None:
    the_intake = intake()
    the_intake.codec = BrokenCodec()  # type: ignore[assignment]
    refused = the_intake._plan(Record(b"anything"))
    assert isinstance(refused, Refusal) and refused.reason == "internal_error"
    assert "send it again later" in refused.detail

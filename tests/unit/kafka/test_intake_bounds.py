"""No rejection is too large to publish: the loop sends the bounded form the broker will take.

No broker here: the loop publishes through a stand-in producer that refuses large values, as
the producer (before sending) or the broker would. The rules that build each rejection are
specified without the loop in tests/unit/intake; the end-to-end cases are in
tests/integration/kafka.
"""

from __future__ import annotations

import pytest
from kafka.errors import MessageSizeTooLargeError

from services.intake.refusals import IntakeRefusal
from services.kafka.intake import Intake
from tests.unit.intake.given import AGENCIES, CODEC, KEYS, MAX_BYTES, TOPICS, Record, translator


class Store:
    """The case service as far as the loop's construction needs it: the agency directory."""

    agencies = AGENCIES


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


def intake(producer: Producer) -> Intake:
    return Intake(
        service=Store(),  # type: ignore[arg-type]
        codec=CODEC,
        topics=TOPICS,
        private_key=KEYS.private_key,
        consumer=None,
        producer_factory=lambda: producer,
        ensure_topic=lambda name: None,
        bounds=translator().bounds,
    )


@pytest.mark.parametrize("at_broker", [False, True])
def test_a_rejection_the_broker_will_not_take_goes_out_bounded_and_the_others_as_they_are(
    at_broker: bool,
) -> None:
    producer = Producer(MAX_BYTES, at_broker=at_broker)
    the_intake = intake(producer)
    small, large = Record(b"small", offset=1), Record(b"x" * (MAX_BYTES - 100), offset=2)
    messages = [
        the_intake.translator.reject(record, IntakeRefusal("not_single_object", "no marker"))
        for record in (small, large)
    ]
    the_intake._publish(messages)
    originals = [CODEC.decode(value).record for _, value in producer.sent]
    assert [(r["source_offset"], r["original_truncated"]) for r in originals] == [
        (1, False),
        (2, True),
    ]
    assert originals[1]["original_size"] == MAX_BYTES - 100

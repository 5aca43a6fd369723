"""The rejection an agency reads on ``<prefix>.rejected.<agency>``: what, why, and its bytes.

It names the refused record (topic, partition, offset, which is also its id, so a replayed
rejection is the same rejection), carries the reason and the sentence, and gives the original
bytes back, whole, or, when they are too large to echo, their first bytes, size and SHA-256.
"""

from __future__ import annotations

import hashlib
from typing import Any

import structlog

from services.intake.refusals import IntakeRefusal
from services.intake.rejection import PREFIX_BYTES, Outgoing
from tests.unit.intake.given import CODEC, Record, sent, translator

NO_MARKER = IntakeRefusal("not_single_object", "no marker")


def test_a_rejection_names_the_record_the_reason_and_gives_the_bytes_back() -> None:
    record = Record(b"not avro", partition=1, offset=42)
    outgoing = translator().reject(record, IntakeRefusal("not_single_object", "no marker", "s-1"))
    assert outgoing.topic == "backbone.rejected.hotline-111" and outgoing.key == b"s-1"
    carried = _carried(outgoing)
    assert carried["rejection_id"] == "backbone.intake.hotline-111:1:42"
    assert (carried["source_topic"], carried["source_partition"], carried["source_offset"]) == (
        "backbone.intake.hotline-111",
        1,
        42,
    )
    assert (carried["agency"], carried["reason"], carried["detail"]) == (
        "hotline-111",
        "not_single_object",
        "no marker",
    )
    assert carried["submission_id"] == "s-1" and carried["original"] == b"not avro"
    assert carried["original_size"] == 8 and not carried["original_truncated"]


def test_a_rejection_without_a_readable_submission_id_has_no_key() -> None:
    assert translator().reject(Record(b"not avro"), NO_MARKER).key is None


def test_a_small_rejection_carries_the_message_whole_even_in_its_bounded_form() -> None:
    outgoing = translator().reject(Record(b"not avro"), NO_MARKER)
    for bounded in (False, True):
        carried = _carried(outgoing, bounded)
        assert carried["original"] == b"not avro" and not carried["original_truncated"]


def test_a_too_large_message_is_returned_by_its_size_hash_and_first_bytes() -> None:
    value = b"\xc3\x01" + bytes(range(256)) * 1100
    the_translator = translator()
    record = Record(value)
    refused = the_translator.plan(record)
    assert isinstance(refused, IntakeRefusal)
    carried = _carried(the_translator.reject(record, refused))
    assert carried["reason"] == "submission_too_large"
    assert carried["original"] == value[:PREFIX_BYTES] and carried["original_truncated"]
    assert carried["original_size"] == len(value)
    assert carried["original_sha256"] == hashlib.sha256(value).hexdigest()


def test_a_message_within_the_size_but_too_large_to_echo_has_a_bounded_form() -> None:
    value = b"x" * (PREFIX_BYTES + 1)
    outgoing = translator().reject(Record(value), NO_MARKER)
    assert _carried(outgoing)["original"] == value
    bounded = _carried(outgoing, bounded=True)
    assert bounded["original"] == value[:PREFIX_BYTES] and bounded["original_truncated"]


def test_a_rejection_is_logged_with_ids_and_reason_only() -> None:
    huge = "s" * 200_000
    record = sent("CaseClosed", submission_id=huge)
    the_translator = translator()
    refused = the_translator.plan(record)
    assert isinstance(refused, IntakeRefusal)
    with structlog.testing.capture_logs() as logs:
        outgoing = the_translator.reject(record, refused)
    assert [entry["event"] for entry in logs] == ["intake.rejected"]
    assert logs[0]["reason"] == "field_too_long" and logs[0]["submission_id"] == ""
    assert all(len(str(entry)) < 1000 for entry in logs)
    assert outgoing.key is None and _carried(outgoing)["original"] == record.value


def _carried(outgoing: Outgoing, bounded: bool = False) -> dict[str, Any]:
    return CODEC.decode(outgoing.bounded if bounded else outgoing.value).record

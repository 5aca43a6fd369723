"""Every way a message or record can break the contract raises ContractError with a reason."""

from datetime import datetime
from typing import Any

import pytest

from events import Codec, ContractError, Reason

from .samples import SAMPLES


@pytest.fixture(scope="module")
def codec() -> Codec:
    return Codec.from_directory()


@pytest.fixture(scope="module")
def message(codec: Codec) -> bytes:
    return codec.encode("CaseReported", SAMPLES["CaseReported"])


def _reason_of(call: Any, *args: Any, **kwargs: Any) -> tuple[Reason, str]:
    with pytest.raises(ContractError) as caught:
        call(*args, **kwargs)
    return caught.value.reason, str(caught.value)


def test_garbage_bytes_are_not_a_single_object(codec: Codec) -> None:
    reason, _ = _reason_of(codec.decode, b'{"case_id": "not avro"}')
    assert reason == Reason.NOT_SINGLE_OBJECT


def test_a_message_shorter_than_the_header_is_not_a_single_object(codec: Codec) -> None:
    reason, _ = _reason_of(codec.decode, b"\xc3\x01\x00")
    assert reason == Reason.NOT_SINGLE_OBJECT


def test_an_unknown_fingerprint_is_named(codec: Codec) -> None:
    reason, text = _reason_of(codec.decode, b"\xc3\x01" + bytes(range(8)) + b"\x00")
    assert (reason, "0001020304050607" in text) == (Reason.UNKNOWN_FINGERPRINT, True)


def test_a_truncated_body_is_a_bad_body(codec: Codec, message: bytes) -> None:
    reason, text = _reason_of(codec.decode, message[:-5])
    assert (reason, "CaseReported" in text) == (Reason.BAD_BODY, True)


def test_bytes_left_after_the_record_are_a_bad_body(codec: Codec, message: bytes) -> None:
    reason, _ = _reason_of(codec.decode, message + b"\x00")
    assert reason == Reason.BAD_BODY


def test_a_body_that_is_not_utf8_text_is_a_bad_body(codec: Codec) -> None:
    header = codec.encode("CaseClosed", SAMPLES["CaseClosed"])[:10]
    reason, _ = _reason_of(codec.decode, header + b"\x04\xff\xfe")
    assert reason == Reason.BAD_BODY


def test_a_field_of_the_wrong_type_is_named(codec: Codec) -> None:
    record = SAMPLES["InitialRiskAssessed"] | {"serious_danger": "yes"}
    reason, text = _reason_of(codec.encode, "InitialRiskAssessed", record)
    assert reason == Reason.SCHEMA_VIOLATION
    assert "InitialRiskAssessed.serious_danger must be boolean, got str" in text


def test_a_wrong_type_inside_a_plan_item_is_named(codec: Codec) -> None:
    items = [SAMPLES["SupportPlanDrafted"]["items"][0] | {"due_at": "tomorrow"}]
    record = SAMPLES["SupportPlanDrafted"] | {"items": items}
    _, text = _reason_of(codec.encode, "SupportPlanDrafted", record)
    assert "PlanItem.due_at must be timestamp-millis, got str" in text


def test_a_missing_required_field_is_named(codec: Codec) -> None:
    record = {k: v for k, v in SAMPLES["CaseClosed"].items() if k != "case_id"}
    reason, text = _reason_of(codec.encode, "CaseClosed", record)
    assert (reason, "missing field CaseClosed.case_id" in text) == (Reason.SCHEMA_VIOLATION, True)


def test_an_unknown_field_is_named(codec: Codec) -> None:
    record = SAMPLES["CaseClosed"] | {"child_name": "Lan"}
    reason, text = _reason_of(codec.encode, "CaseClosed", record)
    assert (reason, "unknown field CaseClosed.child_name" in text) == (
        Reason.SCHEMA_VIOLATION,
        True,
    )


def test_a_datetime_without_a_time_zone_is_refused(codec: Codec) -> None:
    record = SAMPLES["CaseClosed"] | {"occurred_at": datetime(2025, 3, 14, 8, 30)}
    reason, text = _reason_of(codec.encode, "CaseClosed", record)
    assert (reason, "CaseClosed.occurred_at" in text) == (Reason.SCHEMA_VIOLATION, True)


def test_a_violation_never_quotes_the_value(codec: Codec) -> None:
    record = SAMPLES["PersonalData"] | {"child_name": ["Nguyễn Thị Lan"]}
    _, text = _reason_of(codec.encode, "PersonalData", record)
    assert "Lan" not in text


def test_an_unknown_wire_name_is_named(codec: Codec) -> None:
    reason, text = _reason_of(codec.encode, "CaseTeleported", {})
    assert (reason, "CaseTeleported" in text) == (Reason.UNKNOWN_WIRE_NAME, True)


def test_a_reader_schema_that_cannot_read_the_writer_is_a_mismatch(
    codec: Codec, message: bytes
) -> None:
    schema: dict[str, Any] = dict(codec.schema("CaseClosed"))
    reason, _ = _reason_of(codec.decode, message, reader_schema=schema)
    assert reason == Reason.SCHEMA_MISMATCH


def test_a_schema_that_is_not_a_record_is_refused(codec: Codec) -> None:
    reason, _ = _reason_of(codec.register, {"type": "string"})
    assert reason == Reason.BAD_SCHEMA


def test_the_reason_compares_equal_to_its_code(codec: Codec) -> None:
    reason, _ = _reason_of(codec.decode, b"")
    assert reason == "not_single_object"


def test_a_datetime_without_a_time_zone_inside_a_plan_item_is_refused(codec: Codec) -> None:
    items = [SAMPLES["SupportPlanDrafted"]["items"][0] | {"due_at": datetime(2025, 3, 21, 17)}]
    record = SAMPLES["SupportPlanDrafted"] | {"items": items}
    reason, text = _reason_of(codec.encode, "SupportPlanDrafted", record)
    assert (reason, "SupportPlanDrafted.items[0].due_at" in text) == (
        Reason.SCHEMA_VIOLATION,
        True,
    )


def _envelope(**changes: Any) -> dict[str, Any]:
    """The relay's CaseEvent as it assembles it: every field given, timestamps in ms."""
    return (
        SAMPLES["CaseEvent"]
        | {"recorded_at": 1741941000000, "occurred_at": 1741941000000}
        | changes
    )


def test_an_assembled_record_with_an_unknown_field_is_refused(codec: Codec) -> None:
    reason, _ = _reason_of(codec.encode_assembled, "CaseEvent", _envelope(child_name="Lan"))
    assert reason == Reason.SCHEMA_VIOLATION


def test_an_assembled_record_missing_a_field_is_refused(codec: Codec) -> None:
    record = {k: v for k, v in _envelope().items() if k != "hash"}
    reason, _ = _reason_of(codec.encode_assembled, "CaseEvent", record)
    assert reason == Reason.SCHEMA_VIOLATION


@pytest.mark.parametrize("field, value", [("sequence", "1"), ("case_id", 5), ("payload", "x")])
def test_an_assembled_record_with_a_value_of_the_wrong_type_is_refused(
    codec: Codec, field: str, value: object
) -> None:
    reason, text = _reason_of(codec.encode_assembled, "CaseEvent", _envelope(**{field: value}))
    assert (reason, str(value) in text.replace("CaseEvent", "")) == (Reason.SCHEMA_VIOLATION, False)

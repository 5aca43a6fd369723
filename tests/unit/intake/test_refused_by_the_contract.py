"""A submission that breaks the wire contract is refused before the case rules are asked.

Each test names one reason an agency can get back on its rejections topic, with the sentence
that tells it what to fix. The submission id is echoed when it could be read, so the agency can
match the refusal to what it sent.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from events import MARKER, Codec, seal
from services.cases.application import StepRequest
from services.intake.refusals import IntakeRefusal
from tests.casefactory import PERSONAL
from tests.unit.events.samples import SAMPLES
from tests.unit.intake.given import CODEC, KEYS, MAX_BYTES, Record, plan, refusal, sent, translator

CLOSED_ID = SAMPLES["CaseClosed"]["submission_id"]


def test_a_sample_submission_within_every_bound_is_planned_as_the_agency_of_its_topic() -> None:
    planned = plan(sent("CaseReported", personal_data=seal(KEYS.public_key, _personal())))
    assert isinstance(planned, StepRequest)
    assert planned.agency == "hotline-111" and planned.step == "CaseReported"
    assert planned.occurred_at == 1741941000000  # 2025-03-14T08:30Z in epoch milliseconds
    assert planned.personal_data == PERSONAL  # opened with the backbone's key


def test_instants_inside_a_steps_fields_reach_the_case_service_as_epoch_milliseconds() -> None:
    planned = plan(sent("SupportPlanDrafted"))
    assert isinstance(planned, StepRequest)
    assert [item["due_at"] for item in planned.fields["items"]] == [1742576400000] * 2


def test_a_message_beyond_the_maximum_size_is_refused_before_it_is_decoded() -> None:
    assert refusal(Record(MARKER + b"\0" * MAX_BYTES)) == IntakeRefusal(
        "submission_too_large",
        f"the message is {MAX_BYTES + 2} bytes, at most {MAX_BYTES} are accepted; "
        "send one step per message within the contract's field limits",
    )


@pytest.mark.parametrize("value", [b"not avro", b"", None])
def test_bytes_without_the_single_object_marker_are_refused_as_not_single_object(
    value: bytes | None,
) -> None:
    refused = refusal(Record(value))
    assert refused.reason == "not_single_object"
    assert "expected marker C3 01" in refused.detail and refused.submission_id == ""


def test_a_fingerprint_of_no_known_schema_is_refused_as_unknown_fingerprint() -> None:
    refused = refusal(Record(MARKER + b"\x01" * 8 + b"body"))
    assert refused.reason == "unknown_fingerprint"
    assert "0101010101010101" in refused.detail


def test_a_body_cut_short_is_refused_as_bad_body() -> None:
    whole = sent("CaseClosed").value or b""
    refused = refusal(Record(whole[:-5]))
    assert (refused.reason, refused.detail) == ("bad_body", "CaseClosed body: ends too soon")


def test_bytes_after_the_record_are_refused_as_bad_body() -> None:
    refused = refusal(Record((sent("CaseClosed").value or b"") + b"\0\0"))
    assert (refused.reason, refused.detail) == ("bad_body", "2 bytes after the CaseClosed record")


def test_a_version_the_current_schema_cannot_read_is_refused_as_schema_mismatch() -> None:
    old = _schema("Probe", [{"name": "a", "type": "string"}])
    new = _schema("Probe", [{"name": "a", "type": "string"}, {"name": "b", "type": "string"}])
    codec = Codec([new])  # b was added without a default: the old version cannot be read
    codec.register(old)
    written = Codec([old]).encode("probe.v1.Probe", {"a": "x"})
    refused = translator(codec=codec).plan(Record(written))
    assert isinstance(refused, IntakeRefusal) and refused.reason == "schema_mismatch"


def test_a_record_that_is_not_a_step_is_refused_as_unknown_step() -> None:
    refused = refusal(Record(CODEC.encode("PersonalData", PERSONAL)))  # sent in clear, unsealed
    assert refused == IntakeRefusal("unknown_step", "'PersonalData' is not a step of the workflow")


@pytest.mark.parametrize(
    ("field", "value"),
    [("child_sex", "x"), ("risk_level", "x"), ("channel", "x"), ("district_code", "x")],
)
def test_an_unknown_code_is_refused_naming_the_field_and_the_value(field: str, value: str) -> None:
    refused = refusal(sent("CaseReported", **{field: value}))
    assert refused.reason == "unknown_code"
    assert f"CaseReported.{field} = 'x' is not a code" in refused.detail
    assert refused.submission_id == SAMPLES["CaseReported"]["submission_id"]


def test_a_step_dated_2030_is_refused_as_in_the_future() -> None:
    refused = refusal(sent("CaseClosed", occurred_at=datetime(2030, 1, 1, tzinfo=UTC)))
    assert refused.reason == "occurred_in_future" and refused.submission_id == CLOSED_ID
    assert "fix the sender's clock" in refused.detail


def test_a_step_dated_in_1970_is_refused_as_too_early() -> None:
    refused = refusal(sent("CaseClosed", occurred_at=86_400_000))  # seconds sent as milliseconds
    assert refused.reason == "occurred_too_early"
    assert "milliseconds, not seconds" in refused.detail


def test_a_field_beyond_its_limit_is_refused_naming_the_field_and_the_sizes() -> None:
    refused = refusal(sent("CaseClosed", reason="r" * 65))
    assert refused.reason == "field_too_long"
    assert refused.detail.startswith("CaseClosed.reason is 65 characters, at most 64")


def test_a_control_character_in_a_text_is_refused() -> None:
    refused = refusal(sent("ReferralDeclined", reason="outside\0our area"))
    assert refused.reason == "control_character"
    assert "ReferralDeclined.reason holds a control character" in refused.detail


def test_a_200000_character_submission_id_is_refused_and_never_echoed() -> None:
    huge = "s" * 200_000
    refused = refusal(sent("CaseClosed", submission_id=huge))
    assert refused.reason == "field_too_long"
    assert refused.submission_id == "" and huge not in refused.detail


def test_personal_data_sealed_to_another_key_is_refused_as_not_openable() -> None:
    refused = refusal(sent("CaseReported"))  # the sample's sealed blob is no sealed box
    assert refused.reason == "not_openable"
    assert refused.detail == "sealed data is damaged or was sealed to another key"


def test_a_backbone_key_that_is_no_key_refuses_sealed_personal_data_as_bad_key() -> None:
    record = sent("CaseReported", personal_data=seal(KEYS.public_key, _personal()))
    refused = translator(private_key="not base64!").plan(record)
    assert isinstance(refused, IntakeRefusal) and refused.reason == "bad_key"


def test_sealed_bytes_that_are_no_contract_message_are_refused_as_the_codec_says() -> None:
    refused = refusal(sent("CaseReported", personal_data=seal(KEYS.public_key, b"Hoa, 11")))
    assert refused.reason == "not_single_object"


def test_a_sealed_record_other_than_personal_data_is_refused_as_invalid_personal_data() -> None:
    inner = CODEC.encode("CaseClosed", SAMPLES["CaseClosed"])
    refused = refusal(sent("CaseReported", personal_data=seal(KEYS.public_key, inner)))
    assert refused.reason == "invalid_personal_data"
    assert refused.detail == "personal data fields ['CaseClosed'] are unknown or not text"


def test_personal_data_beyond_its_limit_is_refused_once_opened() -> None:
    clear = _personal(child_address="a" * 501)
    refused = refusal(sent("CaseReported", personal_data=seal(KEYS.public_key, clear)))
    assert refused.reason == "field_too_long"
    assert "PersonalData.child_address is 501 characters" in refused.detail


def _personal(**changed: str) -> bytes:
    return CODEC.encode("PersonalData", PERSONAL | changed)


def _schema(name: str, fields: list[dict[str, str]]) -> dict[str, object]:
    return {"type": "record", "name": name, "namespace": "probe.v1", "fields": fields}

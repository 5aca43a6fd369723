from datetime import UTC, datetime
from typing import Any

import pytest
from fastavro.schema import fingerprint, to_parsing_canonical_form

from events import EPOCH, MARKER, Codec, ContractError

from .samples import SAMPLES, WHEN


@pytest.fixture(scope="module")
def codec() -> Codec:
    return Codec.from_directory()


def test_there_is_a_sample_for_every_wire_name(codec: Codec) -> None:
    assert set(SAMPLES) == codec.wire_names


@pytest.mark.parametrize("wire_name", sorted(SAMPLES))
def test_a_record_reads_back_as_it_was_written(codec: Codec, wire_name: str) -> None:
    decoded = codec.decode(codec.encode(wire_name, SAMPLES[wire_name]))
    assert (decoded.wire_name, decoded.record) == (wire_name, SAMPLES[wire_name])


def test_the_full_name_carries_the_version_namespace(codec: Codec) -> None:
    decoded = codec.decode(codec.encode("CaseClosed", SAMPLES["CaseClosed"]))
    assert decoded.full_name == "referralbackbone.case.v1.CaseClosed"


def test_encode_accepts_the_full_name(codec: Codec) -> None:
    data = codec.encode("referralbackbone.case.v1.CaseClosed", SAMPLES["CaseClosed"])
    assert data == codec.encode("CaseClosed", SAMPLES["CaseClosed"])


def test_a_message_starts_with_the_single_object_marker(codec: Codec) -> None:
    assert codec.encode("CaseClosed", SAMPLES["CaseClosed"]).startswith(MARKER)


@pytest.mark.parametrize("wire_name", sorted(SAMPLES))
def test_the_fingerprint_in_the_bytes_is_crc64_avro_of_the_canonical_schema(
    codec: Codec, wire_name: str
) -> None:
    canonical = to_parsing_canonical_form(codec.schema(wire_name))
    expected = bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))
    assert codec.encode(wire_name, SAMPLES[wire_name])[2:10] == expected


def test_a_timestamp_given_as_milliseconds_reads_back_as_an_aware_utc_datetime(
    codec: Codec,
) -> None:
    record = SAMPLES["CaseClosed"] | {"occurred_at": int(WHEN.timestamp() * 1000)}
    decoded = codec.decode(codec.encode("CaseClosed", record))
    assert decoded.record["occurred_at"] == WHEN
    assert decoded.record["occurred_at"].tzinfo == UTC


def test_a_timestamp_in_another_time_zone_reads_back_in_utc(codec: Codec) -> None:
    hanoi = datetime.fromisoformat("2025-03-14T15:30:00+07:00")
    record = SAMPLES["CaseClosed"] | {"occurred_at": hanoi}
    assert codec.decode(codec.encode("CaseClosed", record)).record["occurred_at"] == WHEN


def test_fields_left_out_take_their_defaults(codec: Codec) -> None:
    record: dict[str, Any] = dict(SAMPLES["ReferralSent"])
    del record["due_at"]
    assert codec.decode(codec.encode("ReferralSent", record)).record["due_at"] == EPOCH


def test_an_omitted_bytes_field_is_written_with_its_default() -> None:
    codec = Codec.from_directory()
    record = {k: v for k, v in SAMPLES["CaseEvent"].items() if k != "personal_data"}
    assert codec.decode(codec.encode("CaseEvent", record)).record["personal_data"] == b""


def test_an_assembled_record_is_written_as_encode_writes_it(codec: Codec) -> None:
    envelope = SAMPLES["CaseEvent"] | {"recorded_at": 1741941000000, "occurred_at": 1741941000000}
    assert codec.encode_assembled("CaseEvent", envelope) == codec.encode("CaseEvent", envelope)


@pytest.mark.parametrize(
    ("where", "path"),
    [
        (lambda r: r | {"occurred_at": datetime(2025, 1, 2)}, "SupportPlanDrafted.occurred_at"),
        (
            lambda r: (
                r | {"items": [r["items"][0], r["items"][1] | {"due_at": datetime(2025, 1, 2)}]}
            ),
            "SupportPlanDrafted.items[1].due_at",
        ),
    ],
    ids=["top level", "in a list item"],
)
def test_a_datetime_without_a_time_zone_is_refused_naming_where_it_is(
    codec: Codec, where: Any, path: str
) -> None:
    record = where(dict(SAMPLES["SupportPlanDrafted"]))
    with pytest.raises(ContractError) as refused:
        codec.encode("SupportPlanDrafted", record)
    assert refused.value.reason == "schema_violation"
    assert refused.value.detail == f"{path} is a datetime without a time zone"

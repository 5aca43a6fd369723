"""``decode_wire``: the same records as ``decode``, instants left as epoch milliseconds."""

import io
import json
from pathlib import Path
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_writer

from events import MARKER, SCHEMA_DIR, Codec, ContractError, Reason, load_schema
from events.instants import millis_within

from .samples import SAMPLES

BEYOND_9999 = 253_402_300_800_000  # 10000-01-01T00:00Z: no datetime holds it


@pytest.fixture(scope="module")
def codec() -> Codec:
    return Codec.from_directory()


@pytest.mark.parametrize("wire_name", sorted(SAMPLES))
def test_a_record_reads_as_decode_reads_it_with_milliseconds_for_instants(
    codec: Codec, wire_name: str
) -> None:
    data = codec.encode(wire_name, SAMPLES[wire_name])
    decoded, wire = codec.decode(data), codec.decode_wire(data)
    assert (wire.wire_name, wire.full_name) == (decoded.wire_name, decoded.full_name)
    assert wire.record == millis_within(decoded.record)


def _with_raw_instants(codec: Codec, wire_name: str, record: dict[str, Any]) -> bytes:
    """``record`` written with longs where the schema has timestamps (no range check)."""
    text = json.dumps(codec.schema(wire_name), default=str).replace(
        '"logicalType": "timestamp-millis"', '"logicalType": "none"'
    )
    schema = {k: v for k, v in json.loads(text).items() if not k.startswith("__")}
    body = io.BytesIO()
    schemaless_writer(body, parse_schema(schema, named_schemas={}), record)
    return MARKER + codec.fingerprint(wire_name) + body.getvalue()


@pytest.mark.parametrize(
    ("wire_name", "where"), [("CaseClosed", "top level"), ("SupportPlanDrafted", "plan item")]
)
def test_an_instant_no_datetime_holds_is_a_bad_body_for_both_readers(
    codec: Codec, wire_name: str, where: str
) -> None:
    record = millis_within(SAMPLES[wire_name])
    if where == "top level":
        record["occurred_at"] = BEYOND_9999
    else:
        record["items"][1]["due_at"] = BEYOND_9999
    data = _with_raw_instants(codec, wire_name, record)
    for read in (codec.decode, codec.decode_wire):
        with pytest.raises(ContractError) as caught:
            read(data)
        assert caught.value.reason == Reason.BAD_BODY


def test_the_last_instant_a_datetime_holds_is_read(codec: Codec) -> None:
    record = millis_within(SAMPLES["CaseClosed"]) | {"occurred_at": BEYOND_9999 - 1}
    data = _with_raw_instants(codec, "CaseClosed", record)
    assert codec.decode_wire(data).record["occurred_at"] == BEYOND_9999 - 1


def test_an_appended_timestamp_default_stays_milliseconds(tmp_path: Path) -> None:
    v1 = load_schema(SCHEMA_DIR / "CaseClosed.avsc")
    closed_at = {
        "name": "closed_at",
        "type": {"type": "long", "logicalType": "timestamp-millis"},
        "default": 0,
        "doc": "When it was closed.",
    }
    (tmp_path / "previous").mkdir()
    (tmp_path / "previous" / "CaseClosed.avsc").write_text(json.dumps(v1))
    (tmp_path / "CaseClosed.avsc").write_text(
        json.dumps(v1 | {"fields": [*v1["fields"], closed_at]})
    )
    data = Codec([v1]).encode("CaseClosed", SAMPLES["CaseClosed"])
    record = Codec.from_directory(tmp_path).decode_wire(data).record
    assert record == millis_within(SAMPLES["CaseClosed"]) | {"closed_at": 0}

"""The evolution rule: a reader of version N reads N+1, and a reader of N+1 reads N."""

import json
from pathlib import Path
from typing import Any

from events import EPOCH, SCHEMA_DIR, Codec, load_schema

from .samples import SAMPLES


def _v2(field: dict[str, Any]) -> dict[str, Any]:
    """CaseClosed with one field appended, as the evolution rule allows."""
    schema = load_schema(SCHEMA_DIR / "CaseClosed.avsc")
    return schema | {"fields": [*schema["fields"], field]}


NOTE = {"name": "note", "type": "string", "default": "", "doc": "A note on the closure."}
V1_RECORD = SAMPLES["CaseClosed"]
V2_RECORD = V1_RECORD | {"note": "family moved out of the province"}


def test_a_v1_reader_reads_a_v2_message_without_the_new_field() -> None:
    data = Codec([_v2(NOTE)]).encode("CaseClosed", V2_RECORD)
    reader = Codec.from_directory()
    reader.register(_v2(NOTE))
    assert reader.decode(data).record == V1_RECORD


def test_a_v2_reader_reads_a_v1_message_with_the_default_filled_in() -> None:
    data = Codec.from_directory().encode("CaseClosed", V1_RECORD)
    reader = Codec.from_directory()
    assert reader.decode(data, reader_schema=_v2(NOTE)).record == V1_RECORD | {"note": ""}


def test_a_codec_whose_current_version_is_v2_reads_v1_from_the_previous_folder(
    tmp_path: Path,
) -> None:
    (tmp_path / "previous").mkdir()
    v1 = load_schema(SCHEMA_DIR / "CaseClosed.avsc")
    (tmp_path / "previous" / "CaseClosed.avsc").write_text(json.dumps(v1))
    (tmp_path / "CaseClosed.avsc").write_text(json.dumps(_v2(NOTE)))
    data = Codec([v1]).encode("CaseClosed", V1_RECORD)
    assert Codec.from_directory(tmp_path).decode(data).record == V1_RECORD | {"note": ""}


def test_an_appended_bytes_default_reads_back_as_bytes() -> None:
    blob = {"name": "blob", "type": "bytes", "default": "", "doc": "Sealed extra."}
    data = Codec.from_directory().encode("CaseClosed", V1_RECORD)
    record = Codec.from_directory().decode(data, reader_schema=_v2(blob)).record
    assert record["blob"] == b""


def test_an_appended_timestamp_default_reads_back_as_a_datetime() -> None:
    when = {
        "name": "closed_at",
        "type": {"type": "long", "logicalType": "timestamp-millis"},
        "default": 0,
        "doc": "When it was closed.",
    }
    data = Codec.from_directory().encode("CaseClosed", V1_RECORD)
    record = Codec.from_directory().decode(data, reader_schema=_v2(when)).record
    assert record["closed_at"] == EPOCH

"""The wire format of CONTRACT.md: Avro single-object encoding of the shipped ``.avsc`` files.

A message is the marker ``C3 01``, the 8-byte CRC-64-AVRO fingerprint of the writer schema's
parsing canonical form (little-endian, as fastavro gives it), then the Avro binary body.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.schema import fingerprint, to_parsing_canonical_form

from referral_backbone_client.errors import ClientError

MARKER = b"\xc3\x01"
NAMESPACE = "referralbackbone.case.v1"
SCHEMAS = Path(__file__).parent / "schemas"


@dataclass(frozen=True)
class _Version:
    name: str
    fingerprint: bytes
    schema: dict[str, Any]


class Contract:
    """Every record of the contract by wire name (current versions) and by fingerprint (all)."""

    def __init__(self, directory: Path = SCHEMAS) -> None:
        self._current = {v.name: v for v in map(_load, sorted(directory.glob("*.avsc")))}
        earlier = [_load(path) for path in sorted((directory / "previous").glob("*.avsc"))]
        self._known = {v.fingerprint: v for v in [*earlier, *self._current.values()]}

    def encode(self, wire_name: str, record: Mapping[str, Any]) -> bytes:
        """``record`` as the current version of ``wire_name`` (e.g. ``CaseReported``); fields
        left out take their schema default. Timestamps: aware ``datetime`` or epoch millis."""
        version = self._current.get(f"{NAMESPACE}.{wire_name}")
        if version is None:
            raise ClientError("unknown_wire_name", f"no schema named {wire_name}")
        body = io.BytesIO()
        try:
            schemaless_writer(body, version.schema, _with_defaults(version.schema, record))
        except (ValueError, TypeError, KeyError) as error:
            raise ClientError("schema_violation", f"{wire_name}: {type(error).__name__}") from None
        return MARKER + version.fingerprint + body.getvalue()

    def decode(self, data: bytes) -> tuple[str, dict[str, Any]]:
        """The wire name and the record, read into the current version of its schema."""
        if len(data) < 10 or not data.startswith(MARKER):
            raise ClientError("not_single_object", f"{len(data)} bytes without the C3 01 marker")
        writer = self._known.get(bytes(data[2:10]))
        if writer is None:
            raise ClientError("unknown_fingerprint", f"no shipped schema has {data[2:10].hex()}")
        reader = self._current.get(writer.name, writer)
        record = schemaless_reader(io.BytesIO(data[10:]), writer.schema, reader.schema)
        return writer.name.rpartition(".")[2], dict(record)  # type: ignore[arg-type]


def _with_defaults(schema: dict[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """The record with every field it leaves out that has a default (e.g. no personal data)."""
    full = dict(record)
    for field in schema["fields"]:
        if field["name"] not in full and "default" in field:
            default = field["default"]
            full[field["name"]] = default.encode("latin-1") if field["type"] == "bytes" else default
    return full


def _load(path: Path) -> _Version:
    schema = parse_schema(json.loads(path.read_text(encoding="utf-8")), named_schemas={})
    if not isinstance(schema, dict):
        raise ClientError("bad_schema", f"{path.name} is not an Avro record schema")
    canonical = to_parsing_canonical_form(schema)
    return _Version(schema["name"], bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO")), schema)

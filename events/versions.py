"""Schema versions: parsed Avro record schemas and their CRC-64-AVRO fingerprints."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastavro import parse_schema
from fastavro.schema import fingerprint, to_parsing_canonical_form

from events.errors import ContractError, Reason

Schema = Mapping[str, Any]


@dataclass(frozen=True)
class SchemaVersion:
    """One version of a record schema: full Avro name, 8-byte fingerprint, parsed schema."""

    full_name: str
    fingerprint: bytes
    parsed: dict[str, Any]

    @property
    def wire_name(self) -> str:
        """The record name without its namespace, e.g. `CaseReported`."""
        return self.full_name.rpartition(".")[2]


def schema_fingerprint(schema: Schema) -> bytes:
    """CRC-64-AVRO of the schema's parsing canonical form, as the 8 bytes on the wire."""
    return _crc64_avro(to_parsing_canonical_form(parse_schema(dict(schema), named_schemas={})))


@lru_cache(maxsize=256)
def _crc64_avro(canonical: str) -> bytes:
    # Cached: fastavro rebuilds its lookup table on every call (~1 ms), too slow per message.
    return bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))


def parse(schema: Schema) -> SchemaVersion:
    """Parse one self-contained record schema."""
    try:
        parsed = parse_schema(dict(schema), named_schemas={})
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ContractError(Reason.BAD_SCHEMA, f"not a valid Avro schema: {error}") from None
    if not isinstance(parsed, dict) or parsed.get("type") != "record":
        raise ContractError(Reason.BAD_SCHEMA, "a contract schema must be an Avro record")
    return SchemaVersion(parsed["name"], schema_fingerprint(parsed), parsed)


def load_schema(path: Path) -> dict[str, Any]:
    """Read one `.avsc` file."""
    try:
        schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ContractError(Reason.BAD_SCHEMA, f"{path.name} is not JSON: {error}") from None
    return schema

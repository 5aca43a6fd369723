"""Avro single-object encoding of the contract's records, keyed by schema fingerprint.

A message is the marker C3 01, the 8-byte little-endian CRC-64-AVRO fingerprint of the writer
schema's parsing canonical form, then the Avro binary body (see CONTRACT.md).
"""

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from fastavro.read import SchemaResolutionError

from events.errors import ContractError, Reason
from events.instants import from_millis
from events.records import check_record, with_defaults
from events.steps import SCHEMA_DIR
from events.versions import Schema, SchemaVersion, load_schema, parse

MARKER = b"\xc3\x01"
HEADER_SIZE = len(MARKER) + 8
NAMESPACE = "referralbackbone.case.v1"


@dataclass(frozen=True)
class Decoded:
    """A message read back: its wire name (e.g. `CaseReported`), full Avro name and record."""

    wire_name: str
    full_name: str
    record: dict[str, Any]


class Codec:
    """Encodes and decodes the contract's records; knows every schema version by fingerprint.

    The schemas given to the constructor are the *current* versions: `encode` writes with them
    and `decode` reads into them. `register` adds other versions a message may be written with.
    """

    def __init__(self, schemas: Iterable[Schema] = ()) -> None:
        self._versions: dict[bytes, SchemaVersion] = {}
        self._current: dict[str, SchemaVersion] = {}
        for schema in schemas:
            version = self._add(schema)
            if version.full_name in self._current:
                raise ContractError(Reason.BAD_SCHEMA, f"two versions of {version.full_name}")
            self._current[version.full_name] = version

    @classmethod
    def from_directory(cls, directory: Path = SCHEMA_DIR) -> "Codec":
        """Current versions from `directory/*.avsc`, earlier ones from `directory/previous/`."""
        codec = cls(load_schema(path) for path in sorted(directory.glob("*.avsc")))
        for path in sorted((directory / "previous").glob("*.avsc")):
            codec.register(load_schema(path))
        return codec

    @property
    def wire_names(self) -> frozenset[str]:
        """Wire names of the current versions."""
        return frozenset(version.wire_name for version in self._current.values())

    def register(self, schema: Schema) -> bytes:
        """Make messages written with another version readable; return its fingerprint."""
        return self._add(schema).fingerprint

    def schema(self, wire_name: str) -> dict[str, Any]:
        """The current (parsed) schema of `wire_name`; usable as `decode`'s `reader_schema`."""
        return self._version_of(wire_name).parsed

    def fingerprint(self, wire_name: str) -> bytes:
        """The 8-byte fingerprint of the current schema of `wire_name`."""
        return self._version_of(wire_name).fingerprint

    def encode(self, wire_name: str, record: Mapping[str, Any]) -> bytes:
        """Check `record` against the current schema of `wire_name` and encode it.

        `wire_name` is a record name in the v1 namespace (`CaseReported`) or a full name.
        Timestamps may be aware datetimes or integer milliseconds since the epoch.
        """
        version = self._version_of(wire_name)
        check_record(version, record)
        return _write(version, with_defaults(version, record), strict=False)

    def encode_assembled(self, wire_name: str, record: Mapping[str, Any]) -> bytes:
        """Encode a record the caller assembled itself from values already checked, with every
        field given (the relay's envelope: a stored event's typed fields around a payload that
        `encode` has just checked). Its field names must be exactly the schema's and the writer
        still refuses a missing field, a string for a number and the like, but there is no
        separate validation pass, which would check the same record a second time (it would
        also catch a float written into a long). Timestamps as integer milliseconds only.
        """
        return _write(self._version_of(wire_name), record, strict=True)

    def decode(self, data: bytes, reader_schema: Schema | None = None) -> Decoded:
        """Read one message, resolved into `reader_schema`, else into the current version.

        Timestamps come back as aware UTC datetimes.
        """
        writer = self._writer_of(data)
        reader = self._current.get(writer.full_name, writer)
        if reader_schema is not None:
            reader = parse(reader_schema)
        record = _read_body(data, writer, reader)
        return Decoded(reader.wire_name, reader.full_name, record)

    def _add(self, schema: Schema) -> SchemaVersion:
        version = parse(schema)
        return self._versions.setdefault(version.fingerprint, version)

    def _version_of(self, wire_name: str) -> SchemaVersion:
        full_name = wire_name if "." in wire_name else f"{NAMESPACE}.{wire_name}"
        try:
            return self._current[full_name]
        except KeyError:
            raise ContractError(Reason.UNKNOWN_WIRE_NAME, f"no schema named {wire_name}") from None

    def _writer_of(self, data: bytes) -> SchemaVersion:
        if len(data) < HEADER_SIZE or not data.startswith(MARKER):
            raise ContractError(
                Reason.NOT_SINGLE_OBJECT,
                f"expected marker C3 01 and an 8-byte fingerprint, got {len(data)} bytes "
                f"starting {data[:2].hex(' ') or '(empty)'}",
            )
        found = bytes(data[len(MARKER) : HEADER_SIZE])
        try:
            return self._versions[found]
        except KeyError:
            raise ContractError(
                Reason.UNKNOWN_FINGERPRINT, f"no known schema has fingerprint {found.hex()}"
            ) from None


def _write(version: SchemaVersion, record: Mapping[str, Any], strict: bool) -> bytes:
    body = io.BytesIO()
    try:
        schemaless_writer(body, version.parsed, record, strict=strict)
    except (ValueError, TypeError, OverflowError, AttributeError) as error:
        what = type(error).__name__  # not its text: that may quote a value
        raise ContractError(Reason.SCHEMA_VIOLATION, f"{version.wire_name}: {what}") from None
    return MARKER + version.fingerprint + body.getvalue()


def _read_body(data: bytes, writer: SchemaVersion, reader: SchemaVersion) -> dict[str, Any]:
    body = io.BytesIO(data[HEADER_SIZE:])
    same = reader.fingerprint == writer.fingerprint
    try:
        record = schemaless_reader(body, writer.parsed, None if same else reader.parsed)
    except SchemaResolutionError as error:
        raise ContractError(
            Reason.SCHEMA_MISMATCH,
            f"{reader.full_name} cannot read {writer.full_name} ({writer.fingerprint.hex()}): "
            f"{error}",
        ) from None
    except Exception as error:  # untrusted bytes: whatever fastavro trips on is a bad body
        # Only the exception's type: its text may quote the bytes, which may be personal data.
        what = "ends too soon" if isinstance(error, EOFError) else type(error).__name__
        raise ContractError(Reason.BAD_BODY, f"{writer.wire_name} body: {what}") from None
    left = len(data) - HEADER_SIZE - body.tell()
    if left:
        raise ContractError(Reason.BAD_BODY, f"{left} bytes after the {writer.wire_name} record")
    if not isinstance(record, dict):
        raise ContractError(Reason.BAD_BODY, f"{writer.wire_name} body is not a record")
    return record if same else _typed_defaults(record, writer, reader)


def _typed_defaults(
    record: dict[str, Any], writer: SchemaVersion, reader: SchemaVersion
) -> dict[str, Any]:
    """Give defaulted fields the Python types a written value gets (fastavro leaves JSON ones).

    Only top-level fields are fixed: the evolution rule adds fields there (see CONTRACT.md).
    """
    written = {field["name"] for field in writer.parsed["fields"]}
    for field in reader.parsed["fields"]:
        name, kind = field["name"], field["type"]
        if name in written:
            continue
        if kind == "bytes" and isinstance(record[name], str):
            record[name] = record[name].encode("latin-1")
        elif isinstance(kind, Mapping) and kind.get("logicalType") == "timestamp-millis":
            record[name] = from_millis(record[name])
    return record

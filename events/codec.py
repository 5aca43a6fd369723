"""Avro single-object encoding of the contract's records, keyed by schema fingerprint.

A message is the marker C3 01, the 8-byte little-endian CRC-64-AVRO fingerprint of the writer
schema's parsing canonical form, then the Avro binary body (see CONTRACT.md).
"""

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastavro import parse_schema, schemaless_reader, schemaless_writer
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
        self._plains: dict[bytes, _PlainVersion] = {}  # by fingerprint, made on first use
        self._wire_plans: dict[bytes, _WirePlan] = {}  # by the writer's fingerprint, likewise
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

    def decode_wire(self, data: bytes) -> Decoded:
        """Read one message into its current version with every instant left as the wire's
        epoch milliseconds (the projections compare and store milliseconds: turning each into
        a datetime and back cost more than reading the record). An instant no datetime can
        hold is refused as `decode` refuses it, so both accept the same messages."""
        plan = self._wire_plans.get(data[len(MARKER) : HEADER_SIZE])
        if plan is None or not data.startswith(MARKER):
            plan = self._wire_plan(self._writer_of(data))  # or the refusal of its header
        record = _read_body(data, plan.writer, plan.reader.version)
        if not plan.reader.in_range(record):
            raise ContractError(Reason.BAD_BODY, f"{plan.writer.wire_name} body: OverflowError")
        return Decoded(plan.wire_name, plan.reader.version.full_name, record)

    def _wire_plan(self, writer: SchemaVersion) -> "_WirePlan":
        """How to read what ``writer`` wrote, looked up once per fingerprint (the projections
        decode two records per message: finding the versions again each time cost a third as
        much as fastavro's reading)."""
        plan = self._wire_plans.get(writer.fingerprint)
        if plan is None:
            reader = self._plain(self._current.get(writer.full_name, writer))
            plan = _WirePlan(self._plain(writer).version, reader, reader.version.wire_name)
            self._wire_plans[writer.fingerprint] = plan
        return plan

    def _plain(self, version: SchemaVersion) -> "_PlainVersion":
        plain = self._plains.get(version.fingerprint)
        if plain is None:
            plain = self._plains[version.fingerprint] = _PlainVersion.of(version)
        return plain

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


@dataclass(frozen=True)
class _PlainVersion:
    """A schema version read without logical types (its instants come back as the longs on
    the wire), and where its instants are in a record: the names of its own timestamp fields,
    and the paths to those deeper down (field names, ``[]`` for array items)."""

    version: SchemaVersion
    instants: tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]

    def in_range(self, record: dict[str, Any]) -> bool:
        """Whether every instant of ``record`` is one a datetime can hold."""
        fields, nested = self.instants
        for name in fields:  # a loop: a generator per record cost more than the checks
            if not _in_range(record[name]):
                return False
        return not nested or all(_instants_in_range(record, path) for path in nested)

    @classmethod
    def of(cls, version: SchemaVersion) -> "_PlainVersion":
        plain = parse_schema(_without_logical_types(version.parsed), named_schemas={})
        if not isinstance(plain, dict):  # cannot happen: the version parsed as a record
            raise ContractError(Reason.BAD_SCHEMA, f"{version.full_name} is not a record")
        paths = list(_instant_paths(version.parsed, ()))
        own = tuple(path[0] for path in paths if len(path) == 1)
        instants = (own, tuple(path for path in paths if len(path) > 1))
        return cls(SchemaVersion(version.full_name, version.fingerprint, plain), instants)


@dataclass(frozen=True)
class _WirePlan:
    """``decode_wire``'s versions for one writer fingerprint: the writer's plain schema, the
    current version's plain one (whose instants are checked) and its wire name."""

    writer: SchemaVersion
    reader: _PlainVersion
    wire_name: str


def _without_logical_types(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_without_logical_types(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        key: _without_logical_types(value)
        for key, value in schema.items()
        if key != "logicalType" and not key.startswith("__")
    }


def _instant_paths(schema: Any, path: tuple[str, ...]) -> Iterable[tuple[str, ...]]:
    if isinstance(schema, list):  # a union: the value is one of them, or null
        for member in schema:
            yield from _instant_paths(member, path)
    elif isinstance(schema, dict):
        if schema.get("logicalType") == "timestamp-millis":
            yield path
        elif schema.get("type") == "record":
            for field in schema["fields"]:
                yield from _instant_paths(field["type"], (*path, field["name"]))
        elif schema.get("type") == "array":
            yield from _instant_paths(schema["items"], (*path, "[]"))


MIN_MILLIS, MAX_MILLIS = -62_135_596_800_000, 253_402_300_799_999  # years 1 to 9999


def _in_range(value: Any) -> bool:
    return not isinstance(value, int) or MIN_MILLIS <= value <= MAX_MILLIS


def _instants_in_range(value: Any, path: tuple[str, ...]) -> bool:
    if not path:
        return _in_range(value)
    if path[0] == "[]":
        items = value if isinstance(value, list) else ()
        return all(_instants_in_range(item, path[1:]) for item in items)
    inner = value.get(path[0]) if isinstance(value, dict) else None
    return _instants_in_range(inner, path[1:])


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
    """Give defaulted fields the Python types a written value gets (fastavro leaves JSON ones;
    a plain version's timestamps have no logical type: they stay epoch milliseconds).

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

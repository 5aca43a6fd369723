"""Checks a record against its schema before encoding, naming the first bad field.

Messages name fields and types, never values: values may be personal data and errors get logged.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from fastavro.validation import ValidationError, validate

from events.errors import ContractError, Reason
from events.versions import SchemaVersion


def check_record(version: SchemaVersion, record: Mapping[str, Any]) -> None:
    """Raise a `schema_violation` unless `record` fits `version` exactly."""
    _check_field_names(version, record)
    naive = _naive_datetime(record, version.wire_name)
    if naive:
        raise ContractError(Reason.SCHEMA_VIOLATION, f"{naive} is a datetime without a time zone")
    try:
        validate(with_defaults(version, record), version.parsed, raise_errors=True, strict=True)
    except ValidationError as error:
        bad = error.errors[0]
        field = ".".join(bad.field.split(".")[-2:])
        expected = _type_name(bad.schema)
        got = type(bad.datum).__name__
        raise ContractError(
            Reason.SCHEMA_VIOLATION, f"{field} must be {expected}, got {got}"
        ) from None


def with_defaults(version: SchemaVersion, record: Mapping[str, Any]) -> dict[str, Any]:
    """`record` with its omitted top-level fields set to their defaults, in Python types.

    JSON cannot hold bytes, so Avro writes a bytes default as a string of code points 0-255.
    """
    filled = dict(record)
    for field in version.parsed["fields"]:
        if field["name"] not in filled and "default" in field:
            default = field["default"]
            is_bytes = field["type"] == "bytes" and isinstance(default, str)
            filled[field["name"]] = default.encode("latin-1") if is_bytes else default
    return filled


def _check_field_names(version: SchemaVersion, record: Mapping[str, Any]) -> None:
    names, required = _names_of(version)
    if record.keys() >= required and record.keys() <= names:
        return
    fields = version.parsed["fields"]
    unknown = sorted(set(record) - names)
    missing = [f["name"] for f in fields if f["name"] not in record and "default" not in f]
    problems = [f"unknown field {version.wire_name}.{name}" for name in unknown]
    problems += [f"missing field {version.wire_name}.{name}" for name in missing]
    if problems:
        raise ContractError(Reason.SCHEMA_VIOLATION, "; ".join(problems))


_NAMES: dict[bytes, tuple[frozenset[str], frozenset[str]]] = {}


def _names_of(version: SchemaVersion) -> tuple[frozenset[str], frozenset[str]]:
    """A schema's field names and the required ones, worked out once per version."""
    found = _NAMES.get(version.fingerprint)
    if found is None:
        fields = version.parsed["fields"]
        names = frozenset(field["name"] for field in fields)
        required = frozenset(field["name"] for field in fields if "default" not in field)
        found = _NAMES[version.fingerprint] = (names, required)
    return found


def _type_name(schema: Any) -> str:
    if isinstance(schema, Mapping):
        return str(schema.get("logicalType") or schema.get("type"))
    return str(schema)


_SCALARS = frozenset({str, int, bytes, float, bool, type(None)})


def _naive_datetime(value: Any, path: str) -> str | None:
    """Path of the first datetime without a time zone inside `value`, if any.

    Scalars are passed over, and a path is spelled only for a datetime found: a record is
    mostly scalars, and this walk runs on every record encoded (it was most of the cost of
    checking one).
    """
    found = _naive_within(value)
    return None if found is None else path + "".join(reversed(found))


def _naive_within(value: Any) -> list[str] | None:
    """The steps to the first naive datetime in `value`, innermost first ([] for `value`)."""
    kind = type(value)  # the exact types first: an abstract class's check costs more
    if kind is not dict and kind is not list and isinstance(value, datetime):
        return [] if value.tzinfo is None else None
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        children: Iterable[tuple[object, Any]] = value.items()
        spell = ".{}"
    elif kind is list or isinstance(value, list | tuple):
        children = enumerate(value)
        spell = "[{}]"
    else:
        return None
    for key, child in children:
        if type(child) not in _SCALARS and (found := _naive_within(child)) is not None:
            found.append(spell.format(key))
            return found
    return None

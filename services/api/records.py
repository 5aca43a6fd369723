"""JSON step records (as the API receives them) into the codec's Python values, and back.

The JSON mirrors the Avro record: the same field names; timestamps as ISO 8601 text with an
offset (or integer milliseconds); ``bytes`` as base64 text. ``personal_data`` may instead be
an object of ``PersonalData`` fields, which the API seals to the backbone's key at once.
Errors name fields and types only, never values (they may be personal data).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from events import Codec, ContractError, seal
from events.errors import Reason

PERSONAL_DATA = "personal_data"


def from_json(
    codec: Codec, step: str, record: Mapping[str, Any], backbone_public_key: str
) -> dict[str, Any]:
    """``record`` in the codec's types; clear personal data comes back sealed."""
    schema = codec.schema(step)
    if step in ("CaseEvent", "Rejection", "Alert", "PersonalData"):
        raise ContractError(Reason.UNKNOWN_WIRE_NAME, f"{step} is not a step an agency submits")
    out = dict(record)
    clear = out.get(PERSONAL_DATA)
    if isinstance(clear, Mapping):
        out[PERSONAL_DATA] = seal(backbone_public_key, codec.encode("PersonalData", dict(clear)))
    kinds = {field["name"]: field["type"] for field in schema["fields"]}
    for name, value in out.items():
        if name in kinds and not isinstance(value, bytes):
            out[name] = _value(kinds[name], value, name)
    return out


def to_json(value: Any) -> Any:
    """A decoded record as JSON: ISO 8601 instants, base64 bytes."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Mapping):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value


def _value(kind: Any, value: Any, path: str) -> Any:
    if isinstance(kind, Mapping):
        if kind.get("logicalType") == "timestamp-millis":
            return _instant(value, path)
        if kind.get("type") == "array" and isinstance(value, list):
            return [_value(kind["items"], item, f"{path}[{i}]") for i, item in enumerate(value)]
        if kind.get("type") == "record" and isinstance(value, Mapping):
            inner = {f["name"]: f["type"] for f in kind["fields"]}
            return {
                k: _value(inner[k], v, f"{path}.{k}") if k in inner else v for k, v in value.items()
            }
        return value
    if kind == "bytes":
        return _bytes(value, path)
    return value


def _instant(value: Any, path: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return value  # the codec names the field and the type it wanted
    if isinstance(value, int):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ContractError(
            Reason.SCHEMA_VIOLATION, f"{path} must be ISO 8601 text or milliseconds"
        ) from None
    if parsed.tzinfo is None:
        raise ContractError(Reason.SCHEMA_VIOLATION, f"{path} needs a UTC offset")
    return parsed


def _bytes(value: Any, path: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ContractError(Reason.SCHEMA_VIOLATION, f"{path} must be base64 text") from None


def inbox_json(codec: Codec, value: bytes) -> dict[str, Any] | None:
    """An inbox message (a ``CaseEvent``) as JSON, personal data still sealed; None if
    unreadable."""
    try:
        event = codec.decode(value).record
        step = codec.decode(event["payload"]).record
    except ContractError:
        return None
    step.pop(PERSONAL_DATA, None)
    sealed = event.pop(PERSONAL_DATA, b"")
    event.pop("payload", None)
    converted: dict[str, Any] = to_json(
        event | {"step": step, "personal_data_sealed": sealed or None}
    )
    return converted

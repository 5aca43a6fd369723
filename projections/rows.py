"""Engine records to table rows and back: instants as epoch milliseconds, lists as JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from events.instants import from_millis, to_millis
from projections.stalled import DueTime, Obligation

_INSTANT = "$instant"


def _maybe(value: datetime | None) -> int | None:
    return None if value is None else to_millis(value)


def _maybe_instant(value: int | None) -> datetime | None:
    return None if value is None else from_millis(value)


def obligation_row(ob: Obligation) -> dict[str, Any]:
    """The columns the engine owns (not the alerting ones)."""
    history = [_due_entry(change) for change in ob.due_history]
    return {
        "case_id": ob.case_id,
        "rule_id": ob.rule_id,
        "key": ob.key,
        "opened_seq": ob.opened_seq,
        "opened_at": to_millis(ob.opened_at),
        "due_at": to_millis(ob.due_at),
        "earliest_due_at": min(due for _, due, _ in history),
        "max_due_at": _maybe(ob.max_due_at),
        "closed_at": _maybe(ob.closed_at),
        "closed_by": ob.closed_by,
        "responsible_role": ob.responsible_role,
        "responsible_agency": ob.responsible_agency,
        "citation": ob.citation,
        "due_history": _history_text(history),
        "known_at": to_millis(ob.on_record_from),
        "closed_known_at": _maybe(ob.closed_on_record),
        "counted_from": _maybe(ob.counted_from),
        "met_late": ob.met_late,
        "extended": ob.extended,
        "extension_refused": ob.extension_refused,
        "confirmed": ob.confirmed,
        "extension_refusal": ob.extension_refusal or None,
    }


def obligation_of(row: Mapping[Any, Any]) -> Obligation:
    """An obligation row back as the engine's record."""
    history = tuple(_due_time(*entry) for entry in json.loads(row["due_history"]))
    return Obligation(
        case_id=row["case_id"],
        rule_id=row["rule_id"],
        key=row["key"],
        opened_seq=row["opened_seq"],
        opened_at=from_millis(row["opened_at"]),
        due_at=from_millis(row["due_at"]),
        responsible_role=row["responsible_role"],
        responsible_agency=row["responsible_agency"],
        citation=row["citation"],
        due_history=history,
        max_due_at=_maybe_instant(row["max_due_at"]),
        closed_at=_maybe_instant(row["closed_at"]),
        closed_by=row["closed_by"],
        met_late=bool(row["met_late"]),
        extended=row["extended"],
        extension_refused=bool(row["extension_refused"]),
        closed_known_at=_maybe_instant(row["closed_known_at"]),
        counted_from=_maybe_instant(row["counted_from"]),
        confirmed=row.get("confirmed") in (None, True, 1),
        extension_refusal=row.get("extension_refusal") or "",
    )


def _history_text(history: list[tuple[int, int, int]]) -> str:
    """``json.dumps(history)`` to the character, without its machinery (a row per obligation
    per batch)."""
    return "[" + ", ".join(f"[{a}, {b}, {c}]" for a, b, c in history) + "]"


def _due_entry(change: DueTime) -> tuple[int, int, int]:
    return to_millis(change.effective_from), to_millis(change.due_at), to_millis(change.known)


def _due_time(effective: int, due: int, known: int | None = None) -> DueTime:
    """One ``due_history`` entry; rows written before recording times were kept have two."""
    return DueTime(from_millis(effective), from_millis(due), _maybe_instant(known))


def dump_context(context: Mapping[str, object]) -> str:
    """The engine's per-case context as JSON (instants tagged, keys sorted: stable text)."""
    return json.dumps(context, default=_tagged, sort_keys=True, separators=(",", ":"))


def load_context(text: str) -> dict[str, object]:
    """The context back, with its instants as aware datetimes."""
    loaded: dict[str, object] = json.loads(text, object_hook=_untagged)
    return loaded


def _tagged(value: object) -> object:
    if isinstance(value, datetime):
        return {_INSTANT: to_millis(value)}
    raise TypeError(f"cannot store {type(value).__name__} in a case context")


def _untagged(value: dict[str, Any]) -> object:
    if set(value) == {_INSTANT}:
        return from_millis(value[_INSTANT])
    return value

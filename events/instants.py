"""Instants on the wire: epoch milliseconds and aware UTC datetimes, converted in one place.

Avro's ``timestamp-millis`` is an integer count of milliseconds since 1970-01-01T00:00Z; every
part of the backbone that stores or compares such a count converts with these functions. They
use integer arithmetic on ``timedelta`` (no float rounding) and the standard library only, so the
pure domain and deadline engine may import them without loading fastavro.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)


def to_millis(instant: datetime) -> int:
    """An aware instant as epoch milliseconds (sub-millisecond parts are floored)."""
    return (instant - EPOCH) // MILLISECOND


def millis_within(value: Any) -> Any:
    """``value`` with every aware instant in it (in lists and dicts too) as epoch milliseconds:
    a decoded record's fields as the case store keeps them."""
    if isinstance(value, datetime):
        return to_millis(value)
    if isinstance(value, list):
        return [millis_within(item) for item in value]
    if isinstance(value, dict):
        return {key: millis_within(item) for key, item in value.items()}
    return value


def from_millis(value: int) -> datetime:
    """Epoch milliseconds as an aware UTC instant (a product of timedeltas: exact, and half
    the cost of building one from a keyword; out of range raises OverflowError either way)."""
    return EPOCH + MILLISECOND * value


def now_millis() -> int:
    """The current instant as epoch milliseconds."""
    return to_millis(datetime.now(UTC))

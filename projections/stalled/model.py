"""Plain records of the stalled-case engine: facts in, obligations out (no I/O, no framework)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class FactError(ValueError):
    """A case fact cannot be used (naive time, malformed field); the caller rejects it."""


@dataclass(frozen=True)
class CaseFact:
    """One recorded step of a case, decoded into plain values.

    ``fields`` holds the step record's own fields (wire names from docs/DESIGN.md); instants in
    it may be epoch milliseconds (as on the wire) or aware datetimes.
    """

    case_id: str
    sequence: int
    event_type: str
    occurred_at: datetime
    recorded_at: datetime
    agency: str
    role: str
    fields: Mapping[str, object] = field(default_factory=dict)


class DueTime(NamedTuple):
    """From ``effective_from`` on, the obligation is due at ``due_at``."""

    effective_from: datetime
    due_at: datetime


ObligationId = tuple[str, str, str, int]


@dataclass(frozen=True)
class Obligation:
    """Something a case owes by a deadline; one row of the stalled-case read model.

    ``due_at`` is the latest due time; ``due_history`` says since when each due time held, so an
    evaluation "as of" a past instant sees the deadline of that moment. ``opened_seq`` (the
    sequence of the opening event) tells apart obligations of the same rule and key, e.g. after
    a case is reopened.
    """

    case_id: str
    rule_id: str
    key: str
    opened_seq: int
    opened_at: datetime
    due_at: datetime
    responsible_role: str
    responsible_agency: str | None
    citation: str
    due_history: tuple[DueTime, ...]
    max_due_at: datetime | None = None  # the furthest an extension may move it (None: no cap)
    closed_at: datetime | None = None
    closed_by: str | None = None  # event type that closed it
    met_late: bool = False  # closed after the due time in force at closure
    extended: int = 0  # number of extensions applied
    extension_refused: bool = False  # an extension asked for more than max_due_at allows

    @property
    def ident(self) -> ObligationId:
        """The stable identity of the obligation (a natural primary key)."""
        return (self.case_id, self.rule_id, self.key, self.opened_seq)

    @property
    def is_open(self) -> bool:
        """Not closed (as of the latest event applied)."""
        return self.closed_at is None

    def due_as_of(self, at: datetime) -> datetime:
        """The due time in force at ``at`` (the original one before any extension)."""
        current = self.due_history[0].due_at
        for change in self.due_history[1:]:
            if change.effective_from <= at:
                current = change.due_at
        return current

    def open_at(self, at: datetime) -> bool:
        """Whether the obligation existed and was still open at ``at``."""
        return self.opened_at <= at and (self.closed_at is None or at < self.closed_at)


@dataclass(frozen=True)
class CaseState:
    """What the engine keeps per case between events.

    ``context`` remembers the few ``Event.field`` values (and ``Event.occurred_at``) that the
    policy's conditions need later, e.g. the crime category when the court accepts the case.
    All of it is plain data: a projection can store it beside its obligation rows.
    """

    case_id: str
    last_sequence: int = 0
    context: Mapping[str, object] = field(default_factory=dict)
    obligations: tuple[Obligation, ...] = ()


def instant(value: object) -> datetime | None:
    """An epoch-millisecond int or aware datetime as a UTC datetime; 0 or None gives None."""
    if value is None or value == 0:
        return None
    if isinstance(value, datetime):
        return _in_range(aware(value))
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return _in_range(EPOCH + timedelta(milliseconds=value))
        except OverflowError:
            raise FactError("an instant out of range") from None
    raise FactError(f"expected epoch milliseconds or a datetime, got {value!r}")


LATEST = datetime(2200, 1, 1, tzinfo=UTC)
"""No legal deadline reaches this far: a later instant is a typo that would overflow the
deadline arithmetic and must be rejected, not computed with."""


def _in_range(value: datetime) -> datetime:
    if not EPOCH < value < LATEST:
        raise FactError(f"an instant outside {EPOCH.year}-{LATEST.year}")
    return value


def aware(value: datetime) -> datetime:
    """``value`` in UTC; refuses naive datetimes."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise FactError(f"naive datetime {value.isoformat()}: facts need aware times")
    return value.astimezone(UTC)

"""Plain records of the stalled-case engine: facts in, obligations out (no I/O, no framework)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import NamedTuple

from events.instants import EPOCH, from_millis


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
    """From ``effective_from`` on, the obligation is due at ``due_at``.

    ``effective_from`` is business time (when the step that set it happened); ``known_from`` is
    when it was recorded, i.e. from when anyone looking at the case could know it.
    """

    effective_from: datetime
    due_at: datetime
    known_from: datetime | None = None  # None: known as soon as it took effect

    @property
    def known(self) -> datetime:
        """From when this due time was on record."""
        return self.known_from or self.effective_from


ObligationId = tuple[str, str, str, int]


@dataclass(frozen=True)
class Obligation:
    """Something a case owes by a deadline; one row of the stalled-case read model.

    ``due_at`` is the latest due time; ``due_history`` says since when each due time held, so an
    evaluation "as of" a past instant sees the deadline of that moment. ``opened_seq`` (the
    sequence of the opening event) tells apart obligations of the same rule and key, e.g. after
    a case is reopened.

    Two clocks: ``opened_at`` and ``closed_at`` are business time (when the steps happened) and
    judge the law: the allowed time, whether it was met late. ``on_record_from`` (the recording
    of the first due time, i.e. of the opening step) and ``closed_known_at`` are when those
    steps were recorded, and decide what a supervisor could see at an instant: an evaluation
    "as of" T gives the answer that held at T, so a closure recorded after T, even one
    back-dated before it, does not clear a stall seen at T.
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
    closed_known_at: datetime | None = None  # when the closing step was recorded (None: closed_at)
    counted_from: datetime | None = None  # start of the legal count, if not the opening step
    # False when the due time rests on a figure not confirmed against the legal text (the rule's
    # ``confirmed = false``) or counts across a holiday not yet announced: shown "unconfirmed".
    confirmed: bool = True
    extension_refusal: str = ""  # why the latest refused extension was: extensions.py's reasons

    def closed(self, at: datetime, by: str, late: bool, known: datetime) -> Obligation:
        """This obligation closed at ``at`` by a ``by`` step recorded at ``known``.

        The fields copied as they are, then the closing ones set: ``dataclasses.replace``
        walked every field and ran the frozen ``__init__`` again, five times as long, on
        most steps of a case."""
        new = object.__new__(Obligation)
        new.__dict__.update(
            self.__dict__, closed_at=at, closed_by=by, met_late=late, closed_known_at=known
        )
        return new

    def allowed(self, due: datetime) -> timedelta:
        """The time the law allowed to meet ``due``: from the start of the count to it.

        Rules with a ``start_event`` count from an earlier step (the 12 hours of an emergency
        measure run from the report, not from the risk assessment that opens the obligation).
        """
        return due - (self.counted_from or self.opened_at)

    @cached_property
    def ident(self) -> ObligationId:
        """The stable identity of the obligation (a natural primary key). Kept once made: a
        batch asks for it some ten times per obligation, and no copy changes these fields."""
        return (self.case_id, self.rule_id, self.key, self.opened_seq)

    @property
    def is_open(self) -> bool:
        """Not closed (as of the latest event applied)."""
        return self.closed_at is None

    @property
    def on_record_from(self) -> datetime:
        """From when the obligation was on record."""
        return self.due_history[0].known

    @property
    def closed_on_record(self) -> datetime | None:
        """From when its closure was on record (None: still open)."""
        if self.closed_at is None:
            return None
        return self.closed_known_at or self.closed_at

    def due_as_of(self, at: datetime) -> datetime:
        """The due time on record at ``at`` (the original one before any extension)."""
        return self.due_change_as_of(at).due_at

    def due_change_as_of(self, at: datetime) -> DueTime:
        """The entry of ``due_history`` on record at ``at``."""
        return self._latest(lambda change: change.known <= at)

    def due_in_force(self, at: datetime) -> datetime:
        """The due time that legally applied at business instant ``at``."""
        return self._latest(lambda change: change.effective_from <= at).due_at

    def _latest(self, applies: Callable[[DueTime], bool]) -> DueTime:
        current = self.due_history[0]
        for change in self.due_history[1:]:
            if applies(change):
                current = change
        return current

    def open_at(self, at: datetime) -> bool:
        """Whether the obligation was on record and not yet recorded as closed at ``at``."""
        closed = self.closed_on_record
        return self.on_record_from <= at and (closed is None or at < closed)


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
            return _in_range(from_millis(value))
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
    if value.tzinfo is UTC:
        return value  # as decoded from the wire: no conversion
    if value.tzinfo is None or value.utcoffset() is None:
        raise FactError(f"naive datetime {value.isoformat()}: facts need aware times")
    return value.astimezone(UTC)

"""Test builders: a case story told as facts, instants in Vietnam local time, the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from events.instants import to_millis
from projections.calendar import WorkCalendar
from projections.calendarfile import load_calendar
from projections.policyfile import load_policy
from projections.stalled import CaseFact, CaseState, Obligation, ObligationEngine

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
HOLIDAYS = Path(__file__).resolve().parents[3] / "deploy" / "config" / "holidays.toml"


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Vietnam wall-clock time as an aware UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL).astimezone(UTC)


def millis(instant: datetime) -> int:
    """An instant as wire epoch milliseconds."""
    return to_millis(instant)


T0 = local(2026, 3, 2, 9)  # a Monday morning, no holiday near


@cache
def calendar() -> WorkCalendar:
    """The shipped holiday calendar."""
    return load_calendar(HOLIDAYS)


@cache
def engine() -> ObligationEngine:
    """The engine with the shipped default policy."""
    return ObligationEngine(load_policy(), calendar())


@dataclass
class Story:
    """A case's facts in order; ``add`` numbers them."""

    case_id: str = "case-1"
    facts: list[CaseFact] = field(default_factory=list)

    def add(
        self, event_type: str, at: datetime, recorded: datetime | None = None, **fields: object
    ) -> Story:
        """Append a step that happened at ``at``, recorded at ``recorded`` (default: then)."""
        fact = CaseFact(
            self.case_id,
            len(self.facts) + 1,
            event_type,
            at,
            recorded or at,
            "agency-1",
            "role",
            fields,
        )
        self.facts.append(fact)
        return self

    def state(self, engine_: ObligationEngine | None = None) -> CaseState:
        """The engine's state after all facts."""
        return (engine_ or engine()).replay(self.case_id, self.facts)


def obligations_of(state: CaseState, rule_id: str) -> list[Obligation]:
    """Every obligation of one rule, oldest first."""
    return [ob for ob in state.obligations if ob.rule_id == rule_id]


def only(state: CaseState, rule_id: str) -> Obligation:
    """The single obligation of a rule (fails when there is not exactly one)."""
    (found,) = obligations_of(state, rule_id)
    return found

"""A case's working copy while a batch or a timer tick changes it (pure, no I/O).

It holds the engine state with the *open* obligations only (closed ones never change again, so
loading them would only cost time and memory), the alerting watch, the area codes, and what
changed: obligation rows to upsert and timeline steps to insert.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from events.steps import CASE_CLOSED, CASE_REOPENED, CASE_REPORTED
from projections.stalled import CaseFact, CaseState, Obligation, ObligationEngine, ObligationId
from projections.stalled.alerts import Alert, Review, Tracked, Watch, review
from projections.stalled.status import NOT_DUE

AREA_FIELDS = ("province_code", "district_code", "commune_code")


@dataclass
class CaseFile:
    """One case as a batch sees it."""

    state: CaseState
    watch: Watch
    area: dict[str, str] = field(default_factory=dict)
    is_open: bool = True
    reported: dict[ObligationId, int] = field(default_factory=dict)
    wake_at: dict[ObligationId, datetime | None] = field(default_factory=dict)
    changed: dict[ObligationId, Obligation] = field(default_factory=dict)
    # Per loaded obligation, its reported level and next wake-up (epoch ms) as its row holds
    # them: one the engine left alone is written again only when the review moved either.
    stored: dict[ObligationId, tuple[int, int | None]] = field(default_factory=dict)
    steps: list[tuple[str, CaseFact]] = field(default_factory=list)
    relieved_at: datetime | None = None  # recording of the last step that closed or moved an
    # obligation already reported overdue: the date of a recovery, if the review finds one

    @classmethod
    def new(cls, case_id: str) -> CaseFile:
        """A case the read model has not seen yet."""
        return cls(CaseState(case_id), Watch(case_id))

    @property
    def case_id(self) -> str:
        return self.state.case_id

    def knows(self, fact: CaseFact) -> bool:
        """Whether ``fact`` was applied already (a redelivery)."""
        return fact.sequence <= self.state.last_sequence

    def apply(self, engine: ObligationEngine, event_id: str, fact: CaseFact) -> None:
        """Apply a new step; raises the engine's FactError before changing anything."""
        state, changed = engine.apply(self.state, fact)
        if any(self.reported.get(ob.ident, NOT_DUE) > NOT_DUE for ob in changed):
            self.relieved_at = fact.recorded_at
        if any(not ob.is_open for ob in changed):  # else every one it holds is still open
            still_open = tuple(o for o in state.obligations if o.is_open)
            state = CaseState(state.case_id, state.last_sequence, state.context, still_open)
        self.state = state
        self.changed.update((ob.ident, ob) for ob in changed)
        self.steps.append((event_id, fact))
        self._follow(fact)

    def review(self, at: datetime, cause: datetime | None = None) -> tuple[Alert, ...]:
        """Look at the open obligations at ``at``; return the alerts the change owes.

        ``cause``: when the batch's last step of the case was recorded (None for a review driven
        by time); a recovery is dated by the step that relieved an overdue obligation, if any.
        """
        if cause is not None and self.relieved_at is not None:
            cause = self.relieved_at
        tracked = [Tracked(ob, self.reported.get(ob.ident, 0)) for ob in self.state.obligations]
        result: Review = review(self.watch, tracked, at, cause)
        self.watch = result.watch
        self.reported = {**self.reported, **result.levels}  # closed ones keep their last
        self.wake_at = dict(result.wake_at)
        return result.alerts

    def _follow(self, fact: CaseFact) -> None:
        if fact.event_type in (CASE_REPORTED, CASE_REOPENED):
            self.is_open = True
        elif fact.event_type == CASE_CLOSED:
            self.is_open = False
        self.area.update(_area_fields(fact.fields))


def _area_fields(fields: Any) -> dict[str, str]:
    return {name: str(fields[name]) for name in AREA_FIELDS if fields.get(name)}

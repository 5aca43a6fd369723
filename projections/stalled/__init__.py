"""The stalled-case read model's pure core: obligations from case facts, status at any instant.

Typical use by a projection (the only I/O is loading the two data files at start-up)::

    policy = load_policy(DEFAULT_POLICY_PATH, province_overrides_path)  # projections.policyfile
    engine = ObligationEngine(policy, load_calendar(holidays_path))  # projections.calendarfile
    state, changed_rows = engine.apply(state, fact)        # per event, upsert changed_rows
    status = status_as_of(state.obligations, clock())      # per read or timer tick
    wake_at = next_change(state.obligations, clock())      # when to look again
"""

from projections.stalled.engine import ObligationEngine
from projections.stalled.model import (
    CaseFact,
    CaseState,
    DueTime,
    FactError,
    Obligation,
    ObligationId,
)
from projections.stalled.status import (
    ESCALATED,
    NOT_DUE,
    OVERDUE,
    CaseStatus,
    ObligationStatus,
    escalation_level,
    next_change,
    status_as_of,
)

__all__ = [
    "ESCALATED",
    "NOT_DUE",
    "OVERDUE",
    "CaseFact",
    "CaseState",
    "CaseStatus",
    "DueTime",
    "FactError",
    "Obligation",
    "ObligationEngine",
    "ObligationId",
    "ObligationStatus",
    "escalation_level",
    "next_change",
    "status_as_of",
]

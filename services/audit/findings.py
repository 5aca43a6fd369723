"""Naming what happened to one case, given the leaves a signed checkpoint vouches for (pure).

``authentic`` is the case's event hashes as the checkpointed log holds them (position 1
first); ``rows`` are the events stored now. Each stored event is matched to the position it
was recorded at: its content hashes to that leaf, as it stands or with its link restored to
the authentic predecessor (a forger who rewrote the chain after a change leaves the later
events' content intact but their links and hashes new). What does not match is named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.audit.rows import StoredRow
from services.cases.chain import ALTERED, GENESIS, INSERTED, MISSING, REORDERED, event_hash

MISSING_CASE = "missing_case"


@dataclass(frozen=True)
class Finding:
    problem: str
    case_id: str
    sequence: int | None
    detail: str


def classify(case_id: str, authentic: Sequence[str], rows: Sequence[StoredRow]) -> list[Finding]:
    m = len(authentic)
    if m and not rows:
        return [Finding(MISSING_CASE, case_id, None, f"all {m} checkpointed events are gone")]
    stored = {row.sequence: row for row in rows}
    origin = {v: _origin(case_id, authentic, row) for v, row in stored.items()}
    matched = {j for j in origin.values() if j is not None}
    found: list[Finding] = []
    for v, row in sorted(stored.items()):
        o = origin[v]
        if o == v:
            if row.event is not None and row.content_hash() != row.event.hash:
                found.append(Finding(ALTERED, case_id, v, "its stored hash was changed"))
        elif o is None and v <= m:
            if v in matched:
                found.append(Finding(INSERTED, case_id, v, "not in the checkpointed log"))
            else:
                found.append(Finding(ALTERED, case_id, v, "differs from the checkpointed leaf"))
        elif o is not None and origin.get(o) == v and v < o:
            found.append(Finding(REORDERED, case_id, v, f"swapped with event {o}"))
    for j in range(1, m + 1):
        if j not in matched and not (j in stored and origin[j] is None):
            found.append(Finding(MISSING, case_id, j, "a checkpointed event is gone"))
    return sorted(found, key=lambda f: (f.sequence or 0, f.problem))


def _origin(case_id: str, authentic: Sequence[str], row: StoredRow) -> int | None:
    event = row.event
    if event is None:
        return None
    m = len(authentic)
    near = [row.sequence, row.sequence - 1, row.sequence + 1]
    for j in [*near, *(j for j in range(1, m + 1) if j not in near)]:
        if not 1 <= j <= m:
            continue
        previous = authentic[j - 2] if j > 1 else GENESIS
        if event_hash(case_id, j, event) == authentic[j - 1]:
            return j
        if event_hash(case_id, j, event.relinked(previous)) == authentic[j - 1]:
            return j
    return None

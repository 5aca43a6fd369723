"""Naming what happened to a case from its checkpointed leaves and its stored rows (pure)."""

from __future__ import annotations

from dataclasses import replace

from services.audit.findings import MISSING_CASE, classify
from services.audit.rows import RowEvent, StoredRow
from services.cases.chain import ALTERED, INSERTED, MISSING, REORDERED, event_hash

CASE = "7b0a5d1e-9f1c-4c55-8d36-2f4f1f0f2a11"


def chain(n: int) -> list[RowEvent]:
    events, previous = [], ""
    for sequence in range(1, n + 1):
        draft = RowEvent("NeedsAssessed", {"needs": [f"n{sequence}"]}, "commune-22738",
                         "commune", 1, 2, f"s{sequence}", "", previous, "")  # fmt: skip
        previous = event_hash(CASE, sequence, draft)
        events.append(replace(draft, hash=previous))
    return events


def stored(events: list[RowEvent]) -> list[StoredRow]:
    return [StoredRow(i, CASE, i, event) for i, event in enumerate(events, start=1)]


def named(rows: list[StoredRow], authentic: list[str]) -> set[tuple[str, int | None]]:
    return {(f.problem, f.sequence) for f in classify(CASE, authentic, rows)}


def test_an_intact_case_has_no_finding() -> None:
    events = chain(4)
    assert named(stored(events), [e.hash for e in events]) == set()


def test_each_attack_gets_its_name() -> None:
    events = chain(5)
    leaves = [e.hash for e in events]
    altered = [*events[:2], replace(events[2], agency="police"), *events[3:]]
    assert named(stored(altered), leaves) == {(ALTERED, 3)}
    assert named(stored(events[:2] + events[3:]), leaves) == {(MISSING, 3)}
    forged = replace(events[2], submission_id="forged")
    assert (INSERTED, 3) in named(stored([*events[:2], forged, *events[2:]]), leaves)
    swapped = [events[0], events[2], events[1], *events[3:]]
    assert named(stored(swapped), leaves) == {(REORDERED, 2)}
    assert named([], leaves) == {(MISSING_CASE, None)}


def test_only_the_changed_event_is_named_when_every_later_hash_was_recomputed() -> None:
    events = chain(5)
    leaves = [e.hash for e in events]
    rewritten, previous = [], ""
    for sequence, event in enumerate(events, start=1):
        changed = replace(event, agency="police") if sequence == 2 else event
        relinked = replace(changed, previous_hash=previous)
        previous = event_hash(CASE, sequence, relinked)
        rewritten.append(replace(relinked, hash=previous))
    assert named(stored(rewritten), leaves) == {(ALTERED, 2)}

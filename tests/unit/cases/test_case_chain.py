"""The verifier names the first altered, missing, inserted or reordered event."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from services.cases.chain import (
    ALTERED,
    ANCHOR_MISMATCH,
    GENESIS,
    INSERTED,
    MISSING,
    REORDERED,
    StoredChain,
    event_hash,
    verify_chain,
)

CASE = "6f1c1a52-3f5e-4c1e-9a51-0d7a1f0e2b11"


@dataclass(frozen=True)
class Event:
    step: str
    payload: dict[str, Any] = field(default_factory=dict)
    agency: str = "commune-22738"
    role: str = "commune"
    occurred_at: int = 1000
    recorded_at: int = 2000
    submission_id: str = ""
    sealed_personal_data: str = ""
    previous_hash: str = GENESIS
    hash: str = ""


def signed(event: Event, sequence: int, previous: str, legacy: bool = False) -> Event:
    linked = replace(event, previous_hash=previous)
    return replace(linked, hash=event_hash(CASE, sequence, linked, legacy=legacy))


def chain(length: int, legacy: bool = False) -> list[Event]:
    """``legacy``: hashed by the first release, whose hash did not cover the recording time."""
    events: list[Event] = []
    for sequence in range(1, length + 1):
        previous = events[-1].hash if events else GENESIS
        raw = Event("NeedsAssessed", {"n": sequence}, submission_id=f"s{sequence}")
        events.append(signed(raw, sequence, previous, legacy))
    return events


def stored(events: list[Event]) -> StoredChain:
    return [(sequence, event) for sequence, event in enumerate(events, start=1)]


def test_an_intact_chain_verifies() -> None:
    result = verify_chain(CASE, stored(chain(5)))
    assert result.ok and result.checked == 5


def test_an_altered_recording_time_is_named() -> None:
    events = chain(5)
    events[1] = replace(events[1], recorded_at=events[1].recorded_at - 86_400_000)
    result = verify_chain(CASE, stored(events))
    assert (result.first_bad, result.problem) == (2, ALTERED)


def test_an_altered_payload_is_named() -> None:
    events = chain(5)
    events[2] = replace(events[2], payload={"n": 99})
    result = verify_chain(CASE, stored(events))
    assert (result.first_bad, result.problem) == (3, ALTERED)


def test_an_altered_event_with_a_recomputed_hash_is_caught_by_its_successor() -> None:
    events = chain(5)
    events[2] = signed(replace(events[2], payload={"n": 99}), 3, events[1].hash)
    result = verify_chain(CASE, stored(events))
    assert (result.first_bad, result.problem) == (3, ALTERED)


def test_a_gap_is_named_missing() -> None:
    records = [r for r in stored(chain(5)) if r[0] != 3]
    result = verify_chain(CASE, records)
    assert (result.first_bad, result.problem) == (3, MISSING)


def test_a_removed_and_renumbered_event_is_named_missing() -> None:
    events = chain(5)
    del events[2]
    result = verify_chain(CASE, stored(events))
    assert (result.first_bad, result.problem) == (3, MISSING)


def test_swapped_events_are_named_reordered() -> None:
    events = chain(5)
    events[1], events[2] = events[2], events[1]
    result = verify_chain(CASE, stored(events))
    assert (result.first_bad, result.problem) == (2, REORDERED)


def test_a_well_forged_insertion_is_named_inserted() -> None:
    events = chain(5)
    forged = signed(Event("CaseClosed", {"reason": "forged"}), 3, events[1].hash)
    events.insert(2, forged)
    result = verify_chain(CASE, stored(events))
    assert (result.first_bad, result.problem) == (3, INSERTED)


def test_a_clumsy_insertion_is_named_inserted() -> None:
    events = chain(5)
    events.insert(2, Event("CaseClosed", hash="0" * 64))
    result = verify_chain(CASE, stored(events))
    assert (result.first_bad, result.problem) == (3, INSERTED)


def test_an_undecodable_event_is_named_altered() -> None:
    records = list(stored(chain(3)))
    records[1] = (2, None)
    result = verify_chain(CASE, records)
    assert (result.first_bad, result.problem) == (2, ALTERED)


def test_a_cut_off_tail_is_seen_against_a_published_head() -> None:
    events = chain(5)
    result = verify_chain(CASE, stored(events[:3]), head=(5, events[4].hash))
    assert (result.first_bad, result.problem) == (4, MISSING)


def test_a_wrong_anchor_on_an_intact_chain_is_named_as_such_not_as_an_altered_event() -> None:
    events = chain(3)
    result = verify_chain(CASE, stored(events), head=(3, "0" * 64))
    assert (result.first_bad, result.problem) == (3, ANCHOR_MISMATCH)
    assert "check the anchor" in result.detail


def test_a_chain_from_the_first_release_still_verifies_and_is_counted_as_legacy() -> None:
    old = chain(3, legacy=True)
    new = signed(Event("NeedsAssessed", {"n": 4}), 4, old[-1].hash)
    result = verify_chain(CASE, stored([*old, new]))
    assert result.ok and result.legacy == 3


def test_an_altered_payload_in_a_legacy_event_is_still_named() -> None:
    events = chain(3, legacy=True)
    events[1] = replace(events[1], payload={"n": 99})
    result = verify_chain(CASE, stored(events))
    assert (result.first_bad, result.problem) == (2, ALTERED)


def test_a_current_event_does_not_pass_under_the_legacy_rule_once_back_dated() -> None:
    events = chain(3)
    events[2] = replace(events[2], recorded_at=1)
    assert not verify_chain(CASE, stored(events)).ok

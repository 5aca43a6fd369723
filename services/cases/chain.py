"""Tamper evidence: every event of a case carries the hash of its predecessor.

``event_hash`` is SHA-256 over a canonical JSON of what an event says (case, position, step,
fields, who, when it happened and when it was recorded, submission, sealed personal data) and
the previous event's hash. The verifier walks the events as they are stored and names the
first one that is altered, missing, inserted or reordered. Standard library and orjson only
(:mod:`services.cases.canonical`): the domain model fills the hashes.

A plain hash chain cannot see events cut off the end of a stream, nor a forger who rewrites
every hash after the change; pass ``head`` (the latest hash published on Kafka, say) to anchor
the check to a value held outside the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from services.cases.canonical import canonical_json

GENESIS = ""
ALTERED = "altered"
MISSING = "missing"
INSERTED = "inserted"
REORDERED = "reordered"
ANCHOR_MISMATCH = "anchor does not match"


class ChainedEvent(Protocol):
    """The fields of a stored case event that the hash covers."""

    @property
    def step(self) -> str: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...
    @property
    def agency(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def occurred_at(self) -> int: ...
    @property
    def recorded_at(self) -> int: ...
    @property
    def submission_id(self) -> str: ...
    @property
    def sealed_personal_data(self) -> str: ...
    @property
    def previous_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


def event_hash(case_id: str, sequence: int, event: ChainedEvent, *, legacy: bool = False) -> str:
    """The hash ``event`` must carry at position ``sequence`` of case ``case_id``.

    ``legacy``: the first release's formula, without ``recorded_at``. Events stored by it still
    verify (``Verification.legacy`` counts them); their recording time is not covered.
    """
    content = hashed_content(case_id, sequence, event)
    if legacy:
        del content["recorded_at"]
    return content_hash(content)


def content_hash(content: dict[str, Any], plain: bool = False) -> str:
    """SHA-256 (hex) of the canonical JSON of ``content`` (:func:`chain_content`); ``plain``:
    known to be plain (``canonical_json``)."""
    return hashlib.sha256(canonical_json(content, plain)).hexdigest()


def hashed_content(case_id: str, sequence: int, event: ChainedEvent) -> dict[str, Any]:
    """What ``event_hash`` covers, before its canonical JSON."""
    return chain_content(
        case_id,
        sequence,
        event.step,
        event.payload,
        event.agency,
        event.role,
        event.occurred_at,
        event.recorded_at,
        event.submission_id,
        event.sealed_personal_data,
        event.previous_hash,
    )


def chain_content(
    case_id: str,
    sequence: int,
    step: str,
    payload: Mapping[str, Any],
    agency: str,
    role: str,
    occurred_at: int,
    recorded_at: int,
    submission_id: str,
    personal_data: str,
    previous_hash: str,
) -> dict[str, Any]:
    """:func:`hashed_content` of the values an event is made of (the domain model hashes a new
    event so, without reading them back from it)."""
    return {
        "case_id": case_id,
        "sequence": sequence,
        "step": step,
        "payload": payload,
        "agency": agency,
        "role": role,
        "occurred_at": occurred_at,
        "recorded_at": recorded_at,
        "submission_id": submission_id,
        "personal_data": personal_data,
        "previous_hash": previous_hash,
    }


@dataclass(frozen=True)
class Verification:
    """Outcome of verifying one case stream."""

    case_id: str
    checked: int
    first_bad: int | None = None
    problem: str = ""
    detail: str = ""
    legacy: int = 0  # events hashed by the first release's formula (recording time not covered)

    @property
    def ok(self) -> bool:
        return self.first_bad is None


StoredChain = Sequence[tuple[int, ChainedEvent | None]]
"""(stored version, decoded event or None when the stored state cannot be decoded)."""


def verify_chain(
    case_id: str, records: StoredChain, head: tuple[int, str] | None = None
) -> Verification:
    """Check ``records`` (in stored version order) and name the first bad event."""
    walker = _Walker(case_id, records)
    found = walker.walk()
    if found is None and head is not None:
        found = walker.check_head(*head)
    if found is None:
        return Verification(case_id, checked=len(records), legacy=walker.legacy)
    sequence, problem, detail = found
    return Verification(case_id, len(records), sequence, problem, detail, walker.legacy)


ChainBreak = tuple[int, str, str]  # the sequence where the chain breaks, the problem, a detail


def _hashed_for(case_id: str, sequence: int, event: ChainedEvent) -> bool:
    """Whether ``event``'s hash was made for ``sequence``, by the current or the legacy rule."""
    return event_hash(case_id, sequence, event) == event.hash or (
        event_hash(case_id, sequence, event, legacy=True) == event.hash
    )


class _Walker:
    def __init__(self, case_id: str, records: StoredChain) -> None:
        self.case_id = case_id
        self.records = records
        self.accepted: dict[str, int] = {}
        self.previous = GENESIS
        self.legacy = 0

    def walk(self) -> ChainBreak | None:
        for index, (version, event) in enumerate(self.records):
            found = self._check(index, version, event)
            if found:
                return found
            assert event is not None
            if event_hash(self.case_id, version, event) != event.hash:
                self.legacy += 1
            self.accepted[event.hash] = version
            self.previous = event.hash
        return None

    def _check(self, index: int, version: int, event: ChainedEvent | None) -> ChainBreak | None:
        expected = index + 1
        if version > expected:
            return expected, MISSING, "no event is stored at this position"
        origin = self._origin(event, version)
        if event is None or origin is None:
            if self._skipped_by_next(index, version):
                return version, INSERTED, "the next event is chained past this one"
            return version, ALTERED, "the stored event does not match its hash"
        if origin != version:
            return self._displaced(index, version, origin)
        if event.previous_hash != self.previous:
            return self._broken_link(version, event.previous_hash)
        return None

    def _origin(self, event: ChainedEvent | None, version: int) -> int | None:
        """The position the event was hashed for, or None when its hash matches none."""
        if event is None:
            return None
        if _hashed_for(self.case_id, version, event):
            return version
        last = max(v for v, _ in self.records) + len(self.records)
        for sequence in range(1, last + 1):
            if _hashed_for(self.case_id, sequence, event):
                return sequence
        return None

    def _skipped_by_next(self, index: int, version: int) -> bool:
        if index + 1 >= len(self.records):
            return False
        next_version, next_event = self.records[index + 1]
        return (
            next_event is not None
            and next_event.previous_hash == self.previous
            and self._origin(next_event, next_version) == version
        )

    def _displaced(self, index: int, version: int, origin: int) -> ChainBreak:
        if origin < version:
            return origin, INSERTED, f"events were inserted before the event hashed for {origin}"
        later = self.records[index + 1 :]
        if any(self._origin(event, v) == version for v, event in later):
            return version, REORDERED, f"holds the event hashed for position {origin}"
        return version, MISSING, f"the event hashed for position {version} is gone"

    def _broken_link(self, version: int, previous_hash: str) -> ChainBreak:
        earlier = self.accepted.get(previous_hash)
        if earlier is not None:
            return earlier + 1, INSERTED, f"event {version} is chained to event {earlier}"
        bad = max(version - 1, 1)
        return bad, ALTERED, f"event {version} was chained to a different predecessor"

    def check_head(self, sequence: int, expected_hash: str) -> ChainBreak | None:
        if sequence > len(self.records):
            return len(self.records) + 1, MISSING, "the stream ends before the published head"
        _, event = self.records[sequence - 1]
        if event is None:
            return sequence, ALTERED, "cannot be read to compare with the published head"
        if event.hash != expected_hash:
            # The chain itself is consistent (the walk found nothing), so either the anchor was
            # copied wrong or every hash from here on was rewritten: the verifier cannot tell.
            return (
                sequence,
                ANCHOR_MISMATCH,
                f"event {sequence}'s hash differs from the given anchor: check the anchor "
                "(sequence and hash as published); if it is right, the chain was rewritten",
            )
        return None

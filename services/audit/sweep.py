"""The fast pass of whole-store verification: one ordered sweep that proves an intact store.

The event rows (by notification id) and the checkpointed log's leaves (by index) are read in
one streaming scan each and joined as they go: a leaf of kind ``event`` names the notification
it was made from, and the log was appended in notification order. The sweep keeps a chain tip
per case (count, last hash, last recording time, area) and the Merkle frontier, so memory grows
with the number of cases, not of events, and each row is parsed and hashed once.

It only ever *proves* the store intact. The first thing that does not fit (a changed row, a
broken link, a leaf whose row moved or is gone, a root that is not the signed one) ends it with
None, and ``verify.verify_store`` runs the exact pass, which reads everything again and names
what is wrong. When the sweep returns a report it is the report the exact pass would give:
every leaf was matched to the row with its notification id, case and position, so the exact
pass's look-up by (case, position) finds the same leaf (two rows with one position would have
broken the chain), and each row's hash was proven by the same formula
(``rows.proven_fast``, or the exact one).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import closing
from hashlib import sha256
from typing import Any

import sqlalchemy as sa

from services.audit import merkle
from services.audit.accesslog import access_hash, verify_access_chain
from services.audit.findings import Finding
from services.audit.note import Checkpoint
from services.audit.proving import Cores, Proof, Unproven, proofs
from services.audit.rows import stream
from services.audit.service import AuditService
from services.audit.store import EVENT, leaves

LEAF = b"\x00"  # merkle.leaf_hash's prefix, inlined: the sweep hashes every leaf
Tip = tuple[str, int, str, int, tuple[str, ...]]
"""A case's chain tip: (case id, events so far, last hash, latest recording time, area codes)."""


class SweepCounts:
    """What the sweep counts; ``verify.VerificationReport`` is built from it."""

    def __init__(self) -> None:
        self.events = 0
        self.cases = 0
        self.pending = 0
        self.findings: list[Finding] = []


class _Misfit(Exception):
    """Something the sweep cannot prove; the exact pass takes over."""


class _Log:
    """The checkpointed leaves as they stream past: the Merkle frontier against every signed
    root it reaches, and each access leaf against the access record it names."""

    def __init__(self, checkpoints: Sequence[Checkpoint], present: dict[int, str]) -> None:
        self.roots = {c.size: c.root for c in checkpoints}
        self.present = present
        self.frontier = merkle.Frontier()
        self.altered: list[Finding] = []
        if self.roots.get(0, merkle.EMPTY_ROOT) != merkle.EMPTY_ROOT:
            raise _Misfit

    def leaves(self, batches: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        """The leaves of ``batches``, each batch checked as it arrives."""
        for batch in batches:
            self._absorb(batch)
            yield from batch

    def _absorb(self, batch: Sequence[Any]) -> None:
        hashes = [sha256(LEAF + bytes.fromhex(leaf[5])).digest() for leaf in batch]
        start = self.frontier.size
        ends = sorted(size - start for size in self.roots if start < size <= start + len(hashes))
        done = 0
        for end in [*ends, len(hashes)]:
            self.frontier.extend(hashes[done:end])
            done = end
            signed = self.roots.get(self.frontier.size)
            if signed is not None and self.frontier.root() != signed:
                raise _Misfit
        for index, kind, _, case_id, sequence, entry in batch:
            if kind != EVENT and self.present.get(sequence) != entry:
                detail = f"a checkpointed access record (leaf {index}) is gone or changed"
                self.altered.append(Finding("access_altered", case_id, None, detail))


def sweep(
    audit: AuditService,
    checkpoints: Sequence[Checkpoint],
    selected: Callable[[tuple[str, ...], int], bool],
    progress: Callable[[int], None] | None,
    cores: Cores | None = None,
) -> SweepCounts | None:
    """The counts and access findings of an intact store, or None at the first misfit.

    ``checkpoints`` are the valid ones, smallest first; ``selected(area codes, latest
    recording time)`` says whether a case counts."""
    size = checkpoints[-1].size if checkpoints else 0
    records = audit.access.entries()
    try:
        log = _Log(checkpoints, {r.id: access_hash(r) for r in records})
        with (
            closing(leaf_batches(audit.engine, size)) as stored_leaves,
            closing(proofs(audit.engine, cores or Cores())) as proved,
        ):
            joined = _join(log.leaves(stored_leaves), proved, progress)
    except (_Misfit, Unproven):
        return None
    if log.frontier.size != size:
        return None
    counted = SweepCounts()
    counted.events, counted.pending, tips = joined
    counted.cases = sum(1 for tip in tips.values() if selected(tip[4], tip[3]))
    counted.findings = [
        Finding(f["problem"], f["case_id"], None, f"access record {f['access_id']}: {f['detail']}")
        for f in verify_access_chain(records)
    ] + log.altered
    return counted


def _join(
    log: Iterator[Sequence[Any]],
    proved: Iterator[Proof],
    progress: Callable[[int], None] | None,
) -> tuple[int, int, dict[str, Tip]]:
    """Walk the proved rows beside the event leaves: (events, pending, tips by case id).

    Raises _Misfit at the first row or leaf that does not fit an intact store."""
    tips: dict[str, Tip] = {}
    areas: dict[tuple[str, ...], tuple[str, ...]] = {}
    events = pending = 0
    leaf = next(log, None)
    for notification, case_id, version, digest, previous, recorded, codes in proved:
        while leaf is not None and (leaf[1] != EVENT or leaf[2] < notification):
            if leaf[1] == EVENT:
                raise _Misfit  # a checkpointed event's row is gone or moved
            leaf = next(log, None)
        tip = tips.get(case_id)
        if tip is None:
            tip = (case_id, 0, "", 0, ())
        _, count, last_hash, last_recorded, area = tip
        if leaf is not None and leaf[2] == notification:
            if leaf[3] != case_id or leaf[4] != version or leaf[5] != digest:
                raise _Misfit
            leaf = next(log, None)
        else:
            pending += 1
        if version != count + 1 or previous != last_hash:
            raise _Misfit
        if codes is not None:
            area = areas.setdefault(codes, codes)
        latest = recorded if recorded > last_recorded else last_recorded
        tips[case_id] = (case_id, version, digest, latest, area)
        events += 1
        if progress is not None and events % 1000 == 0:
            progress(events)
    while leaf is not None:
        if leaf[1] == EVENT:
            raise _Misfit
        leaf = next(log, None)
    if progress is not None:
        progress(events)
    return events, pending, tips


def leaf_batches(engine: sa.Engine, size: int) -> Generator[Sequence[Any], None, None]:
    """The first ``size`` leaves, in log order: (index, kind, source, case id, sequence, hash)."""
    c = leaves.c
    columns = (c.idx, c.kind, c.source_id, c.case_id, c.sequence, c.entry_hash)
    yield from stream(engine, sa.select(*columns).where(c.idx >= 0, c.idx < size).order_by(c.idx))

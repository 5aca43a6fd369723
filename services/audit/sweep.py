"""The fast pass of whole-store verification: one ordered sweep that proves an intact store.

The store is cut into stretches (``stretch.plan``): runs of the checkpointed log's leaves and the
event rows they name, then the rows recorded after the log. Each stretch is proved on its own,
by worker processes on a large store (``proving``), and the sweep joins their summaries in
order: each case's runs must continue its chain from where the previous stretch left it, the
stretches' Merkle subtrees must give every signed root, and each access leaf must match the
access record it names. The sweep keeps a chain tip per case (events so far, last hash, latest
recording time, area) and the Merkle frontier, so memory grows with the number of cases, not of
events, and each row is parsed and hashed once.

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

from collections.abc import Callable, Iterable, Sequence
from contextlib import closing

from services.audit import merkle
from services.audit.accesslog import access_hash, verify_access_chain
from services.audit.findings import Finding
from services.audit.note import Checkpoint
from services.audit.proving import Cores, summaries
from services.audit.service import AuditService
from services.audit.stretch import Misfit, Stretch, Summary, plan

Tip = tuple[int, str, int, tuple[str, ...]]
"""A case's chain tip: (events so far, last hash, latest recording time, area codes)."""


class SweepCounts:
    """What the sweep counts; ``verify.VerificationReport`` is built from it."""

    def __init__(self) -> None:
        self.events = 0
        self.cases = 0
        self.pending = 0
        self.findings: list[Finding] = []


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
    cores = cores or Cores()
    size = checkpoints[-1].size if checkpoints else 0
    roots = {c.size: c.root for c in checkpoints}
    records = audit.access.entries()
    join = _Join(roots, {r.id: access_hash(r) for r in records}, progress)
    try:
        if roots.get(0, merkle.EMPTY_ROOT) != merkle.EMPTY_ROOT:
            raise Misfit
        if any(roots[c.size] != c.root for c in checkpoints):
            raise Misfit  # two signed roots for one size: the exact pass names the odd one
        stretches = plan(audit.engine, size, roots, cores.span)
        with closing(summaries(audit.engine, stretches, cores)) as proved:
            join.all(zip(stretches, proved, strict=False))
    except (Misfit, ValueError, TypeError):
        # A value of the wrong type in a row or a leaf (SQLite keeps a text in an integer
        # column) does not fit either: a worker that meets one fails, and so does this process.
        return None
    if join.frontier.size != size or join.stretches != len(stretches):
        return None
    counted = SweepCounts()
    counted.events, counted.pending = join.events, join.pending
    counted.cases = sum(1 for tip in join.tips.values() if selected(tip[3], tip[2]))
    counted.findings = [
        Finding(f["problem"], f["case_id"], None, f"access record {f['access_id']}: {f['detail']}")
        for f in verify_access_chain(records)
    ] + join.altered
    return counted


class _Join:
    """The stretches' summaries joined in order: chain tips, the Merkle frontier, counts."""

    def __init__(
        self,
        roots: dict[int, bytes],
        present: dict[int, str],
        progress: Callable[[int], None] | None,
    ) -> None:
        self.roots, self.present, self.progress = roots, present, progress
        self.frontier = merkle.Frontier()
        self.tips: dict[str, Tip] = {}
        self.areas: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.altered: list[Finding] = []
        self.events = self.pending = self.stretches = 0

    def all(self, proved: Iterable[tuple[Stretch, Summary]]) -> None:
        for stretch, summary in proved:
            self._subtrees(stretch, summary)
            self._chains(summary)
            for index, case_id, sequence, entry in summary.others:
                if self.present.get(sequence) != entry:
                    detail = f"a checkpointed access record (leaf {index}) is gone or changed"
                    self.altered.append(Finding("access_altered", case_id, None, detail))
            self.events += summary.events
            self.pending += summary.pending
            self.stretches += 1
            if self.progress is not None:
                self.progress(self.events)

    def _subtrees(self, stretch: Stretch, summary: Summary) -> None:
        """Every signed root inside the stretch, then its leaves added to the frontier."""
        if self.frontier.size != stretch.first_leaf:
            raise Misfit
        try:
            for size in stretch.signed:
                joined = self.frontier.copy()
                for subtree, height in summary.subtrees[size]:
                    joined.push(subtree, height)
                if joined.size != size or joined.root() != self.roots[size]:
                    raise Misfit
            for subtree, height in summary.subtrees[stretch.end_leaf]:
                self.frontier.push(subtree, height)
        except (KeyError, ValueError):
            raise Misfit from None

    def _chains(self, summary: Summary) -> None:
        """Each case's run continues its chain where the stretches before left it."""
        tips, areas = self.tips, self.areas
        for case_id, first, previous, last, digest, latest, codes in summary.runs:
            tip = tips.get(case_id)
            count, last_hash, recorded, area = (0, "", 0, ()) if tip is None else tip
            if first != count + 1 or previous != last_hash:
                raise Misfit
            if codes is not None:
                area = areas.setdefault(codes, codes)
            tips[case_id] = (last, digest, latest if latest > recorded else recorded, area)

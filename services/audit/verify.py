"""Whole-store verification: every chain, every leaf against the latest signed checkpoint, the
stored checkpoints against each other, and the access log.

``sweep.sweep`` first tries to prove the store intact in one streaming pass (memory per case,
not per event). Only when it meets something that does not fit does the exact pass below run:
one ordered pass over the event table hashes each row and compares it with the leaf the
checkpointed log holds for its case and position; a case that shows anything odd is read
again and :func:`findings.classify` names each altered, removed, inserted or reordered event.
The leaves come from the database if they reproduce the signed root, else from the mirror in
the home: a forger who rewrote every hash in the database cannot make them match the checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from events.steps import CASE_REPORTED
from services.audit import merkle
from services.audit.accesslog import access_hash, verify_access_chain
from services.audit.findings import Finding, classify
from services.audit.note import Checkpoint, NoteError
from services.audit.proving import Cores
from services.audit.rows import case_rows, scan
from services.audit.service import AuditService
from services.audit.store import EVENT, Leaf
from services.audit.stretch import AREA_FIELDS
from services.audit.sweep import sweep
from services.cases.chain import event_hash, verify_chain

Progress = Callable[[int], None]
LOG = "(log)"


@dataclass
class VerificationReport:
    events: int = 0
    cases: int = 0
    checkpoint_size: int = 0
    pending: int = 0  # events recorded after the latest checkpoint
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_json(self) -> dict[str, Any]:
        named = [vars(f) for f in self.findings]
        return {k: v for k, v in vars(self).items() if k != "findings"} | {
            "ok": self.ok,
            "findings": named,
        }


@dataclass(slots=True)
class _Case:
    originator: Any
    count: int = 0
    last_hash: str = ""
    area: set[str] = field(default_factory=set)
    last_recorded: int = 0
    suspect: bool = False


def verify_store(
    audit: AuditService,
    area: str | None = None,
    since_ms: int | None = None,
    progress: Progress | None = None,
    *,
    exact: bool = False,
    cores: Cores | None = None,
) -> VerificationReport:
    """Check the store; ``exact`` skips the sweep (a second opinion, and the tests that
    compare the two passes); ``cores``: how the sweep spreads its proofs (default: every
    core, for a store large enough to gain from it)."""
    report = VerificationReport()
    checkpoints = _checkpoints(audit, report)
    if not (exact or report.findings):
        swept = sweep(
            audit,
            checkpoints,
            lambda codes, last: _selected(codes, last, area, since_ms),
            progress,
            cores,
        )
        if swept is not None:
            report.checkpoint_size = checkpoints[-1].size if checkpoints else 0
            report.events, report.cases, report.pending = swept.events, swept.cases, swept.pending
            report.findings = swept.findings
            return report
    return _exact(audit, report, checkpoints, area, since_ms, progress)


def _exact(
    audit: AuditService,
    report: VerificationReport,
    checkpoints: list[Checkpoint],
    area: str | None,
    since_ms: int | None,
    progress: Progress | None,
) -> VerificationReport:
    """The pass that names what is wrong (every leaf and every row in memory)."""
    latest = checkpoints[-1] if checkpoints else None
    leaves = _authentic_leaves(audit, checkpoints, report) if latest else []
    report.checkpoint_size = latest.size if latest else 0
    authentic: dict[tuple[str, int], str] = {
        (leaf.case_id, leaf.sequence): leaf.entry_hash for leaf in leaves if leaf.kind == EVENT
    }
    cases = _scan(audit, authentic, report, progress)
    by_case: dict[str, list[str]] = {}
    for leaf in leaves:
        if leaf.kind == EVENT:
            by_case.setdefault(leaf.case_id, []).append(leaf.entry_hash)
    for case_id, hashes in by_case.items():
        state = cases.get(case_id)
        if state is None:
            report.findings += classify(case_id, hashes, [])
        elif state.count < len(hashes):
            state.suspect = True
    for case_id, state in cases.items():
        if not _selected(state.area, state.last_recorded, area, since_ms):
            continue
        report.cases += 1
        if state.suspect:
            report.findings += _name(audit, case_id, state, by_case.get(case_id, []))
    _check_access(audit, leaves, report)
    return report


def _checkpoints(audit: AuditService, report: VerificationReport) -> list[Checkpoint]:
    valid = []
    for note in audit.log.checkpoints():
        try:
            valid.append(audit.checkpoint_of(note))
        except NoteError as error:
            report.findings.append(Finding("checkpoint_forged", LOG, None, str(error)))
    return sorted(valid, key=lambda c: c.size)


def _authentic_leaves(
    audit: AuditService, checkpoints: list[Checkpoint], report: VerificationReport
) -> list[Leaf]:
    latest = checkpoints[-1]
    chosen = audit.log.leaves(0, latest.size)
    tree = _tree_if_signed(chosen, latest)
    if tree is None:
        report.findings.append(
            Finding("log_rewritten", LOG, None, "the stored leaves do not give the signed root")
        )
        chosen = audit.mirrored()[: latest.size]
        tree = _tree_if_signed(chosen, latest)
    if tree is None:
        return []
    for earlier in checkpoints[:-1]:
        if tree.root(earlier.size) != earlier.root:
            detail = f"checkpoint {earlier.size} is not a prefix of checkpoint {latest.size}"
            report.findings.append(Finding("checkpoint_inconsistent", LOG, None, detail))
    return chosen


def _tree_if_signed(leaves: list[Leaf], checkpoint: Checkpoint) -> merkle.MemoryTree | None:
    """The tree of ``leaves`` when it is the one the checkpoint signed, else None."""
    if len(leaves) != checkpoint.size:
        return None
    tree = merkle.MemoryTree(leaf.hash for leaf in leaves)
    return tree if tree.root() == checkpoint.root else None


def _scan(
    audit: AuditService,
    authentic: dict[tuple[str, int], str],
    report: VerificationReport,
    progress: Progress | None,
) -> dict[str, _Case]:
    cases: dict[str, _Case] = {}
    for row in scan(audit.engine):
        report.events += 1
        if progress is not None and report.events % 1000 == 0:
            progress(report.events)
        state = cases.get(row.case_id)
        if state is None:
            state = cases[row.case_id] = _Case(row.originator)
        state.count += 1
        event = row.event
        expected = authentic.get((row.case_id, row.sequence))
        if expected is None:
            report.pending += 1
        if event is None:
            state.suspect = True
            continue
        content = row.content_hash()
        if content != event.hash:
            legacy = event_hash(row.case_id, row.sequence, event, legacy=True)
            content = legacy if legacy == event.hash else content
        state.suspect = state.suspect or (
            content != event.hash
            or event.previous_hash != state.last_hash
            or row.sequence != state.count
            or (expected is not None and expected != content)
        )
        state.last_hash = event.hash
        state.last_recorded = max(state.last_recorded, event.recorded_at)
        if event.step == CASE_REPORTED:
            state.area = {str(event.payload.get(k, "")) for k in AREA_FIELDS}
    if progress is not None:
        progress(report.events)
    return cases


def _selected(
    codes: Collection[str], last_recorded: int, area: str | None, since_ms: int | None
) -> bool:
    if area and area not in codes:
        return False
    return since_ms is None or last_recorded >= since_ms


def _name(audit: AuditService, case_id: str, state: _Case, authentic: list[str]) -> list[Finding]:
    rows = case_rows(audit.engine, state.originator)
    named = classify(case_id, authentic, rows) if authentic else []
    if named:
        return named
    chain = verify_chain(case_id, [(r.sequence, r.event) for r in rows])
    if chain.ok:
        return []
    return [Finding(chain.problem, case_id, chain.first_bad, chain.detail)]


def _check_access(audit: AuditService, leaves: list[Leaf], report: VerificationReport) -> None:
    records = audit.access.entries()
    report.findings += [
        Finding(f["problem"], f["case_id"], None, f"access record {f['access_id']}: {f['detail']}")
        for f in verify_access_chain(records)
    ]
    present = {r.id: access_hash(r) for r in records}
    for leaf in leaves:
        if leaf.kind != EVENT and present.get(leaf.sequence) != leaf.entry_hash:
            detail = f"a checkpointed access record (leaf {leaf.index}) is gone or changed"
            report.findings.append(Finding("access_altered", leaf.case_id, None, detail))

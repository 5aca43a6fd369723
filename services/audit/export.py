"""Writing evidence bundles from the store: one case, an area or a period."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from events import Codec
from events.steps import CASE_REPORTED, PERSONAL_DATA_ERASED
from services.audit.bundle import bundle, entry
from services.audit.note import Note
from services.audit.rows import StoredRow, scan
from services.audit.service import AuditService
from services.audit.store import EVENT


@dataclass(frozen=True)
class Selection:
    case_id: str | None = None
    area: str | None = None
    period: tuple[int, int] | None = None  # [start, end) in epoch ms

    def describe(self) -> dict[str, str]:
        found = {"case": self.case_id or "", "area": self.area or ""}
        if self.period:
            found["period_ms"] = f"{self.period[0]}..{self.period[1]}"
        return {k: v for k, v in found.items() if v}


class NothingToExport(ValueError):
    """No checkpoint yet, or the selection holds no checkpointed event."""


def export(
    audit: AuditService,
    selection: Selection,
    witnesses: Mapping[str, str],
    required: int,
) -> dict[str, Any]:
    note = _cosigned_checkpoint(audit)
    size = audit.checkpoint_of(note).size
    index = {
        (leaf.case_id, leaf.sequence): leaf.index
        for leaf in audit.log.leaves(0, size)
        if leaf.kind == EVENT
    }
    rows = [r for r in _selected(audit, selection) if (r.case_id, r.sequence) in index]
    if not rows:
        raise NothingToExport("no checkpointed event matches; run backbone audit checkpoint")
    erased = {
        r.case_id for r in rows if r.event is not None and r.event.step == PERSONAL_DATA_ERASED
    }
    entries = []
    for row in rows:
        assert row.event is not None
        at = index[(row.case_id, row.sequence)]
        proof = audit.log.inclusion(at, size)
        entries.append(
            entry(at, row.case_id, row.sequence, row.event, proof, row.case_id in erased)
        )
    codec = Codec.from_directory()
    steps = sorted({r.event.step for r in rows if r.event is not None} | {"CaseEvent"})
    schemas = {step: codec.schema(step) for step in steps}
    return bundle(
        note, audit.verifier.vkey, witnesses, required, entries, schemas, selection.describe()
    )


def _cosigned_checkpoint(audit: AuditService) -> str:
    """The newest checkpoint that witnesses cosigned (all their lines), else the newest."""
    notes = audit.log.checkpoints()
    if not notes:
        raise NothingToExport("the log has no checkpoint yet; run backbone audit checkpoint")
    for note in reversed(notes):
        size = audit.checkpoint_of(note).size
        cosigned = audit.log.cosigned(size)
        if cosigned:
            merged = Note.parse(note)
            for other in cosigned:
                for line in Note.parse(other).signatures[1:]:
                    merged = merged.with_signature(*line)
            return merged.render()
    return notes[-1]


def _selected(audit: AuditService, selection: Selection) -> list[StoredRow]:
    areas: dict[str, set[str]] = {}
    wanted: Callable[[StoredRow], bool] = lambda row: True  # noqa: E731
    if selection.case_id:
        wanted = lambda row: row.case_id == selection.case_id  # noqa: E731
    elif selection.area:
        wanted = lambda row: selection.area in areas.get(row.case_id, set())  # noqa: E731
    elif selection.period:
        start, end = selection.period
        wanted = lambda row: row.event is not None and start <= row.event.recorded_at < end  # noqa: E731
    found = []
    for row in scan(audit.engine):
        if row.event is not None and row.event.step == CASE_REPORTED:
            payload = row.event.payload
            areas[row.case_id] = {
                str(payload.get(k, "")) for k in ("province_code", "district_code", "commune_code")
            }
        if row.event is not None and wanted(row):
            found.append(row)
    return found

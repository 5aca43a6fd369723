"""Schema-valid step payloads for tests that record cases directly through CaseService."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from events.instants import to_millis
from tests.unit.events.samples import STEPS


def _primitive(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_millis(value)
    if isinstance(value, list):
        return [_primitive(v) for v in value]
    if isinstance(value, dict):
        return {k: _primitive(v) for k, v in value.items()}
    return value


def payload(step: str, **overrides: Any) -> dict[str, Any]:
    """The step-specific fields of ``step`` (timestamps as epoch milliseconds)."""
    fields = {k: _primitive(v) for k, v in STEPS[step].items() if k != "personal_data"}
    return fields | overrides


def new_case_id() -> str:
    return str(uuid.uuid4())


def new_submission_id() -> str:
    return str(uuid.uuid4())


PERSONAL = {
    "child_name": "Phạm Thị Hoa",
    "child_birth_date": "2014-02-11",
    "child_address": "Thôn Từ Tâm 1, xã Phước Hải",
    "child_contact": "0905 111 222",
    "reporter_name": "Lê Văn Bình",
    "reporter_contact": "0905 333 444",
}


def alert_record(notify: list[str]) -> dict[str, Any]:
    """An ``Alert`` record (stalled, level 1) addressed to ``notify``."""
    now = datetime.now(UTC)
    return {
        "alert_id": str(uuid.uuid4()), "kind": "stalled", "case_id": str(uuid.uuid4()),
        "level": 1, "rule_id": "r", "obligation_key": "", "responsible_role": "commune",
        "responsible_agency": "", "due_at": now, "citation": "", "province_code": "58",
        "district_code": "582", "commune_code": "22738", "effective_at": now, "raised_at": now,
        "notify": notify,
    }  # fmt: skip

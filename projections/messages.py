"""Outbox rows: alerts for supervisors and rejections of unusable case events, encoded."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from events import Codec, Topics
from events.instants import EPOCH, to_millis
from projections.casefile import CaseFile
from projections.escalation import Addressing
from projections.stalled.alerts import Alert

REJECTED_AS = "projections"  # rejections go to <prefix>.rejected.projections
REJECTING_AGENCY = "backbone"  # case events are written by the backbone itself


@dataclass(frozen=True)
class Source:
    """Where a message was read from."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


@dataclass(frozen=True)
class Outbox:
    """Encodes what the projection has to tell the world, as outbox rows."""

    codec: Codec
    topics: Topics
    addressing: Addressing | None = None

    @property
    def rejected_topic(self) -> str:
        """Where unusable case events go."""
        return self.topics.rejected(REJECTED_AS)

    def alert(self, alert: Alert, file: CaseFile, raised_at: datetime) -> dict[str, Any]:
        """An ``Alert`` record for ``alert`` on the alerts topic."""
        notify = (
            # Told are the agencies in office when the alert goes out, not when the stall began.
            self.addressing.recipients(alert.level, file.area, raised_at, _rule_of(alert))
            if self.addressing
            else []
        )
        record = _alert_record(alert, file) | {"raised_at": raised_at, "notify": notify}
        return _row(
            alert.alert_id,
            alert.kind,
            self.topics.alerts,
            alert.case_id.encode(),
            self.codec.encode("Alert", record),
            raised_at,
        )

    def rejection(self, source: Source, reason: str, detail: str, at: datetime) -> dict[str, Any]:
        """A ``Rejection`` with the original bytes; its id is the same for the same offset."""
        where = f"{source.topic}:{source.partition}:{source.offset}"
        record = {
            "rejection_id": str(uuid.uuid5(uuid.NAMESPACE_URL, where)),
            "submission_id": "",
            "agency": REJECTING_AGENCY,
            "source_topic": source.topic,
            "source_partition": source.partition,
            "source_offset": source.offset,
            "reason": reason,
            "detail": detail,
            "original": source.value,
            "rejected_at": at,
            "original_size": len(source.value),
            "original_sha256": hashlib.sha256(source.value).hexdigest(),
        }
        return _row(
            f"rejected:{where}",
            "rejection",
            self.rejected_topic,
            source.key or b"",
            self.codec.encode("Rejection", record),
            at,
        )


def _rule_of(alert: Alert) -> str:
    return alert.obligation.rule_id if alert.obligation else ""


def _alert_record(alert: Alert, file: CaseFile) -> dict[str, Any]:
    ob = alert.obligation
    return {
        "alert_id": alert.alert_id,
        "kind": alert.kind,
        "case_id": alert.case_id,
        "level": alert.level,
        "rule_id": ob.rule_id if ob else "",
        "obligation_key": ob.key if ob else "",
        "responsible_role": ob.responsible_role if ob else "",
        "responsible_agency": (ob.responsible_agency or "") if ob else "",
        "due_at": ob.due_at if ob else EPOCH,
        "citation": ob.citation if ob else "",
        "province_code": file.area.get("province_code", ""),
        "district_code": file.area.get("district_code", ""),
        "commune_code": file.area.get("commune_code", ""),
        "effective_at": alert.effective_at,
    }


def _row(
    message_id: str, kind: str, topic: str, key: bytes, value: bytes, at: datetime
) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "kind": kind,
        "topic": topic,
        "key": key,
        "value": value,
        "created_at": to_millis(at),
        "published_at": None,
    }

"""Case-event messages as the relay publishes them, for a case told step by step."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from events import Codec, Topics
from projections.escalation import load_addressing
from projections.messages import Outbox, Source
from projections.projector import Clock, Projector
from projections.readmodel import ReadModel
from projections.wiring import obligation_engine
from services.cases.agencies import load_agencies
from services.runtime.settings import Settings
from tests.casefactory import payload

T0 = datetime(2026, 3, 2, 2, tzinfo=UTC)  # Monday 09:00 in Vietnam, no holiday near
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
CODEC = Codec.from_directory()


@dataclass
class CaseStory:
    """One case's recorded steps, encoded as ``CaseEvent`` messages."""

    case_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    messages: list[bytes] = field(default_factory=list)

    def add(
        self,
        step: str,
        at: datetime,
        agency: str = "hotline-111",
        role: str = "hotline",
        recorded: datetime | None = None,
        **fields: Any,
    ) -> CaseStory:
        """Append the next step, which happened at ``at`` and was recorded at ``recorded``
        (default: at once)."""
        body = payload(step, **fields) | {
            "case_id": self.case_id,
            "occurred_at": at,
            "submission_id": str(uuid.uuid4()),
        }
        event = {
            "event_id": str(uuid.uuid4()),
            "case_id": self.case_id,
            "sequence": len(self.messages) + 1,
            "recorded_at": recorded or at,
            "occurred_at": at,
            "agency": agency,
            "role": role,
            "submission_id": body["submission_id"],
            "event_type": step,
            "payload": CODEC.encode(step, body),
            "previous_hash": "",
            "hash": "00",
            "personal_data": b"",
        }
        self.messages.append(CODEC.encode("CaseEvent", event))
        return self


class Offsets:
    """Hands out offsets for messages fed straight to a projector (no broker)."""

    def __init__(self, topic: str = "t.case-events") -> None:
        self.topic = topic
        self.next = 0

    def sources(self, values: list[bytes], partition: int = 0) -> list[Source]:
        found = []
        for value in values:
            found.append(Source(self.topic, partition, self.next, b"k", value))
            self.next += 1
        return found


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def projector(
    settings: Settings, db: Any, clock: Clock, model: ReadModel | None = None
) -> Projector:
    """A projector on ``db`` with the shipped policy and the settings' topics."""
    engine = obligation_engine(settings)
    agencies = load_agencies(settings.config_dir)
    addressing = load_addressing(settings.config_dir, agencies)
    outbox = Outbox(CODEC, Topics(settings.topic_prefix), addressing)
    return Projector(db, model or ReadModel(), engine, outbox, clock)

"""The relay (transactional outbox): recorded events, in store order, onto Kafka.

Every event goes to ``case-events`` (key: case id) and to the inbox of each agency the routing
rules name. The relay's position is stored in the store's database and moved only after the
broker acknowledged the whole batch, so a crash replays the tail of a batch: the same events
with the same event ids, which consumers drop. Nothing is skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from eventsourcing.persistence import PersistenceError
from kafka import KafkaProducer
from kafka.errors import KafkaError
from sqlalchemy.exc import SQLAlchemyError

from events import Codec, Topics, seal
from services.cases import errors
from services.cases.application import CaseService
from services.cases.views import HistoryEntry
from services.kafka.relaystate import RelayState
from services.kafka.routing import Router
from services.logs import get_logger
from services.ops import metrics
from services.supervisor import StopFlag

log = get_logger(__name__)
TRANSIENT = (KafkaError, PersistenceError, SQLAlchemyError, OSError)


@dataclass(frozen=True)
class Message:
    topic: str
    key: bytes
    value: bytes


class Relay:
    """Publishes what the store recorded since the stored position."""

    def __init__(
        self,
        service: CaseService,
        state: RelayState,
        router: Router,
        topics: Topics,
        codec: Codec,
        producer_factory: Callable[[], KafkaProducer],
        public_key_of: Callable[[str], str],
        batch_size: int = 500,
    ) -> None:
        self.service = service
        self.state = state
        self.router = router
        self.topics = topics
        self.codec = codec
        self.producer_factory = producer_factory
        self.public_key_of = public_key_of
        self.batch_size = batch_size
        self._producer: KafkaProducer | None = None

    def run(self, stop: StopFlag, idle_wait: float = 0.2, retry_wait: float = 2.0) -> None:
        """Relay until ``stop`` is set; the batch in flight is always finished first."""
        log.info("relay.started", position=self.state.position())
        while not stop.stopped:
            try:
                published = self.step()
            except TRANSIENT as error:  # broker or database unwell: retry the same batch
                log.warning("relay.retrying", error=type(error).__name__)
                self._reset_producer()
                stop.wait(retry_wait)
                continue
            if not published:
                stop.wait(idle_wait)
        self._reset_producer()
        log.info("relay.stopped", position=self.state.position())

    def step(self) -> int:
        """Publish one batch; return how many recorded events it held."""
        started = time.monotonic()
        entries = self.service.entries_since(self.state.position(), self.batch_size)
        if not entries:
            return 0
        known = self.state.participants_of(entry.case_id for _, entry in entries)
        messages, joined = self._plan([entry for _, entry in entries], known)
        self._publish(messages)
        self.state.advance(entries[-1][0], joined)
        metrics.batch("relay", len(entries), started)
        log.info(
            "relay.published", events=len(entries), messages=len(messages), position=entries[-1][0]
        )
        return len(entries)

    def _plan(
        self, entries: list[HistoryEntry], known: dict[str, set[str]]
    ) -> tuple[list[Message], dict[str, set[str]]]:
        messages: list[Message] = []
        joined: dict[str, set[str]] = {}
        for entry in entries:
            participants = known.setdefault(entry.case_id, set())
            when = datetime.fromtimestamp(entry.occurred_at / 1000, UTC)
            on = self.router.agencies.local_day(when)  # inboxes of agencies existing that day
            deliveries = self.router.deliveries(
                entry.step, entry.payload, entry.agency, participants, on
            )
            key = entry.case_id.encode()
            messages.append(Message(self.topics.case_events, key, self._envelope(entry, b"")))
            for delivery in deliveries:
                sealed = (
                    self._personal_data(entry, delivery.agency) if delivery.personal_data else b""
                )
                inbox = self.topics.inbox(delivery.agency)
                messages.append(Message(inbox, key, self._envelope(entry, sealed)))
            arrived = {entry.agency, *(d.agency for d in deliveries)} - participants
            participants |= arrived
            joined.setdefault(entry.case_id, set()).update(arrived)
        return messages, joined

    def _envelope(self, entry: HistoryEntry, personal_data: bytes) -> bytes:
        step = {
            **entry.payload,
            "case_id": entry.case_id,
            "submission_id": entry.submission_id,
            "occurred_at": entry.occurred_at,
        }
        return self.codec.encode(
            "CaseEvent",
            {
                "event_id": entry.event_id,
                "case_id": entry.case_id,
                "sequence": entry.sequence,
                "recorded_at": entry.recorded_at,
                "occurred_at": entry.occurred_at,
                "agency": entry.agency,
                "role": entry.role,
                "submission_id": entry.submission_id,
                "event_type": entry.step,
                "payload": self.codec.encode(entry.step, step),
                "previous_hash": entry.previous_hash,
                "hash": entry.hash,
                "personal_data": personal_data,
            },
        )

    def _personal_data(self, entry: HistoryEntry, agency: str) -> bytes:
        """The case's personal data sealed to ``agency``; empty if there is none (any more)."""
        try:
            clear = self.service.read_personal_data(entry.case_id, agency)
        except (errors.PersonalDataErasedError, errors.PersonalDataAccessDenied):
            return b""
        if not clear:
            return b""
        return seal(self.public_key_of(agency), self.codec.encode("PersonalData", clear))

    def _publish(self, messages: list[Message]) -> None:
        producer = self._producer or self.producer_factory()
        self._producer = producer
        futures = [producer.send(m.topic, m.value, key=m.key) for m in messages]
        producer.flush()
        for future in futures:
            future.get(timeout=0)  # raises the broker's error, if any, before we move on

    def _reset_producer(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None

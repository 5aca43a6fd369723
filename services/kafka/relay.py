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
from typing import NamedTuple

from eventsourcing.persistence import PersistenceError
from kafka import KafkaProducer
from kafka.errors import KafkaError
from kafka.producer.future import FutureRecordMetadata
from sqlalchemy.exc import SQLAlchemyError

from events import Codec, Topics, seal
from events.instants import from_millis
from services.cases.application import CaseService
from services.cases.views import HistoryEntry
from services.kafka.relaydata import PersonalDataSource
from services.kafka.relaystate import RelayState
from services.kafka.routing import Delivery, Router
from services.kafka.wakeup import StoreWaker, waker_for
from services.runtime import metrics
from services.runtime.logs import get_logger
from services.runtime.supervisor import StopFlag

log = get_logger(__name__)
TRANSIENT = (KafkaError, PersistenceError, SQLAlchemyError, OSError)


class Message(NamedTuple):
    """One record to produce (a tuple: two are made for every event relayed, and a frozen
    dataclass cost more to make than its encoding's envelope check)."""

    topic: str
    key: bytes
    value: bytes


@dataclass(frozen=True)
class Batch:
    """Recorded events up to notification ``position``, planned as messages; ``joined``: the
    agencies that take part in a case from this batch on."""

    position: int
    events: int
    messages: list[Message]
    joined: dict[str, set[str]]


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
        waker: StoreWaker | None = None,
    ) -> None:
        self.service = service
        self.state = state
        self.router = router
        self.topics = topics
        self.codec = codec
        self.producer_factory = producer_factory
        self.public_key_of = public_key_of
        self.batch_size = batch_size
        self.waker = waker or waker_for(service)
        self.personal_data = PersonalDataSource(service.keys, service.latest_sealed)
        self._producer: KafkaProducer | None = None
        self._ahead: Batch | None = None
        self._public_keys: dict[str, str] = {}
        self._inboxes: dict[str, str] = {}

    def run(self, stop: StopFlag, idle_wait: float = 0.2, retry_wait: float = 2.0) -> None:
        """Relay until ``stop`` is set; the batch in flight is always finished first.

        With nothing to publish it waits for the store's next write (``waker``), at most
        ``idle_wait`` seconds before it looks again anyway.
        """
        log.info("relay.started", position=self.state.position())
        try:
            self._loop(stop, idle_wait, retry_wait)
        finally:
            self.waker.close()
        self._reset_producer()
        log.info("relay.stopped", position=self.state.position())

    def _loop(self, stop: StopFlag, idle_wait: float, retry_wait: float) -> None:
        self.waker.wait(stop, 0)  # listening before the first look: no write goes unnoticed
        while not stop.stopped:
            try:
                published = self.step()
            except TRANSIENT as error:  # broker or database unwell: retry the same batch
                log.warning("relay.retrying", error=type(error).__name__)
                self._reset_producer()
                stop.wait(retry_wait)
                continue
            if not published:
                self.waker.wait(stop, idle_wait)

    def step(self) -> int:
        """Publish one batch; return how many recorded events it held.

        While the broker acknowledges it, the next batch is read and planned (its
        participants: the stored ones and those this batch brings), so the store and the
        encoding work in the broker's time. That plan is kept only once this batch is
        acknowledged and its position stored; any failure drops it, and the retry reads from
        the stored position again. A plan read ahead is topped up with what was recorded since,
        before it is sent.
        """
        started = time.monotonic()
        batch, self._ahead = self._ahead, None
        if batch is None:
            batch = self._prepare(self.state.position(), {})
        elif batch.events < self.batch_size:
            batch = self._topped_up(batch)
        if batch is None:
            return 0
        try:
            in_flight = self._send(batch.messages)
            ahead = self._look_ahead(batch)
            self._await(in_flight)
            self.state.advance(batch.position, batch.joined)
        except BaseException:
            self.personal_data.forget()  # it may have seen events that will be planned again
            raise
        self._ahead = ahead
        metrics.batch("relay", batch.events, started)
        log.info(
            "relay.published",
            events=batch.events,
            messages=len(batch.messages),
            position=batch.position,
        )
        return batch.events

    def _prepare(
        self, position: int, joined_before: dict[str, set[str]], limit: int | None = None
    ) -> Batch | None:
        """The batch after ``position`` (at most ``limit`` events, by default a batch's),
        planned; ``joined_before``: participants that the batch before it brings and that are
        not stored yet."""
        entries = self.service.sealed_entries_since(position, limit or self.batch_size)
        if not entries:
            return None
        known = self.state.participants_of(entry.case_id for _, entry, _ in entries)
        for case_id, agencies in known.items():
            agencies |= joined_before.get(case_id, set())
        self.personal_data.start_batch(known)
        self._public_keys.clear()
        messages, joined = self._plan([(entry, sealed) for _, entry, sealed in entries], known)
        return Batch(entries[-1][0], len(entries), messages, joined)

    def _topped_up(self, ahead: Batch) -> Batch:
        """``ahead`` (read while the batch before it was in flight) and the events recorded
        since, up to a batch's worth. Left to the next look-ahead, those would wait a whole
        further step (a broker round trip and a position write): at a steady rate, most events
        arrive while a batch is in flight. If they cannot be read or planned, ``ahead`` goes
        alone and the next step meets the error the ordinary way."""
        try:
            more = self._prepare(ahead.position, ahead.joined, self.batch_size - ahead.events)
        except Exception as error:
            self.personal_data.forget()  # it may have seen events that will be planned again
            log.warning("relay.top_up_failed", error=type(error).__name__)
            return ahead
        if more is None:
            return ahead
        cases = ahead.joined.keys() | more.joined.keys()
        joined = {c: ahead.joined.get(c, set()) | more.joined.get(c, set()) for c in cases}
        return Batch(
            more.position, ahead.events + more.events, ahead.messages + more.messages, joined
        )

    def _look_ahead(self, batch: Batch) -> Batch | None:
        """The batch after ``batch``, or None if there is none yet or it could not be read or
        planned: the next step then prepares it the ordinary way and meets the error there,
        after this batch is acknowledged and stored (so an event that cannot be published
        never holds back, nor sends again, the batch before it)."""
        try:
            return self._prepare(batch.position, batch.joined)
        except Exception as error:
            log.warning("relay.look_ahead_failed", error=type(error).__name__)
            return None

    def _plan(
        self, entries: list[tuple[HistoryEntry, str]], known: dict[str, set[str]]
    ) -> tuple[list[Message], dict[str, set[str]]]:
        messages: list[Message] = []
        joined: dict[str, set[str]] = {}
        for entry, sealed_here in entries:
            self.personal_data.saw(entry, sealed_here)
            participants = known.setdefault(entry.case_id, set())
            when = from_millis(entry.occurred_at)
            on = self.router.agencies.local_day(when)  # inboxes of agencies existing that day
            deliveries = self.router.deliveries(
                entry.step, entry.payload, entry.agency, participants, on
            )
            messages.extend(self._messages_of(entry, deliveries))
            arrived = {entry.agency, *(d.agency for d in deliveries)} - participants
            participants |= arrived
            joined.setdefault(entry.case_id, set()).update(arrived)
        return messages, joined

    def _messages_of(self, entry: HistoryEntry, deliveries: list[Delivery]) -> list[Message]:
        """The event on case-events and in each inbox: its step encoded once, and one envelope
        shared by every message that carries no personal data (most of them); a sealing is
        different each time, so each message that carries one has its own envelope."""
        key = entry.case_id.encode()
        payload = self._payload(entry)
        plain = self._envelope(entry, payload, b"")
        messages = [Message(self.topics.case_events, key, plain)]
        for delivery in deliveries:
            sealed = self._personal_data(entry, delivery.agency) if delivery.personal_data else b""
            value = self._envelope(entry, payload, sealed) if sealed else plain
            messages.append(Message(self._inbox(delivery.agency), key, value))
        return messages

    def _inbox(self, agency: str) -> str:
        """The agency's inbox topic, its name checked once (not for every message)."""
        topic = self._inboxes.get(agency)
        if topic is None:
            topic = self._inboxes[agency] = self.topics.inbox(agency)
        return topic

    def _envelope(self, entry: HistoryEntry, payload: bytes, personal_data: bytes) -> bytes:
        """The CaseEvent around a payload just checked by its encoding: written, not checked
        again (its other fields are the stored event's own, typed)."""
        return self.codec.encode_assembled(
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
                "payload": payload,
                "previous_hash": entry.previous_hash,
                "hash": entry.hash,
                "personal_data": personal_data,
            },
        )

    def _payload(self, entry: HistoryEntry) -> bytes:
        step = {
            **entry.payload,
            "case_id": entry.case_id,
            "submission_id": entry.submission_id,
            "occurred_at": entry.occurred_at,
        }
        return self.codec.encode(entry.step, step)

    def _personal_data(self, entry: HistoryEntry, agency: str) -> bytes:
        """The case's personal data sealed to ``agency``; empty if there is none (any more)."""
        reader = self.service.agencies.get(agency)
        if reader is None or not reader.reads_personal_data:
            return b""
        clear = self.personal_data.clear(entry.case_id, agency)
        if not clear:
            return b""
        return seal(self._public_key(agency), self.codec.encode("PersonalData", clear))

    def _public_key(self, agency: str) -> str:
        """The agency's inbox key, read once a batch (a file read for every sealing cost as
        much as the sealing; a key replaced meanwhile is used from the next batch on)."""
        key = self._public_keys.get(agency)
        if key is None:
            key = self._public_keys[agency] = self.public_key_of(agency)
        return key

    def producer(self) -> KafkaProducer:
        """The relay's producer, made on first use and kept until an error resets it."""
        if self._producer is None:
            self._producer = self.producer_factory()
        return self._producer

    def _send(self, messages: list[Message]) -> list[FutureRecordMetadata]:
        producer = self.producer()
        return [producer.send(m.topic, m.value, key=m.key) for m in messages]

    def _await(self, futures: list[FutureRecordMetadata]) -> None:
        """Return once the broker acknowledged every message; raise its error, if any."""
        self.producer().flush()
        for future in futures:
            future.get(timeout=0)

    def _reset_producer(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None

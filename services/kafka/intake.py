"""The intake: agencies' submissions from ``<prefix>.intake.<agency>`` into the case store.

Each record is applied or rejected, never dropped: the agency comes from the topic name (never
from the body), the body is decoded with the contract's codec, sealed personal data is opened
with the backbone's key and handed to the case service, and any refusal goes back to the agency
on ``<prefix>.rejected.<agency>`` with the original bytes (only the first of them, with size and
SHA-256, when they are too many; see ``bounds``). Offsets are committed only once the
batch's effects are durable (store appends done, rejections acknowledged), so a crash replays
the tail of a batch: the case service returns the recorded step for a known submission id and a
replayed rejection carries the same ``rejection_id``.

The module is longer than most because one batch's ordering, holding, publishing and committing
must be read together to see that nothing is lost; the checks before the case rules and the
shape of a rejection live in ``bounds``.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.persistence import PersistenceError
from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata
from sqlalchemy.exc import SQLAlchemyError

from events import EPOCH, Codec, ContractError, Decoded, Topics, open_sealed
from events.limits import ID, check_lengths
from events.steps import COMMON_FIELDS as STEP_COMMON_FIELDS
from services.cases import errors
from services.cases.application import CaseService, StepRequest
from services.cases.views import RecordedStep
from services.kafka.bounds import Bounds, failed_as_too_large, rejection_of, send_or_refused
from services.logs import get_logger
from services.ops import metrics
from services.supervisor import StopFlag

log = get_logger(__name__)
COMMON_FIELDS = frozenset(STEP_COMMON_FIELDS)
PERSONAL_DATA = "personal_data"
INTERNAL_ERROR = "internal_error"
UNREADABLE = (
    "the backbone failed while reading this submission (an internal error); "
    "send it again later and tell the backbone's operator"
)
# Refusals that may stop holding once another agency's submission has been applied.
NOT_YET = frozenset({"case_not_found", "missing_prerequisite", "unknown_reference"})
# Worth retrying: the store, the broker or the network is unwell, not the submission.
TRANSIENT = (PersistenceError, SQLAlchemyError, KafkaError, OSError, errors.ConcurrencyConflict)


@dataclass(frozen=True)
class Outgoing:
    """A rejection to publish; ``bounded`` is the same with only the message's first bytes."""

    topic: str
    key: bytes | None
    value: bytes
    bounded: bytes


@dataclass(frozen=True)
class Refusal:
    """Why a submission was not recorded: a reason code and words without personal data."""

    reason: str
    detail: str
    submission_id: str = ""


class Intake:
    """Consumes every agency's intake topic in one consumer group and applies the records."""

    def __init__(
        self,
        service: CaseService,
        codec: Codec,
        topics: Topics,
        private_key: str,
        consumer: KafkaConsumer,
        producer_factory: Callable[[], KafkaProducer],
        ensure_topic: Callable[[str], None],
        bounds: Bounds,
        batch_size: int = 500,
        poll_ms: int = 200,
        hold_s: float = 30.0,
    ) -> None:
        self.service = service
        self.codec = codec
        self.topics = topics
        self.private_key = private_key
        self.consumer = consumer
        self.producer_factory = producer_factory
        self.ensure_topic = ensure_topic
        self.bounds = bounds
        self.batch_size = batch_size
        self.poll_ms = poll_ms
        self.hold_s = hold_s
        self.holding = False
        self._first_seen: dict[tuple[str, int, int], float] = {}
        self._producer: KafkaProducer | None = None
        self._ready_topics: set[str] = set()

    def run(self, stop: StopFlag, retry_wait: float = 0.5, max_wait: float = 15.0) -> None:
        """Apply batches until ``stop`` is set; the batch in flight is always finished first."""
        log.info("intake.started", pattern=self.topics.intake_pattern)
        wait = retry_wait
        while not stop.stopped:
            try:
                self.step()
                wait = retry_wait
                if self.holding:  # give the awaited submission a moment to arrive
                    stop.wait(self.poll_ms / 1000)
            except TRANSIENT as error:
                log.warning("intake.retrying", error=type(error).__name__, wait_s=wait)
                self._reset_producer()
                stop.wait(wait)
                wait = min(wait * 2, max_wait)
        self.close()
        log.info("intake.stopped")

    def step(self) -> int:
        """Poll one batch, apply it, publish its rejections, commit; return its size.

        On a transient error nothing is committed and the batch's partitions are sought back,
        so the whole batch is applied again after the back-off.
        """
        batch = self.consumer.poll(timeout_ms=self.poll_ms, max_records=self.batch_size)
        if not batch:
            return 0
        started = time.monotonic()
        records = in_time_order(batch)
        try:
            outcomes = after_holds(records, self.apply(records))
            rejections = [r for r in outcomes if isinstance(r, Outgoing)]
            self._publish(rejections)
        except TRANSIENT:
            for partition, part in batch.items():
                self.consumer.seek(partition, part[0].offset)
            raise
        held = self._hold(records, outcomes)
        self.holding = bool(held)
        self._commit(batch, held)
        metrics.batch("intake", len(records), started)
        done = (r for r, o in zip(records, outcomes, strict=True) if o is not HELD)
        metrics.records("intake", (self.topics.agency_of(r.topic) for r in done))
        log.info(
            "intake.batch_done", records=len(records), rejected=len(rejections), held=len(held)
        )
        return len(records) - sum(1 for outcome in outcomes if outcome is HELD)

    def apply(self, records: list[Any]) -> list[Outgoing | Held | None]:
        """Record the submissions in order (one store transaction); a rejection per refusal.

        A refusal that only says "not yet" (the case or the step it builds on has not arrived)
        is held instead while the record is younger than ``hold_s``: another agency's topic may
        simply not have been read yet.
        """
        plans = [self._plan(record) for record in records]
        requests = [plan for plan in plans if isinstance(plan, StepRequest)]
        outcomes = iter(self._record(requests))
        refusals = [
            plan if isinstance(plan, Refusal) else _refusal_of(next(outcomes), plan)
            for plan in plans
        ]
        return [
            self._outcome(record, refusal)
            for record, refusal in zip(records, refusals, strict=True)
        ]

    def _outcome(self, record: Any, refusal: Refusal | None) -> Outgoing | Held | None:
        if refusal is None:
            return None
        if refusal.reason in NOT_YET and self._waited(record) < self.hold_s:
            return HELD
        return self._rejected(record, refusal)

    def _waited(self, record: Any) -> float:
        """Seconds since this process first read ``record``: not since the agency's clock says
        it was sent, so that a lagging or restarted intake still gives it the whole hold."""
        now = time.monotonic()
        key = (record.topic, record.partition, record.offset)
        return now - self._first_seen.setdefault(key, now)

    def _hold(
        self, records: list[Any], outcomes: list[Outgoing | Held | None]
    ) -> dict[TopicPartition, int]:
        """Seek each partition back to its first held record; return those offsets."""
        held: dict[TopicPartition, int] = {}
        for record, outcome in zip(records, outcomes, strict=True):
            partition = TopicPartition(record.topic, record.partition)
            if outcome is HELD and partition not in held:
                held[partition] = record.offset
                self.consumer.seek(partition, record.offset)
        if held:
            log.info("intake.held", partitions=_names(set(held)))
        return held

    def close(self) -> None:
        """Leave the group and release the clients (offsets were committed per batch)."""
        self._reset_producer()
        self.consumer.close(autocommit=False)

    def _plan(self, record: Any) -> StepRequest | Refusal:
        """What to ask of the case service, or why not to: agency, body and personal data."""
        agency, submission_id = self.topics.agency_of(record.topic), ""
        value = bytes(record.value or b"")
        try:
            self.bounds.check_size(value)
            decoded = self.codec.decode(value)
            submission_id = str(decoded.record.get("submission_id", ""))
            if len(submission_id) > ID:  # never echoed or logged: the refusal says its length
                submission_id = ""
            if self.service.agencies.get(agency) is None:
                raise errors.UnknownAgency(agency)
            return self._request(agency, decoded)
        except ContractError as error:
            return Refusal(error.reason, error.detail, submission_id)
        except errors.CaseError as error:
            return Refusal(error.reason, str(error), submission_id)
        except TRANSIENT:
            raise
        except Exception as error:  # a bug must not stop the intake on this message for ever
            log.error("intake.plan_failed", agency=agency, error=type(error).__name__)
            return Refusal(INTERNAL_ERROR, UNREADABLE, submission_id)

    def _request(self, agency: str, decoded: Decoded) -> StepRequest:
        step = decoded.record
        if not step.keys() >= COMMON_FIELDS:
            raise errors.UnknownStep(decoded.wire_name)
        self.bounds.check(decoded)
        specific = step.keys() - COMMON_FIELDS - {PERSONAL_DATA}
        return StepRequest(
            case_id=str(step["case_id"]),
            step=decoded.wire_name,
            fields={name: _millis(step[name]) for name in specific},
            agency=agency,
            submission_id=str(step["submission_id"]),
            occurred_at=_millis(step["occurred_at"]),
            personal_data=self._personal_data(step.get(PERSONAL_DATA, b"")),
        )

    def _record(self, requests: list[StepRequest]) -> list[RecordedStep | errors.CaseError]:
        if not requests:
            return []
        try:
            return self.service.record_many(requests)
        except TRANSIENT:
            raise
        except Exception as error:  # a bug must not stop the intake: find the one it hits
            log.error("intake.batch_failed", error=type(error).__name__)
            return [self._record_alone(request) for request in requests]

    def _record_alone(self, request: StepRequest) -> RecordedStep | errors.CaseError:
        try:
            return self.service.record_many([request])[0]
        except TRANSIENT:
            raise
        except Exception as error:  # its text may hold data: only the type goes out
            log.error("intake.internal_error", agency=request.agency, error=type(error).__name__)
            return InternalError(type(error).__name__)

    def _rejected(self, record: Any, refusal: Refusal) -> Outgoing:
        agency = self.topics.agency_of(record.topic)
        metrics.rejected(agency, refusal.reason)
        log.info(
            "intake.rejected",
            agency=agency,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            submission_id=refusal.submission_id,
            reason=refusal.reason,
        )
        key = refusal.submission_id.encode() if refusal.submission_id else None
        whole = len(record.value or b"") <= self.bounds.max_bytes
        return Outgoing(
            self.topics.rejected(agency),
            key,
            self._rejection(record, agency, refusal, whole=whole),
            self._rejection(record, agency, refusal, whole=False),
        )

    def _personal_data(self, sealed: bytes) -> dict[str, str] | None:
        if not sealed:
            return None
        opened = self.codec.decode(open_sealed(self.private_key, sealed))
        if opened.wire_name != "PersonalData":
            raise errors.InvalidPersonalData([opened.wire_name])
        check_lengths(opened.wire_name, opened.record)
        return {key: str(value) for key, value in opened.record.items()}

    def _rejection(self, record: Any, agency: str, refusal: Refusal, *, whole: bool) -> bytes:
        """The rejection, carrying the message in full or (not ``whole``) its first bytes."""
        carried = rejection_of(record, agency, refusal.reason, refusal.detail, whole=whole)
        return self.codec.encode("Rejection", carried | {"submission_id": refusal.submission_id})

    def _publish(self, messages: list[Outgoing]) -> None:
        if not messages:
            return
        for topic in {m.topic for m in messages} - self._ready_topics:
            self.ensure_topic(topic)  # an agency outside the directory has no topics yet
            self._ready_topics.add(topic)
        producer = self._producer or self.producer_factory()
        self._producer = producer
        futures = [send_or_refused(producer, m.topic, m.value, m.key) for m in messages]
        producer.flush()
        too_large: list[Outgoing] = []
        for message, future in zip(messages, futures, strict=True):
            if failed_as_too_large(future):
                too_large.append(message)
            else:
                future.get(timeout=0)  # the broker's refusal, if any, before the commit
        if too_large:  # one agency's huge message must not hold back the other rejections
            log.warning("intake.rejection_bounded", rejections=len(too_large))
            self._reset_producer()  # an idempotent producer is unusable after such a refusal
            producer = self._producer = self.producer_factory()
            again = [producer.send(m.topic, m.bounded, key=m.key) for m in too_large]
            producer.flush()
            for future in again:
                future.get(timeout=0)

    def _commit(
        self, batch: Mapping[TopicPartition, list[Any]], held: Mapping[TopicPartition, int]
    ) -> None:
        offsets = {
            tp: OffsetAndMetadata(held.get(tp, records[-1].offset + 1), "", -1)
            for tp, records in batch.items()
        }
        committed = {(tp.topic, tp.partition): at.offset for tp, at in offsets.items()}
        self._first_seen = {
            key: seen
            for key, seen in self._first_seen.items()
            if key[2] >= committed.get(key[:2], 0)
        }
        try:
            self.consumer.commit(offsets)
        except KafkaError as error:  # e.g. a rebalance: the next owner replays, idempotently
            log.warning("intake.commit_failed", error=type(error).__name__)

    def _reset_producer(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None


class Held:
    """A submission put back for a moment: what it builds on may still be on its way."""


HELD = Held()


def in_time_order(batch: Mapping[TopicPartition, list[Any]]) -> list[Any]:
    """The batch's records merged by broker timestamp, each partition's order kept.

    Submissions of one case come from several agencies, so on several topics; an agency acts
    on what it has seen, so publication time is the causal order between them.
    """
    return list(heapq.merge(*batch.values(), key=lambda record: record.timestamp))


def after_holds(
    records: list[Any], outcomes: list[Outgoing | Held | None]
) -> list[Outgoing | Held | None]:
    """Hold every later record of a partition too: it is read again after the held one."""
    holding: set[tuple[str, int]] = set()
    kept: list[Outgoing | Held | None] = []
    for record, outcome in zip(records, outcomes, strict=True):
        partition = (record.topic, record.partition)
        if outcome is HELD:
            holding.add(partition)
        kept.append(HELD if partition in holding else outcome)
    return kept


class InternalError(errors.CaseError):
    """Recording failed in an unexpected way (a bug); the agency may resend later."""

    reason = INTERNAL_ERROR


def _refusal_of(outcome: RecordedStep | errors.CaseError, request: StepRequest) -> Refusal | None:
    if isinstance(outcome, errors.ConcurrencyConflict):
        raise outcome  # transient: the batch is applied again
    if isinstance(outcome, errors.CaseError):
        return Refusal(outcome.reason, str(outcome), request.submission_id)
    return None


class LogAssignments(ConsumerRebalanceListener):  # type: ignore[misc]
    """Logs which intake partitions this member gains and loses (given to its consumer)."""

    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        log.info("intake.partitions_revoked", partitions=_names(revoked))

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("intake.partitions_assigned", partitions=_names(assigned))


def _names(partitions: set[TopicPartition]) -> list[str]:
    return sorted(f"{tp.topic}:{tp.partition}" for tp in partitions)


def _millis(value: Any) -> Any:
    """Aware datetimes (the codec's timestamps) as exact epoch milliseconds, recursively."""
    if isinstance(value, datetime):
        return (value - EPOCH) // timedelta(milliseconds=1)
    if isinstance(value, list):
        return [_millis(item) for item in value]
    if isinstance(value, dict):
        return {key: _millis(item) for key, item in value.items()}
    return value

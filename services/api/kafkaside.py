"""The API's Kafka side: publish to an agency's intake topic, page through its topics, and
follow the rejection topics into the ledger.

The API connects with the backbone's own credentials; it chooses the topic from the agency
that authenticated, never from the request body, exactly as the intake takes the agency from
the topic.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from events import Codec, ContractError, Topics
from events.instants import to_millis
from services.api.ledger import Ledger, Rejected
from services.runtime.logs import get_logger

log = get_logger(__name__)
_CURSOR = re.compile(r"^(\d{1,6}:\d{1,18})(,\d{1,6}:\d{1,18})*$")


class BadCursor(ValueError):
    """A cursor this API did not hand out."""


@dataclass(frozen=True)
class TopicPage:
    values: list[bytes]
    cursor: str


def parse_cursor(text: str) -> dict[int, int]:
    """``"0:12,1:4"``: the next offset to read per partition ('' for the beginning)."""
    if not text:
        return {}
    if not _CURSOR.match(text):
        raise BadCursor(text)
    return {int(p): int(o) for p, o in (pair.split(":") for pair in text.split(","))}


def format_cursor(offsets: dict[int, int]) -> str:
    return ",".join(f"{p}:{o}" for p, o in sorted(offsets.items()))


class TopicPager:
    """Reads a page of a topic from a cursor with one shared consumer (no consumer group)."""

    def __init__(self, consumer_factory: Callable[[], KafkaConsumer]) -> None:
        self._factory = consumer_factory
        self._consumer: KafkaConsumer | None = None
        self._lock = threading.Lock()

    def page(self, topic: str, cursor: str, limit: int, timeout_s: float = 3.0) -> TopicPage:
        start = parse_cursor(cursor)
        with self._lock:
            consumer = self._consumer = self._consumer or self._factory()
            parts = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in sorted(parts)]
            if not tps:
                return TopicPage([], cursor)
            consumer.assign(tps)
            first, end = consumer.beginning_offsets(tps), consumer.end_offsets(tps)
            at = {tp.partition: max(start.get(tp.partition, 0), first[tp]) for tp in tps}
            for tp in tps:
                consumer.seek(tp, at[tp.partition])
            records = self._read(consumer, tps, at, end, limit, timeout_s)
        records.sort(key=lambda r: (r.timestamp, r.partition, r.offset))
        kept = records[:limit]
        for record in kept:
            at[record.partition] = max(at[record.partition], record.offset + 1)
        return TopicPage([bytes(r.value or b"") for r in kept], format_cursor(at))

    @staticmethod
    def _read(
        consumer: KafkaConsumer,
        tps: list[TopicPartition],
        at: dict[int, int],
        end: dict[TopicPartition, int],
        limit: int,
        timeout_s: float,
    ) -> list[Any]:
        wanted = {tp: end[tp] for tp in tps if at[tp.partition] < end[tp]}
        records: list[Any] = []
        deadline = time.monotonic() + timeout_s
        while wanted and len(records) < limit * len(tps) and time.monotonic() < deadline:
            for tp, got in consumer.poll(timeout_ms=200, max_records=limit).items():
                records += got
                if got and got[-1].offset + 1 >= wanted.get(tp, 0):
                    wanted.pop(tp, None)
        return records

    def close(self) -> None:
        with self._lock:
            if self._consumer is not None:
                self._consumer.close(autocommit=False)
                self._consumer = None


class Publisher:
    """Publishes encoded steps on intake topics and waits for the broker's acknowledgement."""

    def __init__(self, producer_factory: Callable[[], KafkaProducer], timeout_s: float = 30.0):
        self._factory = producer_factory
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()
        self.timeout_s = timeout_s

    def publish(self, topic: str, key: str, value: bytes) -> None:
        with self._lock:
            self._producer = self._producer or self._factory()
            producer = self._producer
        producer.send(topic, value, key=key.encode()).get(timeout=self.timeout_s)

    def close(self) -> None:
        with self._lock:
            if self._producer is not None:
                self._producer.close(timeout=10)
                self._producer = None


class RejectionWatcher:
    """Copies every agency's rejections into the ledger, so a submission's status is one query.

    Runs in a daemon thread in consumer group ``<prefix>.api.rejections``; offsets are
    committed after the rows are written, so a restart replays at most a batch (idempotently).
    """

    def __init__(
        self,
        consumer_factory: Callable[[], KafkaConsumer],
        topics: Topics,
        codec: Codec,
        ledger: Ledger,
    ) -> None:
        self._factory = consumer_factory
        self.topics = topics
        self.codec = codec
        self.ledger = ledger
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="api-rejections", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        consumer = self._factory()
        pattern = rf"^{re.escape(self.topics.prefix)}\.rejected\.[A-Za-z0-9_-]+$"
        consumer.subscribe(pattern=pattern)
        try:
            while not self._stop.is_set():
                try:
                    batch = consumer.poll(timeout_ms=200, max_records=500)
                    for records in batch.values():
                        for record in records:
                            self._keep(bytes(record.value or b""))
                    if batch:
                        consumer.commit()
                except Exception as error:  # keep following; the next poll retries
                    log.warning("api.rejections_retrying", error=type(error).__name__)
                    self._stop.wait(1.0)
        finally:
            consumer.close(autocommit=False)

    def _keep(self, value: bytes) -> None:
        try:
            r = self.codec.decode(value).record
        except ContractError as error:
            log.warning("api.unreadable_rejection", reason=error.reason)
            return
        if not r.get("submission_id"):
            return
        at = r["rejected_at"]
        millis = to_millis(at) if isinstance(at, datetime) else int(at)
        self.ledger.reject(
            r["agency"], r["submission_id"], Rejected(r["reason"], r["detail"], millis)
        )

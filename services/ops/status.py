"""``backbone status``: is the backbone keeping up? The figures an operator looks at first.

- relay backlog: the store's last notification id minus what each relay has published;
- projection lag: per case-events partition, the broker's end offset minus the projections'
  next offset (read from the store, so it shows while the projections are stopped);
- alert outbox backlog: alerts written but not yet sent;
- intake lag: per agency intake partition, the end offset minus the intake group's committed
  offset (submissions waiting for the intake);
- stalled cases by level and area (district), as the projections last reported them.

The same figures are the metrics of ``services.ops.pipeline``, so the terminal and the
dashboards never disagree.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from events import Topics
from projections.readmodel import ReadModel
from services.ops.backup import store_positions
from services.ops.processes import ProcessFigures, look
from services.runtime.kafkaclients import broker_endpoint, client_config
from services.runtime.settings import Settings

# A look at the broker gives up after this long: a broker that does not answer is a finding to
# show (``broker_error``), and a scrape or ``backbone status`` waiting the clients' default 30 s
# for it would look hung.
BROKER_LOOK_MS = 10_000


@dataclass
class Status:
    """The operator's figures; ``behind`` when any of them is waiting on a process."""

    store_position: int = 0
    relay_backlog: dict[str, int] = field(default_factory=dict)
    projection_lag: dict[int, int] = field(default_factory=dict)
    outbox_backlog: int = 0
    stalled_by_level: dict[int, int] = field(default_factory=dict)
    stalled_by_area: dict[tuple[int, str], int] = field(default_factory=dict)
    intake_lag: dict[tuple[str, int], int] = field(default_factory=dict)
    processes: list[ProcessFigures] = field(default_factory=list)
    broker_error: str = ""

    @property
    def behind(self) -> bool:
        waiting = [
            *self.relay_backlog.values(),
            *self.projection_lag.values(),
            *self.intake_lag.values(),
        ]
        down = any(not p.ready for p in self.processes)
        return bool(self.broker_error) or any(waiting) or self.outbox_backlog > 0 or down

    def as_json(self) -> dict[str, Any]:
        return {
            "healthy": not self.behind,
            "store_position": self.store_position,
            "relay_backlog": self.relay_backlog,
            "projection_lag": {str(p): lag for p, lag in sorted(self.projection_lag.items())},
            "alert_outbox_backlog": self.outbox_backlog,
            "stalled_by_level": {str(lv): n for lv, n in sorted(self.stalled_by_level.items())},
            "stalled_by_area": [
                {"level": lv, "area": area, "cases": n}
                for (lv, area), n in sorted(self.stalled_by_area.items())
            ],
            "intake_lag": {f"{t}:{p}": lag for (t, p), lag in sorted(self.intake_lag.items())},
            "processes": {p.name: p.as_json() for p in self.processes},
            "broker_error": self.broker_error or None,
        }


def gather(settings: Settings, engine: sa.Engine, *, processes: bool = True) -> Status:
    """Read the figures from the store and the broker (a broker that cannot be reached is
    itself a finding, not an error); with ``processes``, also what each process's endpoints
    say. The web server's ``/metrics`` gathers without them: it is one of those endpoints, and
    asking itself would start a new scrape of itself at every scrape."""
    positions = store_positions(settings.effective_database_url)
    status = Status(store_position=positions["store_position"])
    if processes and settings.metrics_port:
        status.processes = look(settings)
    relays = positions["relay_positions"] or {"relay": 0}
    status.relay_backlog = {name: status.store_position - at for name, at in relays.items()}
    model = ReadModel()
    topic = Topics(settings.topic_prefix).case_events
    tables = set(sa.inspect(engine).get_table_names())
    with engine.connect() as conn:
        read: dict[int, int] = {}
        if model.positions.name in tables:
            rows = conn.execute(sa.select(model.positions).where(model.positions.c.topic == topic))
            read = {int(row.partition): int(row.next_offset) for row in rows}
        if model.outbox.name in tables:
            unsent = model.outbox.c.published_at.is_(None)
            query = sa.select(sa.func.count()).select_from(model.outbox).where(unsent)
            status.outbox_backlog = int(conn.execute(query).scalar() or 0)
        cases = model.cases
        if cases.name in tables:
            query = (
                sa.select(cases.c.level, cases.c.district_code, sa.func.count())
                .where(cases.c.stalled.is_(True))
                .group_by(cases.c.level, cases.c.district_code)
            )
            for level, area, n in conn.execute(query):
                at = int(level)
                status.stalled_by_area[(at, str(area))] = int(n)
                status.stalled_by_level[at] = status.stalled_by_level.get(at, 0) + int(n)
    try:
        ends = _end_offsets(settings, topic)
        status.intake_lag = _intake_lag(settings)
    except KafkaError as error:
        status.broker_error = type(error).__name__
        return status
    status.projection_lag = {p: end - read.get(p, 0) for p, end in ends.items()}
    return status


def _look_config(settings: Settings) -> dict[str, Any]:
    return client_config(broker_endpoint(settings)) | {"bootstrap_timeout_ms": BROKER_LOOK_MS}


def _end_offsets(settings: Settings, topic: str) -> dict[int, int]:
    consumer = KafkaConsumer(**_look_config(settings))
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in sorted(partitions)])
    finally:
        consumer.close()
    return {tp.partition: int(offset) for tp, offset in ends.items()}


def _intake_lag(settings: Settings) -> dict[tuple[str, int], int]:
    """Per intake partition: what the agencies sent minus what the intake group committed."""
    config = _look_config(settings)
    pattern = re.compile(Topics(settings.topic_prefix).intake_pattern)
    consumer = KafkaConsumer(**config)
    admin = KafkaAdminClient(**config)
    try:
        topics = sorted(t for t in consumer.topics() if pattern.match(t))
        partitions = [
            TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t))
        ]
        ends = consumer.end_offsets(partitions)
        committed = _committed(admin, f"{settings.topic_prefix}.intake")
    finally:
        consumer.close()
        admin.close()
    done = {tp: int(at.offset) for tp, at in committed.items() if at.offset >= 0}
    return {(tp.topic, tp.partition): int(end) - done.get(tp, 0) for tp, end in ends.items()}


def _committed(admin: KafkaAdminClient, group: str) -> dict[TopicPartition, Any]:
    """The group's committed offsets. A fresh broker has no coordinator until its offsets topic
    is made, which the first question starts: retriable answers are asked again, for as long as
    a look at the broker may take."""
    deadline = time.monotonic() + BROKER_LOOK_MS / 1000
    while True:
        try:
            return dict(admin.list_group_offsets({group: None}).get(group, {}))
        except KafkaError as error:
            if not error.retriable or time.monotonic() > deadline:
                raise
        time.sleep(0.2)

"""``backbone status``: is the backbone keeping up? The figures an operator looks at first.

- relay backlog: the store's last notification id minus what each relay has published;
- projection lag: per case-events partition, the broker's end offset minus the projections'
  next offset (read from the store, so it shows while the projections are stopped);
- alert outbox backlog: alerts written but not yet sent;
- stalled cases by level, as the projections last reported them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from events import Topics
from projections.readmodel import ReadModel
from services.kafka.clients import broker_endpoint, client_config
from services.ops.backup import store_positions
from services.settings import Settings


@dataclass
class Status:
    """The operator's figures; ``behind`` when any of them is waiting on a process."""

    store_position: int = 0
    relay_backlog: dict[str, int] = field(default_factory=dict)
    projection_lag: dict[int, int] = field(default_factory=dict)
    outbox_backlog: int = 0
    stalled_by_level: dict[int, int] = field(default_factory=dict)
    broker_error: str = ""

    @property
    def behind(self) -> bool:
        waiting = [*self.relay_backlog.values(), *self.projection_lag.values()]
        return bool(self.broker_error) or any(waiting) or self.outbox_backlog > 0

    def as_json(self) -> dict[str, Any]:
        return {
            "healthy": not self.behind,
            "store_position": self.store_position,
            "relay_backlog": self.relay_backlog,
            "projection_lag": {str(p): lag for p, lag in sorted(self.projection_lag.items())},
            "alert_outbox_backlog": self.outbox_backlog,
            "stalled_by_level": {str(lv): n for lv, n in sorted(self.stalled_by_level.items())},
            "broker_error": self.broker_error or None,
        }


def gather(settings: Settings, engine: sa.Engine) -> Status:
    """Read the figures from the store and the broker (a broker that cannot be reached is
    itself a finding, not an error)."""
    positions = store_positions(settings.effective_database_url)
    status = Status(store_position=positions["store_position"])
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
                sa.select(cases.c.level, sa.func.count())
                .where(cases.c.stalled.is_(True))
                .group_by(cases.c.level)
            )
            status.stalled_by_level = {int(level): int(n) for level, n in conn.execute(query)}
    try:
        ends = _end_offsets(settings, topic)
    except KafkaError as error:
        status.broker_error = type(error).__name__
        return status
    status.projection_lag = {p: end - read.get(p, 0) for p, end in ends.items()}
    return status


def _end_offsets(settings: Settings, topic: str) -> dict[int, int]:
    consumer = KafkaConsumer(**client_config(broker_endpoint(settings)))
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in sorted(partitions)])
    finally:
        consumer.close()
    return {tp.partition: int(offset) for tp, offset in ends.items()}

"""Sends the outbox (alerts, rejections) to Kafka and marks rows sent once the broker acked.

A crash between the broker's ack and the mark sends the same rows again with the same ids
(``alert_id``, ``rejection_id``): at least once, recognisable.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from kafka import KafkaProducer

from projections.readmodel import ReadModel
from services.runtime.logs import get_logger

log = get_logger(__name__)


class OutboxPublisher:
    """Publishes unsent outbox rows in the order they were written."""

    def __init__(
        self,
        db: sa.Engine,
        model: ReadModel,
        producer_factory: Callable[[], KafkaProducer],
        batch_size: int = 500,
    ) -> None:
        self.db = db
        self.model = model
        self.producer_factory = producer_factory
        self.batch_size = batch_size
        self._producer: KafkaProducer | None = None

    def publish(self, now_ms: int) -> int:
        """Send one batch of unsent rows; return how many were sent.

        On PostgreSQL the rows are locked until they are marked (``SKIP LOCKED``): processes of
        a projection group each send different rows, none sends a row another is sending.
        """
        outbox = self.model.outbox
        query = (
            sa.select(outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.value)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        with self.db.begin() as conn:
            rows = conn.execute(query).all()
            if not rows:
                return 0
            producer = self._producer or self.producer_factory()
            self._producer = producer
            futures = [producer.send(r.topic, r.value, key=r.key or None) for r in rows]
            producer.flush()
            for future in futures:
                future.get(timeout=0)
            conn.execute(
                outbox.update()
                .where(outbox.c.id.in_([r.id for r in rows]))
                .values(published_at=now_ms)
            )
        log.info("projection.outbox_published", messages=len(rows))
        return len(rows)

    def close(self) -> None:
        """Flush and drop the producer."""
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None

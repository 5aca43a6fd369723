"""Projection processes as one consumer group (issue 18.2): each owns some partitions of
case-events, keeps their positions in the read model's transaction, reviews the clock for its
own cases only, and a rebalance neither loses nor doubles an alert."""

from __future__ import annotations

import json
import signal
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from kafka import KafkaConsumer

from events import Codec, Topics
from projections.feed import partition_of
from projections.messages import REJECTED_AS, Source
from projections.readmodel import ReadModel
from services.runtime.kafkaclients import broker_endpoint, client_config
from services.runtime.settings import Settings
from tests.integration.projections.builders import DAY, T0, CaseStory, FakeClock, projector
from tests.integration.projections.conftest import publish
from tests.kafkatools import create_topics, poll_until
from tests.processes import spawn

MODEL = ReadModel()
CODEC = Codec.from_directory()
PARTITIONS = 4


def legal_aid_case() -> CaseStory:
    return CaseStory().add("LegalAidRequested", T0)  # due at the end of Thursday 5 March


def stalled_alerts(db: sa.Engine) -> list[str]:
    outbox = MODEL.outbox
    with db.connect() as conn:
        found = conn.execute(sa.select(outbox.c.message_id).where(outbox.c.kind == "stalled"))
        return sorted(found.scalars())


def queued_alerts(db: sa.Engine, topic: str) -> tuple[set[str], int]:
    """Every alert the read model raised (its outbox rows for ``topic``), and how many of
    them are not sent yet."""
    outbox = MODEL.outbox
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(outbox.c.message_id, outbox.c.published_at).where(outbox.c.topic == topic)
        ).all()
    return {row.message_id for row in rows}, sum(row.published_at is None for row in rows)


def test_a_member_reviews_the_clock_for_its_own_cases_only(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    db, clock = sa.create_engine(database_url), FakeClock(T0)
    proj = projector(make_settings(), db, clock)
    mine, theirs = legal_aid_case(), legal_aid_case()
    for offset, story in enumerate((mine, theirs)):
        partition = partition_of(story.case_id, PARTITIONS)
        proj.handle([Source("t.case-events", partition, offset, b"k", story.messages[0])])
    clock.now = T0 + 5 * DAY
    assert proj.tick(owns=lambda case_id: case_id == mine.case_id) == 1
    assert stalled_alerts(db) == [f"{mine.case_id}:stalled:1"]
    assert proj.tick(owns=lambda case_id: case_id == theirs.case_id) == 1
    assert proj.tick() == 0  # both reviewed: nothing is left waking, nothing doubles
    assert stalled_alerts(db) == sorted(f"{s.case_id}:stalled:1" for s in (mine, theirs))
    db.dispose()


@pytest.mark.integration
def test_the_relays_partitioner_puts_a_case_where_partition_of_says(
    kafka_settings: Settings,
) -> None:
    topic = Topics(kafka_settings.topic_prefix).case_events
    create_topics(broker_endpoint(kafka_settings), [topic], partitions=PARTITIONS)
    stories = [legal_aid_case() for _ in range(40)]
    publish(kafka_settings, stories)
    found = read(kafka_settings, topic, len(stories))
    assert {r.key.decode(): r.partition for r in found} == {
        s.case_id: partition_of(s.case_id, PARTITIONS) for s in stories
    }


def read(settings: Settings, topic: str, count: int) -> list[Any]:
    consumer = KafkaConsumer(
        topic, **client_config(broker_endpoint(settings)), auto_offset_reset="earliest"
    )
    records: list[Any] = []

    def more() -> bool:
        for batch in consumer.poll(timeout_ms=300).values():
            records.extend(batch)
        return len(records) >= count

    try:
        poll_until(more, 60, f"{count} records of {topic}")
        more()  # one more poll: a record sent twice would show here
    finally:
        consumer.close()
    return records


def owned(log: Path) -> list[int] | None:
    """The partitions ``log``'s process was last assigned (None before any assignment)."""
    if not log.exists():
        return None
    events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assigned = [e for e in events if e.get("event") == "projection.partitions_assigned"]
    return assigned[-1]["partitions"] if assigned else None


def split(logs: list[Path]) -> bool:
    """Whether the processes' latest assignments are each some, together all, partitions."""
    shares = [owned(log) or [] for log in logs]
    return all(shares) and sorted(p for share in shares for p in share) == list(range(PARTITIONS))


@pytest.mark.integration
def test_two_processes_share_the_partitions_and_a_rebalance_loses_and_doubles_no_alert(
    kafka_settings: Settings,
    postgres_url: str,
    tmp_path: Path,
) -> None:
    settings = kafka_settings.model_copy(
        update={"database_url": postgres_url, "projection_group": True, "batch_size": 20}
    )
    topics = Topics(settings.topic_prefix)
    endpoint = broker_endpoint(settings)
    create_topics(endpoint, [topics.case_events], partitions=PARTITIONS)
    create_topics(endpoint, [topics.alerts, topics.rejected(REJECTED_AS)])
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    first, second = (spawn(settings, "projections", "run", log=log) for log in logs)
    db = sa.create_engine(postgres_url)
    try:
        # The first process may hold every partition until the second one's join ends the
        # rebalance (longer on a loaded machine): wait until the two assignments split them.
        poll_until(lambda: split(logs), 120, "the partitions split between both processes")
        before = [legal_aid_case() for _ in range(60)]  # overdue long ago: stalled at once
        publish(settings, before)
        poll_until(lambda: len(stalled_alerts(db)) == len(before), 120, "first alerts")
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=60) == 0
        poll_until(lambda: owned(logs[1]) == list(range(PARTITIONS)), 120, "takeover")
        after = [legal_aid_case() for _ in range(60)]
        publish(settings, after)
        poll_until(lambda: len(stalled_alerts(db)) == 120, 120, "alerts after the rebalance")
        poll_until(lambda: queued_alerts(db, topics.alerts)[1] == 0, 120, "the outbox sent")
        raised = queued_alerts(db, topics.alerts)[0]
        alerts = read(settings, topics.alerts, len(raised))
    finally:
        for process in (first, second):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        db.dispose()
    ids = Counter(CODEC.decode(r.value).record["alert_id"] for r in alerts)
    # Long overdue, each case stalled once (and escalated too): every alert raised is on the
    # topic once, none lost or doubled across the rebalance.
    expected = {f"{s.case_id}:stalled:1" for s in before + after}
    assert {i for i in ids if ":stalled:" in i} == expected
    assert set(ids) == raised
    assert max(ids.values()) == 1, "an alert was sent twice"

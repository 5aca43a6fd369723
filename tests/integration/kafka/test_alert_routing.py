"""A supervising agency reads the alerts addressed to it with its own login, and only those."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from kafka import KafkaConsumer
from kafka.errors import KafkaError

from events import Codec, Topics
from services.kafka.acls import consumer_group_prefix
from services.kafka.provision import load_credentials, provision
from services.kafka.wiring import build_alert_router
from services.runtime.kafkaclients import broker_endpoint, client_config
from services.runtime.settings import DEFAULT_CONFIG_DIR, Settings
from services.runtime.supervisor import StopFlag
from tests.casefactory import alert_record
from tests.integration.kafka.conftest import _agency_id
from tests.kafkatools import poll_until, produce

pytestmark = pytest.mark.integration
KEPT = ("hotline-111", "district-582", "district-584")


@pytest.fixture
def supervised(intake_settings: Callable[..., Settings], tmp_path: Any) -> Settings:
    config = tmp_path / "config-alerts"
    settings = intake_settings()
    config.mkdir()
    for name in DEFAULT_CONFIG_DIR.iterdir():
        if name.is_file():
            (config / name.name).write_bytes(name.read_bytes())
    head, *blocks = (DEFAULT_CONFIG_DIR / "agencies.toml").read_text().split("[[agency]]")
    kept = [b for b in blocks if _agency_id(b) in KEPT]
    (config / "agencies.toml").write_text(head + "".join("[[agency]]" + b for b in kept))
    supervised = settings.model_copy(update={"config_dir": config})
    provision(supervised)
    return supervised


def read_as(
    settings: Settings, agency: str, topic: str, count: int, timeout_s: float
) -> list[bytes]:
    """``count`` values of ``topic`` read with ``agency``'s own login, then one more look."""
    saved = load_credentials(settings, agency)
    assert saved is not None
    consumer = KafkaConsumer(
        topic,
        **client_config(saved.endpoint(broker_endpoint(settings))),
        group_id=consumer_group_prefix(Topics(settings.topic_prefix), agency) + "alerts",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    values: list[bytes] = []
    try:

        def more() -> int:
            batch = consumer.poll(timeout_ms=300)
            values.extend(bytes(r.value) for records in batch.values() for r in records)
            return len(values)

        poll_until(lambda: more() >= count, timeout_s, f"{count} alerts for {agency}")
        more()
    finally:
        consumer.close()
    return values


def test_each_supervisor_reads_its_own_alerts_with_its_own_login(supervised: Settings) -> None:
    codec, topics = Codec.from_directory(), Topics(supervised.topic_prefix)
    to_582, to_both = alert_record(["district-582"]), alert_record(["district-582", "district-584"])
    produce(
        broker_endpoint(supervised),
        topics.alerts,
        [codec.encode("Alert", a) for a in (to_582, to_both)],
    )
    stop = StopFlag()
    router = threading.Thread(target=build_alert_router(supervised).run, args=(stop,))
    router.start()
    try:
        ids = {
            agency: [
                codec.decode(v).record["alert_id"]
                for v in read_as(supervised, agency, topics.alerts_for(agency), count, 30)
            ]
            for agency, count in (("district-582", 2), ("district-584", 1))
        }
    finally:
        stop.set()
        router.join(timeout=30)
    assert sorted(ids["district-582"]) == sorted([to_582["alert_id"], to_both["alert_id"]])
    assert ids["district-584"] == [to_both["alert_id"]]
    with pytest.raises((KafkaError, AssertionError)):
        read_as(supervised, "district-584", topics.alerts_for("district-582"), 1, 5)

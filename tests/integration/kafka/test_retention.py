"""Issue 19 point 4: every topic's retention on the real broker is what retention.toml says."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource

from events import Topics
from services.cases.agencies import load_agencies
from services.kafka.provision import SUPERVISING_ROLES, provision
from services.kafka.retention import RETENTION_FILE, load_retention, topics_by_kind
from services.runtime.kafkaclients import broker_endpoint, client_config
from services.runtime.settings import Settings
from tests.integration.kafka.conftest import small_config

# Two agencies and a supervising one: every kind of topic, few to create.
AGENCIES = ("hotline-111", "doh-khanh-hoa", "peoples-committee-khanh-hoa")


@pytest.fixture
def settings(intake_settings: Callable[..., Settings], tmp_path: Path) -> Settings:
    made = intake_settings(config_dir=small_config(tmp_path / "config", AGENCIES))
    provision(made)
    return made


def broker_configs(settings: Settings, names: list[str]) -> dict[str, dict[str, str]]:
    """What the broker reports for each topic's retention.ms and segment.ms."""
    admin = KafkaAdminClient(**client_config(broker_endpoint(settings)))
    try:
        wanted = {"retention.ms": None, "segment.ms": None}
        resources = [ConfigResource("TOPIC", name, dict(wanted)) for name in names]
        found = admin.describe_configs(resources, config_filter="all")
    finally:
        admin.close()
    return {
        name: {key: str(entry["value"]) for key, entry in configs.items()}
        for name, configs in found["topic"].items()
    }


def by_kind(settings: Settings) -> dict[str, list[str]]:
    directory = load_agencies(settings.config_dir).all()
    supervising = [a.id for a in directory if a.role in SUPERVISING_ROLES]
    return topics_by_kind(Topics(settings.topic_prefix), [a.id for a in directory], supervising)


def assert_matches_policy(settings: Settings) -> None:
    policy = load_retention(settings.config_dir)
    kinds = by_kind(settings)
    configs = broker_configs(settings, [name for names in kinds.values() for name in names])
    for kind, names in kinds.items():
        for name in names:
            for key, value in policy[kind].configs().items():
                assert configs[name][key] == value, (kind, name, key)


def test_every_topic_keeps_its_messages_as_long_as_the_policy_file_says(
    settings: Settings,
) -> None:
    assert all(by_kind(settings).values()), "the directory provisions every kind of topic"
    assert_matches_policy(settings)
    intake = Topics(settings.topic_prefix).intake("hotline-111")
    configs = broker_configs(settings, [Topics(settings.topic_prefix).case_events, intake])
    assert configs[Topics(settings.topic_prefix).case_events]["retention.ms"] == "-1"
    assert configs[intake]["retention.ms"] == str(168 * 3_600_000)


def test_a_changed_figure_reaches_the_existing_topics_at_the_next_provisioning(
    settings: Settings,
) -> None:
    path = settings.config_dir / RETENTION_FILE
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("retention_hours = 168", "retention_hours = 24"), "utf-8")
    provision(settings)
    assert load_retention(settings.config_dir)["intake"].hours == 24
    assert_matches_policy(settings)
    # max.message.bytes set by the same provisioning is kept (incremental change).
    intake = Topics(settings.topic_prefix).intake("hotline-111")
    admin = KafkaAdminClient(**client_config(broker_endpoint(settings)))
    try:
        found = admin.describe_configs(
            [ConfigResource("TOPIC", intake, {"max.message.bytes": None})], config_filter="all"
        )
    finally:
        admin.close()
    limit = found["topic"][intake]["max.message.bytes"]["value"]
    assert str(limit) == str(settings.max_submission_bytes)

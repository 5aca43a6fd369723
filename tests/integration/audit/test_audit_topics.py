"""Checkpoints and cosignatures travel on their Kafka topics; any agency may witness."""

from __future__ import annotations

import json
import uuid

import pytest

from deploy.kafka.launcher import BrokerEndpoint
from events.topics import Topics
from services.audit.note import Checkpoint, Note
from services.cases.application import CaseService
from services.kafka.acls import grant_agency
from services.kafka.provision import _save, credentials_file
from services.runtime.settings import Settings
from tests.kafkatools import consume, create_topics
from tests.processes import run as backbone

pytestmark = pytest.mark.integration
WITNESS = "procuracy-khanh-hoa"


def test_a_published_checkpoint_is_cosigned_on_the_cosignatures_topic_by_an_agency(
    kafka_settings: Settings, kafka_endpoint: BrokerEndpoint
) -> None:
    topics = Topics(kafka_settings.topic_prefix)
    create_topics(kafka_endpoint, [topics.checkpoints, topics.cosignatures])
    if kafka_endpoint.security_protocol.startswith("SASL"):
        granted = grant_agency(kafka_endpoint, topics, WITNESS)  # the witness writes as itself
        _save(credentials_file(kafka_settings, WITNESS), granted)
    service = CaseService.from_settings(kafka_settings)
    case = str(uuid.uuid4())
    service.report(case, {"channel": "hotline"}, "hotline-111", "s0", 1_700_000_000_000)
    service.close()

    done = backbone(kafka_settings, "audit", "checkpoint", "--publish")
    assert done.returncode == 0, done.stderr
    [published] = consume(kafka_endpoint, topics.checkpoints, count=1)
    assert published.value.decode() == done.stdout
    assert Checkpoint.parse(Note.parse(done.stdout).text).size == 1

    done = backbone(kafka_settings, "witness", "--agency", WITNESS, "--once")
    assert done.returncode == 0, done.stdout + done.stderr
    [cosigned] = consume(kafka_endpoint, topics.cosignatures, count=1)
    message = json.loads(cosigned.value)
    assert (cosigned.key, message["kind"], message["size"]) == (WITNESS.encode(), "cosignature", 1)
    assert len(Note.parse(message["note"]).signatures) == 2

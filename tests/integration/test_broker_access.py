"""The broker, not the backbone, stops an agency from touching another agency's topics."""

from __future__ import annotations

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ACL, ACLOperation, ACLPermissionType, ResourcePattern, ResourceType
from kafka.admin import ACLResourcePatternType as Pattern
from kafka.errors import ClusterAuthorizationFailedError, TopicAuthorizationFailedError

from deploy.kafka.launcher import BrokerEndpoint
from events.topics import Topics
from services.kafka.acls import AgencyCredentials, consumer_group_prefix, grant_agency
from services.runtime.kafkaclients import client_config
from tests.kafkatools import consume, create_topics, poll_until, produce

pytestmark = pytest.mark.integration
LITERAL = Pattern.LITERAL


@pytest.fixture
def agencies(
    kafka_endpoint: BrokerEndpoint, unique_name: str
) -> tuple[Topics, AgencyCredentials, AgencyCredentials]:
    if not kafka_endpoint.security_protocol.startswith("SASL"):
        pytest.skip("this broker has no SASL listener (ACLs need the project's launcher)")
    topics = Topics(unique_name)
    names = [
        f(a)
        for a in ("police-a", "court-b")
        for f in (topics.intake, topics.inbox, topics.rejected)
    ]
    create_topics(kafka_endpoint, names)
    police = grant_agency(kafka_endpoint, topics, "police-a")
    court = grant_agency(kafka_endpoint, topics, "court-b")
    return topics, police, court


def _producer(endpoint: BrokerEndpoint) -> KafkaProducer:
    return KafkaProducer(**client_config(endpoint), max_block_ms=10000, retries=0)


def test_an_agency_may_write_its_own_intake_topic(
    kafka_endpoint: BrokerEndpoint, agencies: tuple[Topics, AgencyCredentials, AgencyCredentials]
) -> None:
    topics, police, _ = agencies
    producer = _producer(police.endpoint(kafka_endpoint))
    try:
        producer.send(topics.intake("police-a"), b"own submission").get(timeout=20)
    finally:
        producer.close()
    received = consume(kafka_endpoint, topics.intake("police-a"), count=1)
    assert received[0].value == b"own submission"


def test_the_broker_refuses_writing_another_agencys_intake_topic(
    kafka_endpoint: BrokerEndpoint, agencies: tuple[Topics, AgencyCredentials, AgencyCredentials]
) -> None:
    topics, police, _ = agencies
    producer = _producer(police.endpoint(kafka_endpoint))
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            producer.send(topics.intake("court-b"), b"forged").get(timeout=20)
    finally:
        producer.close()


def test_the_broker_refuses_reading_another_agencys_inbox(
    kafka_endpoint: BrokerEndpoint, agencies: tuple[Topics, AgencyCredentials, AgencyCredentials]
) -> None:
    topics, police, court = agencies
    produce(kafka_endpoint, topics.inbox("court-b"), [b"for the court only"])
    consumer = KafkaConsumer(
        **client_config(police.endpoint(kafka_endpoint)), enable_auto_commit=False
    )
    inbox = TopicPartition(topics.inbox("court-b"), 0)
    read: list[object] = []
    try:
        consumer.assign([inbox])
        consumer.seek(inbox, 0)

        def refused() -> bool:
            read.extend(consumer.poll(timeout_ms=200).values())
            # kafka-python records the broker's TOPIC_AUTHORIZATION_FAILED in its metadata.
            return inbox.topic in consumer._client.cluster.unauthorized_topics

        poll_until(refused, 20, "the broker's authorization refusal")
        for _ in range(5):
            read.extend(consumer.poll(timeout_ms=200).values())
        assert read == [], "police read the court's inbox"
    finally:
        consumer.close()
    assert _court_reads_its_inbox(kafka_endpoint, topics, court) == b"for the court only"


def _court_reads_its_inbox(
    kafka_endpoint: BrokerEndpoint, topics: Topics, court: AgencyCredentials
) -> bytes:
    """The first message of the court's inbox, read with the court's own credentials."""
    own = consume(
        court.endpoint(kafka_endpoint),
        topics.inbox("court-b"),
        count=1,
        group_id=consumer_group_prefix(topics, "court-b") + "inbox",
    )
    value: bytes = own[0].value
    return value


def test_an_agency_cannot_reset_another_agencys_password(
    kafka_endpoint: BrokerEndpoint, agencies: tuple[Topics, AgencyCredentials, AgencyCredentials]
) -> None:
    topics, police, court = agencies
    with pytest.raises(RuntimeError, match="refused the SCRAM user"):
        grant_agency(police.endpoint(kafka_endpoint), topics, "court-b", "known-to-the-police")
    # The court still logs in with its own password.
    produce(kafka_endpoint, topics.inbox("court-b"), [b"still the court's"])
    assert _court_reads_its_inbox(kafka_endpoint, topics, court) == b"still the court's"


def test_an_agency_cannot_grant_itself_another_agencys_inbox(
    kafka_endpoint: BrokerEndpoint, agencies: tuple[Topics, AgencyCredentials, AgencyCredentials]
) -> None:
    topics, police, _ = agencies
    inbox = ResourcePattern(ResourceType.TOPIC, topics.inbox("court-b"), LITERAL)
    acl = ACL("User:police-a", "*", ACLOperation.READ, ACLPermissionType.ALLOW, inbox)
    admin = KafkaAdminClient(**client_config(police.endpoint(kafka_endpoint)))
    try:
        result = admin.create_acls([acl])
    except ClusterAuthorizationFailedError:
        result = {"succeeded": [], "failed": [acl]}
    finally:
        admin.close()
    assert result["succeeded"] == [] and result["failed"], "an agency granted itself an ACL"

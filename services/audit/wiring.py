"""Composition root of the audit log's processes: the checkpointer's publisher and the witness,
built from the settings."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from events import Topics
from services.audit.service import AuditService
from services.audit.signingkeys import log_verifier, witness_signer
from services.audit.witness import StoreSource, Witness
from services.runtime.settings import Settings


def text_publisher(settings: Settings, user: str) -> Callable[[str, str], None]:
    """Send text messages keyed by ``user``, as that agency when it has credentials."""
    from kafka import KafkaProducer

    from services.kafka.provision import load_credentials
    from services.runtime.kafkaclients import broker_endpoint, client_config

    endpoint = broker_endpoint(settings)
    credentials = load_credentials(settings, user)
    if credentials is not None:
        endpoint = credentials.endpoint(endpoint)
    producer = KafkaProducer(**client_config(endpoint), acks="all")

    def send(topic: str, text: str) -> None:
        producer.send(topic, text.encode("utf-8"), key=user.encode()).get(timeout=30)

    return send


def _no_broker(topic: str, text: str) -> None:
    """Publishing switched off: the store keeps the cosignatures."""


@contextmanager
def witness_for(settings: Settings, agency: str, publish: bool = True) -> Iterator[Witness]:
    """``agency``'s witness on the store's audit log, its cosignatures and alarms published
    (unless not ``publish``); the log's connections are released when the block ends."""
    audit = AuditService.from_settings(settings)
    try:
        topic = Topics(settings.topic_prefix).cosignatures
        send = text_publisher(settings, agency) if publish else _no_broker
        yield Witness(
            agency,
            witness_signer(settings, agency),
            log_verifier(settings),
            settings.home / "witnesses" / agency / "state.json",
            StoreSource(audit),
            lambda message: send(topic, json.dumps(message, ensure_ascii=False)),
        )
    finally:
        audit.close()

"""Per-agency SCRAM users and ACLs: an agency writes only its own intake topic and reads only
its own inbox, rejection and alert topics (and commits offsets only in its own consumer groups)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from kafka import KafkaAdminClient
from kafka.admin import (
    ACL,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourceType,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from deploy.kafka.launcher import BrokerEndpoint
from events.topics import Topics
from services.runtime.kafkaclients import client_config


@dataclass(frozen=True)
class AgencyCredentials:
    """What an agency system needs to reach the broker as itself."""

    agency: str
    password: str

    def endpoint(self, broker: BrokerEndpoint) -> BrokerEndpoint:
        return replace(broker, username=self.agency, password=self.password)


def consumer_group_prefix(topics: Topics, agency: str) -> str:
    """Consumer groups an agency may use all start with this."""
    return f"{topics.prefix}.agency.{agency}."


def agency_acls(topics: Topics, agency: str) -> list[ACL]:
    """The ACLs that give ``agency`` exactly its own topics."""
    principal = f"User:{agency}"

    def allow(
        op: ACLOperation, kind: ResourceType, name: str, pattern: ACLResourcePatternType
    ) -> ACL:
        resource = ResourcePattern(kind, name, pattern)
        return ACL(principal, "*", op, ACLPermissionType.ALLOW, resource)

    literal, prefixed = ACLResourcePatternType.LITERAL, ACLResourcePatternType.PREFIXED
    acls = [
        allow(op, ResourceType.TOPIC, topics.intake(agency), literal)
        for op in (ACLOperation.WRITE, ACLOperation.DESCRIBE)
    ]
    for readable in (topics.inbox(agency), topics.rejected(agency), topics.alerts_for(agency)):
        acls += [
            allow(op, ResourceType.TOPIC, readable, literal)
            for op in (ACLOperation.READ, ACLOperation.DESCRIBE)
        ]
    # Any agency may witness the audit log: read its checkpoints, publish its cosignatures.
    acls += [
        allow(op, ResourceType.TOPIC, topics.checkpoints, literal)
        for op in (ACLOperation.READ, ACLOperation.DESCRIBE)
    ]
    acls += [
        allow(op, ResourceType.TOPIC, topics.cosignatures, literal)
        for op in (ACLOperation.WRITE, ACLOperation.DESCRIBE)
    ]
    acls.append(
        allow(
            ACLOperation.READ, ResourceType.GROUP, consumer_group_prefix(topics, agency), prefixed
        )
    )
    return acls


def grant_agency(
    admin_endpoint: BrokerEndpoint, topics: Topics, agency: str, password: str | None = None
) -> AgencyCredentials:
    """Create (or reset) the agency's SCRAM user and its ACLs; return its credentials."""
    credentials = AgencyCredentials(agency, password or secrets.token_urlsafe(24))
    admin = KafkaAdminClient(**client_config(admin_endpoint))
    try:
        upsert = UserScramCredentialUpsertion(
            agency, ScramMechanism.SCRAM_SHA_256, credentials.password
        )
        errors = {k: v for k, v in admin.alter_user_scram_credentials([upsert]).items() if v}
        if errors:
            raise RuntimeError(f"broker refused the SCRAM user of {agency}: {errors}")
        result = admin.create_acls(agency_acls(topics, agency))
        if result.get("failed"):
            raise RuntimeError(f"broker refused ACLs of {agency}: {result['failed']}")
    finally:
        admin.close()
    return credentials

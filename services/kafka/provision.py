"""Provisioning: every topic, each agency's SCRAM user, ACLs, credentials file and inbox keys.

Idempotent: topics that exist are kept, a saved password is granted again rather than replaced
(so agency systems keep working and a fresh broker gets the users back), keys are created once.
Passwords live only in owner-only files under ``settings.effective_credentials_dir``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from deploy.kafka.launcher import BrokerEndpoint
from events import Topics
from services.cases.agencies import load_agencies
from services.kafka.acls import AgencyCredentials, grant_agency
from services.kafka.retention import apply_retention, topics_by_kind
from services.kafka.sealingkeys import agency_keypair, backbone_keypair
from services.runtime.kafkaclients import (
    broker_endpoint,
    ensure_topics,
    min_insync_of,
    replication_of,
    set_topic_configs,
)
from services.runtime.logs import get_logger
from services.runtime.settings import Settings

log = get_logger(__name__)
SUPERVISING_ROLES = frozenset({"supervisor"})  # they receive alerts (escalation.toml)


def topic_names(
    topics: Topics, agencies: Iterable[str], supervising: Iterable[str] = ()
) -> list[str]:
    """The backbone's topics: case-events, alerts, the audit log's checkpoints and
    cosignatures, intake/rejected/inbox per agency, and the alerts addressed to each
    supervising agency."""
    by_kind = topics_by_kind(topics, agencies, supervising)
    return [name for names in by_kind.values() for name in names]


def provision(settings: Settings) -> dict[str, AgencyCredentials]:
    """Create what every agency of the directory needs; return the credentials by agency.

    On a PLAINTEXT broker (containers, compose) there are no users to grant: the result is
    empty and the skip is logged.
    """
    directory = load_agencies(settings.config_dir).all()
    agencies = [agency.id for agency in directory]
    supervising = [agency.id for agency in directory if agency.role in SUPERVISING_ROLES]
    topics = Topics(settings.topic_prefix)
    endpoint = broker_endpoint(settings)
    names = topic_names(topics, agencies, supervising)
    replication = replication_of(settings)
    ensure_topics(endpoint, names, settings.topic_partitions, replication)
    # Topics made before the cluster grew keep their copies but gain the in-sync minimum.
    set_topic_configs(endpoint, names, {"min.insync.replicas": str(min_insync_of(replication))})
    limit_submissions(settings, endpoint, [topics.intake(agency) for agency in agencies])
    apply_retention(settings.config_dir, endpoint, topics_by_kind(topics, agencies, supervising))
    backbone_keypair(settings)
    for agency in agencies:
        agency_keypair(settings, agency)
    credentials = _grant_all(settings, endpoint, topics, agencies)
    log.info("provision.done", agencies=len(agencies), topics=len(names), users=len(credentials))
    return credentials


def limit_submissions(
    settings: Settings, endpoint: BrokerEndpoint, intake_topics: list[str]
) -> None:
    """The broker refuses an intake message beyond the backbone's maximum submission size."""
    limit = {"max.message.bytes": str(settings.max_submission_bytes)}
    set_topic_configs(endpoint, intake_topics, limit)
    log.info(
        "provision.submission_limit",
        topics=len(intake_topics),
        max_message_bytes=settings.max_submission_bytes,
    )


def credentials_file(settings: Settings, agency: str) -> Path:
    """Where ``agency``'s broker credentials are kept."""
    return settings.effective_credentials_dir / f"{agency}.json"


def load_credentials(settings: Settings, agency: str) -> AgencyCredentials | None:
    """The saved credentials of ``agency``, or None before provisioning (or on PLAINTEXT)."""
    path = credentials_file(settings, agency)
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return AgencyCredentials(str(data["agency"]), str(data["password"]))


def _grant_all(
    settings: Settings, endpoint: BrokerEndpoint, topics: Topics, agencies: list[str]
) -> dict[str, AgencyCredentials]:
    if not endpoint.security_protocol.startswith("SASL"):
        log.info(
            "provision.acls_skipped",
            reason="plaintext_broker",
            security_protocol=endpoint.security_protocol,
        )
        return {}
    granted: dict[str, AgencyCredentials] = {}
    for agency in agencies:
        saved = load_credentials(settings, agency)
        granted[agency] = grant_agency(endpoint, topics, agency, saved.password if saved else None)
        if saved is None:
            _save(credentials_file(settings, agency), granted[agency])
        log.info("provision.agency_granted", agency=agency, reused=saved is not None)
    return granted


def _save(path: Path, credentials: AgencyCredentials) -> None:
    """Write owner-only from the first byte: the file is created with mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    text = json.dumps({"agency": credentials.agency, "password": credentials.password})
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    tmp.replace(path)

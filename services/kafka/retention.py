"""Retention of every topic as policy: ``deploy/config/retention.toml``, applied at provisioning.

The file names each kind of topic with its retention (hours, or forever) and the reason for it;
provisioning sets ``retention.ms`` and ``segment.ms`` on every topic of that kind each time it
runs, so a changed figure reaches the topics that already exist.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from deploy.kafka.launcher import BrokerEndpoint
from events import Topics
from services.kafka.clients import set_topic_configs
from services.logs import get_logger

log = get_logger(__name__)
RETENTION_FILE = "retention.toml"
HOUR_MS = 3_600_000
KINDS = (
    "intake",
    "rejected",
    "inbox",
    "case-events",
    "alerts",
    "supervisor-alerts",
    "checkpoints",
    "cosignatures",
)


@dataclass(frozen=True)
class Retention:
    """How long one kind of topic keeps its messages, and why."""

    kind: str
    hours: int | None  # None: forever
    segment_hours: int | None
    reason: str

    def configs(self) -> dict[str, str]:
        """The broker's topic settings for this retention."""
        configs = {"retention.ms": "-1" if self.hours is None else str(self.hours * HOUR_MS)}
        if self.segment_hours is not None:
            configs["segment.ms"] = str(self.segment_hours * HOUR_MS)
        return configs


def load_retention(config_dir: Path) -> dict[str, Retention]:
    """Every kind's retention; a missing kind, figure or reason is an error naming the file."""
    path = config_dir / RETENTION_FILE
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    unknown = sorted(set(data) - set(KINDS))
    if unknown:
        raise ValueError(f"{path}: unknown topic kinds {unknown}; known: {list(KINDS)}")
    return {kind: _entry(path, kind, data.get(kind)) for kind in KINDS}


def _entry(path: Path, kind: str, section: object) -> Retention:
    if not isinstance(section, Mapping):
        raise ValueError(f"{path}: [{kind}] is missing; every kind of topic needs a retention")
    reason = str(section.get("reason", "")).strip()
    forever = section.get("forever") is True
    hours, segment = section.get("retention_hours"), section.get("segment_hours")
    if not reason:
        raise ValueError(f"{path}: [{kind}] needs a reason")
    if forever == (hours is not None):
        raise ValueError(f"{path}: [{kind}] needs either retention_hours or forever = true")
    for name, value in (("retention_hours", hours), ("segment_hours", segment)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ValueError(f"{path}: [{kind}] {name} must be a whole number of hours ≥ 1")
    return Retention(kind, None if forever else hours, segment, reason)


def topics_by_kind(
    topics: Topics, agencies: Iterable[str], supervising: Iterable[str] = ()
) -> dict[str, list[str]]:
    """The backbone's topic names, grouped by the kinds of ``retention.toml``."""
    agencies, supervising = list(agencies), list(supervising)
    return {
        "case-events": [topics.case_events],
        "alerts": [topics.alerts],
        "checkpoints": [topics.checkpoints],
        "cosignatures": [topics.cosignatures],
        "intake": [topics.intake(agency) for agency in agencies],
        "rejected": [topics.rejected(agency) for agency in agencies],
        "inbox": [topics.inbox(agency) for agency in agencies],
        "supervisor-alerts": [topics.alerts_for(agency) for agency in supervising],
    }


def apply_retention(
    config_dir: Path, endpoint: BrokerEndpoint, by_kind: Mapping[str, list[str]]
) -> None:
    """Set every topic's retention from the policy file (again: a change reaches old topics)."""
    policy = load_retention(config_dir)
    for kind, names in by_kind.items():
        if names:
            set_topic_configs(endpoint, names, policy[kind].configs())
    log.info(
        "provision.retention",
        kinds={kind: policy[kind].configs()["retention.ms"] for kind in by_kind},
    )

"""Retention of every topic as policy: ``deploy/config/retention.toml``, applied at provisioning.

The file names each kind of topic with its retention (hours, or forever) and the reason for it;
provisioning sets ``retention.ms`` and ``segment.ms`` on every topic of that kind each time it
runs, so a changed figure reaches the topics that already exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NotRequired, cast

from pydantic import with_config
from typing_extensions import TypedDict

from deploy.kafka.launcher import BrokerEndpoint
from events import Topics
from services.runtime import tomlfile
from services.runtime.kafkaclients import set_topic_configs
from services.runtime.logs import get_logger

log = get_logger(__name__)
RETENTION_FILE = "retention.toml"
HOUR_MS = 3_600_000


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


@with_config(tomlfile.STRICT)
class RetentionTable(TypedDict):
    retention_hours: NotRequired[int]
    segment_hours: NotRequired[int]
    forever: NotRequired[bool]
    reason: str


# Every kind of topic needs its table; kinds are spelt with hyphens, hence the functional form.
RetentionFile = TypedDict(
    "RetentionFile",
    {
        "intake": RetentionTable,
        "rejected": RetentionTable,
        "inbox": RetentionTable,
        "case-events": RetentionTable,
        "alerts": RetentionTable,
        "supervisor-alerts": RetentionTable,
        "checkpoints": RetentionTable,
        "cosignatures": RetentionTable,
    },
)
with_config(tomlfile.STRICT)(RetentionFile)
KINDS: tuple[str, ...] = tuple(RetentionFile.__annotations__)


def load_retention(config_dir: Path) -> dict[str, Retention]:
    """Every kind's retention; a missing kind, figure or reason is refused naming the table."""
    path = config_dir / RETENTION_FILE
    # A TypedDict of eight same-shaped tables, read by kind name.
    data = cast(Mapping[str, RetentionTable], tomlfile.read(path, RetentionFile))
    return {kind: _entry(path, kind, data[kind]) for kind in KINDS}


def _entry(path: Path, kind: str, section: RetentionTable) -> Retention:
    hours, segment = section.get("retention_hours"), section.get("segment_hours")
    forever = section.get("forever", False)
    if not section["reason"].strip():
        raise tomlfile.refuse(path, kind, "reason", "is empty; say why the topic keeps so long")
    if forever == (hours is not None):
        raise tomlfile.refuse(
            path, kind, "retention_hours", "or forever = true: exactly one of them is needed"
        )
    for name, value in (("retention_hours", hours), ("segment_hours", segment)):
        if value is not None and value < 1:
            raise tomlfile.refuse(path, kind, name, "must be a whole number of hours ≥ 1")
    return Retention(kind, None if forever else hours, segment, section["reason"].strip())


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

"""Kafka topic names, all under one configurable prefix (default `backbone`)."""

import re
from dataclasses import dataclass

from events.errors import ContractError, Reason

_AGENCY_ID = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Topics:
    """Topic names under `prefix`; agency ids are letters, digits, `_` and `-`."""

    prefix: str = "backbone"

    @property
    def case_events(self) -> str:
        """Recorded case events, `CaseEvent` records keyed by case_id."""
        return f"{self.prefix}.case-events"

    @property
    def alerts(self) -> str:
        """Alerts to supervisors, e.g. stalled cases."""
        return f"{self.prefix}.alerts"

    @property
    def checkpoints(self) -> str:
        """Signed checkpoints of the audit log (C2SP signed notes, text)."""
        return f"{self.prefix}.checkpoints"

    @property
    def cosignatures(self) -> str:
        """Witnesses' cosigned checkpoints and their alarms (JSON, keyed by witness agency)."""
        return f"{self.prefix}.cosignatures"

    @property
    def intake_pattern(self) -> str:
        """Regular expression matching every agency's intake topic (to subscribe to them all)."""
        return rf"^{re.escape(self.prefix)}\.intake\.{_AGENCY_ID.pattern}$"

    def intake(self, agency: str) -> str:
        """Where `agency` publishes its step records."""
        return f"{self.prefix}.intake.{_checked(agency)}"

    def rejected(self, agency: str) -> str:
        """Where the backbone returns `agency`'s messages it could not accept (`Rejection`)."""
        return f"{self.prefix}.rejected.{_checked(agency)}"

    def inbox(self, agency: str) -> str:
        """Where `agency` receives the case events addressed to it."""
        return f"{self.prefix}.inbox.{_checked(agency)}"

    def alerts_for(self, agency: str) -> str:
        """Where the alerts addressed to ``agency`` (a supervising agency) are copied."""
        return f"{self.prefix}.alerts.{_checked(agency)}"

    def agency_of(self, topic: str) -> str:
        """The agency id in an intake, rejected or inbox topic name."""
        head, _, agency = topic.rpartition(".")
        kinds = {f"{self.prefix}.{kind}" for kind in ("intake", "rejected", "inbox")}
        if head not in kinds or not _AGENCY_ID.fullmatch(agency):
            raise ContractError(Reason.BAD_TOPIC_NAME, f"{topic} is not a per-agency topic")
        return agency


def _checked(agency: str) -> str:
    if not _AGENCY_ID.fullmatch(agency):
        raise ContractError(
            Reason.BAD_TOPIC_NAME, f"agency id {agency!r} may hold only letters, digits, _ and -"
        )
    return agency

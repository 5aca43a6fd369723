"""Named refusals of the reporting context: a machine ``reason`` and a sentence to act on."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.reporting.domainmodel import Sending


class ReportingError(Exception):
    """Base of every refusal: nothing was recorded."""

    reason = "reporting_error"


class ReportAlreadySent(ReportingError):
    reason = "report_already_sent"

    def __init__(self, sending: Sending) -> None:
        super().__init__(
            f"the {sending.duty} report of {sending.year} was already recorded as sent on "
            f"{sending.sent_on.isoformat()}; nothing was recorded"
        )


class UnknownDuty(ReportingError):
    reason = "unknown_duty"

    def __init__(self, duty: str, known: list[str]) -> None:
        super().__init__(
            f"no periodic report {duty!r} in reporting.toml; the reports are: {', '.join(known)}"
        )


class SentInFuture(ReportingError):
    reason = "sent_in_future"

    def __init__(self, day: date) -> None:
        super().__init__(
            f"{day.isoformat()} is after today; record a report as sent once it has been sent"
        )

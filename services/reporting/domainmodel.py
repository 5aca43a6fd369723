"""A periodic report of one year (the six-monthly report due before 15 May 2026, say) and the
fact that it was sent to its recipient.

One aggregate per duty and year, so a second sending of the same report is refused rather
than recorded twice. Imports: standard library and ``eventsourcing.domain`` only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.reporting.errors import ReportAlreadySent


def report_id(duty: str, year: int) -> UUID:
    """The stream of the ``duty`` report due in ``year``: the same id on every machine."""
    return uuid5(NAMESPACE_URL, f"referral-backbone:periodic-report:{duty}:{year}")


@dataclass(frozen=True)
class Sending:
    """What was sent, when, to whom; ``digest`` is the SHA-256 of the file sent (may be empty),
    ``as_of`` the instant its data was taken as of (ISO text, may be empty)."""

    duty: str
    year: int
    sent_on: date
    recipient: str
    reference: str
    sent_by: str
    digest: str
    as_of: str


class PeriodicReport(Aggregate):
    """The ``duty`` report due in ``year``, created by its one sending (primitive fields only,
    so the stored event reads the same in any later version)."""

    @staticmethod
    def create_id(duty: str, year: int, **_: object) -> UUID:
        return report_id(duty, year)

    @event("ReportSent")
    def __init__(
        self,
        duty: str,
        year: int,
        sent_on: str,
        recipient: str,
        reference: str,
        sent_by: str,
        digest: str,
        as_of: str,
    ) -> None:
        self.sending = Sending(
            duty, year, date.fromisoformat(sent_on), recipient, reference, sent_by, digest, as_of
        )

    @classmethod
    def send(cls, sending: Sending, already: PeriodicReport | None) -> PeriodicReport:
        """Record the sending, refused when this report was recorded as sent already."""
        if already is not None:
            raise ReportAlreadySent(already.sending)
        fields = asdict(sending) | {"sent_on": sending.sent_on.isoformat()}
        return cls(**fields)

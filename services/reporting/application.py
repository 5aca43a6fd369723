"""Use cases on the periodic reports: record that one was sent, read whether it was.

The sendings are events in the store's database, in a table of their own
(``reportingduties_events``): the relay publishes only the case events, so a sending never
reaches agencies as a case step. Load, ask the aggregate, save, as for cases.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import Environment, EnvType

from deploy.process import private_home
from projections.statistics.duties import Reporting, load_reporting
from services.cases.application import store_env
from services.reporting.domainmodel import PeriodicReport, Sending, report_id
from services.reporting.errors import ReportAlreadySent, SentInFuture, UnknownDuty
from services.runtime.logs import get_logger
from services.runtime.settings import Settings
from services.runtime.tables import despite_racing_creators

log = get_logger(__name__)


class ReportingService(Application[UUID]):
    """The sendings of the periodic reports, over the store's database."""

    name = "ReportingDuties"

    def __init__(self, settings: Settings, reporting: Reporting) -> None:
        self.reporting = reporting
        despite_racing_creators(
            lambda: super(ReportingService, self).__init__(env=store_env(settings))
        )

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        """Only the settings passed in: ``services.runtime.settings`` alone reads the
        environment."""
        return Environment(name, dict(env or {}))

    @classmethod
    def from_settings(cls, settings: Settings) -> ReportingService:
        private_home(settings.home, settings.embedded_store)
        return cls(settings, load_reporting(settings.config_dir))

    def record_sent(self, sending: Sending, today: date) -> Sending:
        """Record that the ``sending.duty`` report due in ``sending.year`` was sent; an empty
        recipient is the one that held the role on the report's due date."""
        known = [duty.id for duty in self.reporting.duties]
        if sending.duty not in known:
            raise UnknownDuty(sending.duty, known)
        if sending.sent_on > today:
            raise SentInFuture(sending.sent_on)
        if not sending.recipient:
            sending = self._with_recipient(sending)
        report = PeriodicReport.send(sending, self._load(sending.duty, sending.year))
        try:
            self.save(report)
        except IntegrityError:  # another process recorded it meanwhile
            raced = self._load(sending.duty, sending.year)
            raise ReportAlreadySent(raced.sending if raced else sending) from None
        log.info("report.sent", duty=sending.duty, year=sending.year, recipient=sending.recipient)
        return sending

    def sent_on(self, duty: str, year: int, known_by: datetime | None = None) -> date | None:
        """The day the report was sent, if it was recorded as sent by ``known_by`` (default:
        now); the board "as of" an instant shows only what was on record then."""
        report = self._load(duty, year)
        if report is None or (known_by is not None and report.created_on > known_by):
            return None
        return report.sending.sent_on

    def _with_recipient(self, sending: Sending) -> Sending:
        duty = next(d for d in self.reporting.duties if d.id == sending.duty)
        holder = self.reporting.recipient_on(duty.due_date(sending.year) - timedelta(days=1))
        recipient = "" if holder is None else holder.id
        return replace(sending, recipient=recipient)

    def _load(self, duty: str, year: int) -> PeriodicReport | None:
        try:
            report: PeriodicReport = self.repository.get(report_id(duty, year))
        except AggregateNotFoundError:
            return None
        return report

"""The plan's periodic reports as the supervisors' board shows them (CLI; the web dashboard
reads :func:`projections.statistics.duties.duties_on_board` and ``duty_json``)."""

from __future__ import annotations

from datetime import datetime

from rich.table import Table

from projections.statistics.duties import DutyStatus, duties_on_board
from services.cases.agencies import load_agencies
from services.reporting.application import ReportingService
from services.runtime.i18n import Translator, translator
from services.runtime.settings import Settings


def reporting_duties(
    settings: Settings, at: datetime, sendings: ReportingService | None = None
) -> list[DutyStatus]:
    """The reports due, late or sent at ``at``, on the province's calendar (a sending counts
    from when it was recorded, so the board as of a past instant shows what was known then).
    ``sendings``: an open service to read them (a board kept up to date keeps one); by
    default one is opened for this answer and closed."""
    zone = load_agencies(settings.config_dir).zone
    service = sendings or ReportingService.from_settings(settings)
    try:
        return duties_on_board(
            settings.config_dir, at, zone, lambda duty, year: service.sent_on(duty, year, at)
        )
    finally:
        if sendings is None:
            service.close()


def duties_table(found: list[DutyStatus], t: Translator) -> Table:
    """One row per report due, late or sent: which, for which period, by when, to whom."""
    table = Table(title=t.gettext("Reporting duties"))
    for column in ("Report", "Period", "Due before", "Recipient", "Status"):
        table.add_column(t.gettext(column))
    for status in found:
        duty, recipient = status.duty, status.recipient
        name = duty.name_vi if t.lang == "vi" else duty.name_en
        who = (
            ""
            if recipient is None
            else (recipient.name_vi if t.lang == "vi" else recipient.name_en)
        )
        state = t.gettext(status.state)
        if status.sent_on is not None:
            late = " " + t.gettext("(late)") if status.sent_late else ""
            state = f"{state} {t.date(status.sent_on)}{late}"
        table.add_row(
            name,
            f"{t.date(status.period_start)} - {t.date(status.period_end)}",
            t.date(status.due_before),
            who,
            f"[bold red]{state}[/]" if status.state == "late" else state,
        )
    return table


def english(settings: Settings) -> Translator:
    """The board's language until the CLI takes one from the user."""
    return translator("en", load_agencies(settings.config_dir).zone)

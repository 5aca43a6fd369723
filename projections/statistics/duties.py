"""The plan's periodic reports as obligations: their periods, due dates and recipients.

Read from ``reporting.toml`` (data, with validity dates: the recipient changed with the 2025
reorganisation and will change again). :func:`duties_on_board` answers what the supervisors'
board shows on a day: the reports due within ``notice_days`` and those past their due date for
up to ``late_for_days``, and those recorded as sent (``services/reporting``) in the same window,
marked sent with their day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, NotRequired
from zoneinfo import ZoneInfo

from pydantic import with_config
from typing_extensions import TypedDict

from services.runtime import tomlfile

REPORTING = "reporting.toml"
State = Literal["due", "late", "sent"]
SentOn = Callable[[str, int], "date | None"]
"""The day the ``duty`` report due in ``year`` was recorded as sent, or None."""


def never_sent(duty: str, year: int) -> date | None:
    return None


@dataclass(frozen=True)
class Recipient:
    id: str
    name_vi: str
    name_en: str
    valid_from: date
    valid_to: date | None

    def holds(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Duty:
    """A kind of periodic report: the period it covers and when it is due (month, day)."""

    id: str
    name_vi: str
    name_en: str
    period_from: tuple[int, int]
    period_to: tuple[int, int]
    due_before: tuple[int, int]
    source: str
    unconfirmed: bool
    cited_in: str = ""  # docs/PAGE.md#heading recording what was read of the source

    def period(self, year: int) -> tuple[date, date]:
        """First and last day of the report due in ``year``."""
        last = date(year, *self.period_to)
        first = date(year, *self.period_from)
        if first > last:
            first = date(year - 1, *self.period_from)
        return first, last

    def due_date(self, year: int) -> date:
        """The first day the report of ``year`` is late."""
        return date(year, *self.due_before)


@dataclass(frozen=True)
class DutyStatus:
    """One report on the board: which, for which period, due when, to whom, due, late or sent
    (on ``sent_on``; ``sent_late`` when on or after its due date)."""

    duty: Duty
    period_start: date
    period_end: date
    due_before: date
    recipient: Recipient | None
    state: State
    sent_on: date | None = None

    @property
    def sent_late(self) -> bool:
        return self.sent_on is not None and self.sent_on >= self.due_before


@dataclass(frozen=True)
class Reporting:
    duties: tuple[Duty, ...]
    recipients: tuple[Recipient, ...]
    notice_days: int
    late_for_days: int

    def recipient_on(self, day: date) -> Recipient | None:
        return next((r for r in self.recipients if r.holds(day)), None)

    def on_board(self, today: date, sent_on: SentOn = never_sent) -> list[DutyStatus]:
        """Reports due within the notice window or late within the late window on ``today``;
        one recorded as sent by then shows as sent instead (like a met obligation, with its
        day, so the board says the report went out)."""
        found = []
        for duty in self.duties:
            for year in (today.year - 1, today.year, today.year + 1):
                due = duty.due_date(year)
                if due - timedelta(days=self.notice_days) <= today < due:
                    state: State = "due"
                elif due <= today < due + timedelta(days=self.late_for_days):
                    state = "late"
                else:
                    continue
                sent = sent_on(duty.id, year)
                if sent is not None and sent > today:
                    sent = None  # not sent yet on the board's day
                if sent is not None:
                    state = "sent"
                first, last = duty.period(year)
                recipient = self.recipient_on(due - timedelta(days=1))
                found.append(DutyStatus(duty, first, last, due, recipient, state, sent))
        return sorted(found, key=lambda s: (s.due_before, s.duty.id))


@with_config(tomlfile.STRICT)
class DutyTable(TypedDict):
    id: str
    name_vi: str
    name_en: str
    period_from: str  # "MM-DD"
    period_to: str
    due_before: str
    source: NotRequired[str]
    unconfirmed: NotRequired[bool]
    cited_in: NotRequired[str]


@with_config(tomlfile.STRICT)
class ReportRecipientTable(TypedDict):
    id: str
    name_vi: str
    name_en: str
    valid_from: date
    valid_to: NotRequired[date]


@with_config(tomlfile.STRICT)
class ReportingFile(TypedDict, total=False):
    notice_days: int
    late_for_days: int
    duty: list[DutyTable]
    recipient: list[ReportRecipientTable]


def load_reporting(config_dir: Path) -> Reporting:
    """The reporting duties of the deployment (``reporting.toml`` in its config directory)."""
    path = config_dir / REPORTING
    data = tomlfile.read(path, ReportingFile)
    duties = tuple(_duty(path, number, item) for number, item in enumerate(data.get("duty", []), 1))
    recipients = tuple(_recipient(item) for item in data.get("recipient", []))
    return Reporting(duties, recipients, data.get("notice_days", 30), data.get("late_for_days", 60))


def duties_on_board(
    config_dir: Path, at: datetime, zone: ZoneInfo, sent_on: SentOn = never_sent
) -> list[DutyStatus]:
    """What the supervisors' board shows at ``at`` (the web dashboard calls this)."""
    return load_reporting(config_dir).on_board(at.astimezone(zone).date(), sent_on)


def _duty(path: Path, number: int, item: DutyTable) -> Duty:
    def month_day(key: Literal["period_from", "period_to", "due_before"]) -> tuple[int, int]:
        try:
            month, day = (int(part) for part in item[key].split("-"))
            date(2024, month, day)  # refuses an impossible day (2024: 29 February exists)
        except ValueError:
            raise tomlfile.refuse(path, f"duty[{number}]", key, "is not a day MM-DD") from None
        return month, day

    return Duty(
        id=item["id"],
        name_vi=item["name_vi"],
        name_en=item["name_en"],
        period_from=month_day("period_from"),
        period_to=month_day("period_to"),
        due_before=month_day("due_before"),
        source=item.get("source", ""),
        unconfirmed=item.get("unconfirmed", False),
        cited_in=item.get("cited_in", ""),
    )


def _recipient(item: ReportRecipientTable) -> Recipient:
    return Recipient(
        item["id"], item["name_vi"], item["name_en"], item["valid_from"], item.get("valid_to")
    )


def duty_json(status: DutyStatus, lang: str = "en") -> dict[str, Any]:
    """One board entry for JSON and the web dashboard (days as ISO dates)."""
    duty, recipient = status.duty, status.recipient
    return {
        "duty": duty.id,
        "name": duty.name_vi if lang == "vi" else duty.name_en,
        "period_start": status.period_start.isoformat(),
        "period_end": status.period_end.isoformat(),
        "due_before": status.due_before.isoformat(),
        "state": status.state,
        "sent_on": None if status.sent_on is None else status.sent_on.isoformat(),
        "sent_late": status.sent_late,
        "recipient": None if recipient is None else recipient.id,
        "recipient_name": None
        if recipient is None
        else (recipient.name_vi if lang == "vi" else recipient.name_en),
        "source": duty.source,
        "unconfirmed": duty.unconfirmed,
    }

"""A periodic report is sent once: given no sending, when sent, then ReportSent; a second
sending of the same report and year is refused (the domain's purity is checked in
tests/unit/cases/test_domain_imports.py)."""

from __future__ import annotations

from datetime import date

import pytest

from services.reporting.domainmodel import PeriodicReport, Sending, report_id
from services.reporting.errors import ReportAlreadySent

SENT = Sending("six_monthly", 2026, date(2026, 5, 12), "doh-khanh-hoa", "45/BC", "", "", "")


def test_sending_a_report_records_report_sent_with_what_was_sent() -> None:
    report = PeriodicReport.send(SENT, None)
    (event,) = report.collect_events()
    assert type(event).__name__ == "ReportSent"
    assert report.id == report_id("six_monthly", 2026) and report.sending == SENT


def test_the_same_report_of_the_same_year_cannot_be_sent_twice() -> None:
    first = PeriodicReport.send(SENT, None)
    with pytest.raises(ReportAlreadySent, match="already recorded as sent on 2026-05-12"):
        PeriodicReport.send(SENT, first)


def test_each_duty_and_year_is_its_own_stream() -> None:
    ids = {report_id(d, y) for d in ("six_monthly", "yearly") for y in (2026, 2027)}
    assert len(ids) == 4

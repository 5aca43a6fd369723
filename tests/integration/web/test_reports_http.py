"""The dashboard's reports page and the reporting duties on its board, over HTTP (no browser)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from services.api.wiring import backend_factory
from services.reporting.application import ReportingService
from services.reporting.domainmodel import Sending
from services.runtime.database import read_model_db
from services.runtime.i18n import translator
from services.runtime.settings import Settings
from services.web.wiring import build_app
from tests.integration.projections.builders import DAY, T0, CaseStory, FakeClock, Offsets, projector
from tests.integration.web.test_dashboard_http import AREA_585, log_in
from tests.reportingtools import always_on_board, first_on_board, today

TOTAL_ONE = ["Total", "1", "1"]


@pytest.fixture
def projected(settings: Settings) -> None:
    """Two cases reported in March 2026 in Phan Rang-Thap Cham (582), one in Ninh Sơn (585)."""
    stories = [
        CaseStory().add("CaseReported", T0),
        CaseStory().add("CaseReported", T0 + DAY),
        CaseStory().add("CaseReported", T0, **AREA_585),
    ]
    proj = projector(settings, read_model_db(settings), FakeClock(T0 + 3 * DAY))
    proj.handle(Offsets().sources([m for story in stories for m in story.messages]))


@contextmanager
def client_at(settings: Settings, now: datetime) -> Iterator[TestClient]:
    with TestClient(
        build_app(settings, agency_backend=backend_factory(settings), clock=FakeClock(now))
    ) as made:
        yield made


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with client_at(settings, T0 + 3 * DAY) as made:
        yield made


def board_at(settings: Settings, now: datetime, user: str) -> str:
    """The board page as ``user`` sees it when the dashboard's clock reads ``now``."""
    with client_at(settings, now) as made:
        log_in(made, user)
        return made.get("/").text


def download(client: TestClient, **query: str) -> bytes:
    got = client.get("/report/download", params=query)
    assert got.status_code == 200, got.text
    return got.content


def test_a_province_supervisor_downloads_the_province_report_as_csv_and_excel(
    client: TestClient, projected: None
) -> None:
    log_in(client, "lan")
    assert 'href="/report"' in client.get("/").text  # linked from the navigation
    got = client.get(
        "/report/download", params={"period": "2026-H1", "format": "csv", "lang": "en"}
    )
    assert got.headers["content-type"].startswith("text/csv")
    assert 'filename="report-2026-H1-en.csv"' in got.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(got.text)))
    assert ["Area", "Whole province"] in rows
    assert ["Data as of (ISO 8601)", "2026-03-05T02:00:00+00:00"] in rows  # the dashboard's clock
    first = rows.index(["0101: Abused children by sex"])
    assert rows[first + 3 : first + 6] == [
        ["Phan Rang\u2013Tháp Chàm", "2", "2"],
        ["Ninh Sơn", "1", "1"],
        ["Total", "3", "3"],
    ]
    book = openpyxl.load_workbook(
        io.BytesIO(download(client, period="2026", format="xlsx", lang="vi"))
    )
    summary = [row for row in book.worksheets[0].iter_rows(values_only=True)]
    assert ("Địa bàn", "Toàn tỉnh") in summary and ("2026-03", 3) in summary
    by_sex = [row for row in book.worksheets[1].iter_rows(values_only=True)]
    assert ("Ninh Sơn", 1, 1) in by_sex and ("Tổng số", 3, 3) in by_sex


def test_a_district_supervisor_downloads_only_the_district_even_by_url(
    client: TestClient, projected: None
) -> None:
    log_in(client, "minh")
    form = client.get("/report").text
    assert 'value="585"' in form and 'value="582"' not in form  # areas offered: the district's
    for asked in ({}, {"area": "582"}):  # another district in the URL is ignored
        got = client.get("/report/download", params={"period": "2026-H1", "lang": "en"} | asked)
        assert 'filename="report-2026-H1-585-en.csv"' in got.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(got.text)))  # by commune, within Ninh Sơn
        assert ["Area", "Ninh Sơn"] in rows and "Phan Rang" not in got.text
        first = rows.index(["0101: Abused children by sex"])
        assert rows[first + 3 : first + 5] == [["Xã Phước Bình (sample)", "1", "1"], TOTAL_ONE]


def test_a_period_the_report_cannot_read_answers_400_with_the_form_and_a_sentence(
    client: TestClient,
) -> None:
    log_in(client, "lan")
    for bad in ("2026-H3", "H1", "2026-03-31..2026-01-01"):
        got = client.get("/report/download", params={"period": bad, "format": "csv"})
        assert got.status_code == 400
        assert "Cannot read this period" in got.text and "2026-H1" in got.text
        assert "Traceback" not in got.text and 'id="report-form"' in got.text


def test_the_board_shows_the_six_monthly_report_as_due_ten_days_before_15_may(
    settings: Settings, projected: None
) -> None:
    board = board_at(settings, datetime(2026, 5, 5, 2, tzinfo=UTC), "lan")
    assert 'id="duties"' in board and 'data-duty="six_monthly"' in board
    assert "Six-monthly report" in board and "(unconfirmed)" in board
    assert "Department of Health of Khánh Hòa" in board  # the recipient after the 2025 merger
    assert translator("en", "Asia/Ho_Chi_Minh").date(date(2026, 5, 15)) in board
    assert 'class="duty-due"' in board and 'data-duty="yearly"' not in board


def test_the_board_has_no_reporting_duties_when_none_is_due_or_late(
    client: TestClient, projected: None
) -> None:
    log_in(client, "lan")  # 5 March 2026: the six-monthly report is two months away
    assert 'id="duties"' not in client.get("/").text


def test_the_yearly_report_shows_as_late_after_15_november(
    settings: Settings, projected: None
) -> None:
    board = board_at(settings, datetime(2026, 11, 20, 2, tzinfo=UTC), "kim")
    assert 'data-duty="yearly"' in board and 'class="duty-late"' in board
    assert 'data-duty="six_monthly"' not in board  # its late window ended in mid-July


def test_a_report_recorded_as_sent_shows_on_the_board_with_its_day(
    settings: Settings, projected: None, tmp_path: Path
) -> None:
    wide = always_on_board(settings, tmp_path)
    status, year = first_on_board(wide)
    service = ReportingService.from_settings(wide)
    try:
        day = today(wide)
        service.record_sent(Sending(status.duty.id, year, day, "", "45/BC", "", "", ""), day)
    finally:
        service.close()
    board = board_at(wide, datetime.now(UTC), "kim")
    row = board.split(f'data-duty="{status.duty.id}"')[1].split("</tr>")[0]
    assert "sent" in row and translator("en", "Asia/Ho_Chi_Minh").date(day) in row

"""The report files: CSV figures and reproducibility, Excel read back, PDF text and picture,
the published (suppressed) HTML, and the ``backbone report`` command."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from projections.statistics.period import parse_period
from services.reports import ReportRequest, render_report
from services.runtime.database import read_model_db
from services.runtime.settings import Settings
from tests.integration.projections.builders import DAY, T0
from tests.integration.reports.province import AS_OF, later, project, reported, stories
from tests.processes import run as backbone
from tests.processes import run_in_terminal

H1 = parse_period("2026-H1")
PHAN_RANG = "Phan Rang\u2013Tháp Chàm"  # an en dash, as in areas.toml


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    made = make_settings()
    project(made, read_model_db(made), stories())
    return made


def render(settings: Settings, fmt: str = "csv", **kw: object) -> bytes:
    request = ReportRequest(H1, fmt, kw.pop("lang", "vi"), as_of=AS_OF, **kw)  # type: ignore[arg-type]
    return render_report(settings, request)


def section(text: str, heading: str) -> list[list[str]]:
    """The rows of the CSV table under the heading that starts with ``heading``."""
    rows = list(csv.reader(io.StringIO(text)))
    start = next(i for i, r in enumerate(rows) if r and r[0].startswith(heading))
    end = next(i for i in range(start, len(rows)) if not rows[i])
    return rows[start + 2 : end]  # past the heading and the legal basis


def test_csv_shows_the_hand_computed_table_by_area(settings: Settings) -> None:
    text = render(settings, lang="en", publish=False).decode()
    assert section(text, "0101: Abused children by sex") == [
        ["Area", "Female", "Male", "Total"],
        [PHAN_RANG, "1", "1", "2"],
        ["Bác Ái", "2", "0", "2"],
        ["Total", "3", "1", "4"],
    ]
    in_time = section(text, "RB-INTIME")
    assert in_time[-1] == ["Total", "2", "2", "4", "0.5000"]
    assert "Thông tư 13/2021/TT-BLĐTBXH, chỉ tiêu 0101" in text
    assert "RB-FORM: Cases by form of abuse (unconfirmed)" in text
    assert "2026-03-12T02:00:00+00:00" in text


def test_no_case_id_or_personal_field_is_in_any_report(settings: Settings) -> None:
    ids = [story.case_id for story in stories().values()]
    for fmt in ("csv", "html"):
        text = render(settings, fmt, publish=False).decode()
        assert not [case_id for case_id in ids if case_id in text]
        assert "child_name" not in text


def test_the_same_period_as_of_the_same_instant_gives_the_same_bytes(settings: Settings) -> None:
    first = render(settings)
    late = reported(T0 + DAY, "582", "22738", child_sex="male", recorded=T0 + 15 * DAY)
    project(settings, read_model_db(settings), {"G": late}, now=later(16))
    assert render(settings) == first
    newer = render_report(settings, ReportRequest(H1, "csv", "vi", as_of=later(16)))
    assert newer != first


def test_the_workbook_reads_back_with_its_tables_and_chart(
    settings: Settings, tmp_path: Path
) -> None:
    book = load_workbook(io.BytesIO(render(settings, "xlsx", lang="en", publish=False)))
    sheet = book["01 0101"]
    rows = [list(r) for r in sheet.iter_rows(min_row=5, values_only=True)]
    assert rows[0] == ["Area", "Female", "Male", "Total"]
    assert rows[-1] == ["Total", 3, 1, 4]
    assert sheet["B2"].value == "Thông tư 13/2021/TT-BLĐTBXH, chỉ tiêu 0101"
    summary = book.worksheets[0]
    assert len(summary._charts) == 1
    months = {r[0]: r[1] for r in summary.iter_rows(values_only=True) if r and r[0]}
    assert months["2026-03"] == 4


def test_the_pdf_has_vietnamese_text_and_renders_to_a_picture(
    settings: Settings, tmp_path: Path
) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render(settings, "pdf", publish=False))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    for phrase in (
        "Báo cáo công tác bảo vệ trẻ em",
        "Số trẻ em bị xâm hại theo giới tính",
        "Căn cứ pháp lý",
        PHAN_RANG,
        "Từ 12 đến 15 tuổi",
        "chưa được xác nhận",
    ):
        assert phrase in text
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    (page,) = tmp_path.glob("page*.png")
    assert page.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and page.stat().st_size > 5000


def test_published_html_hides_small_counts_and_says_so(settings: Settings) -> None:
    page = render(settings, "html", lang="en").decode()  # html is published by default
    assert "x: hidden to protect small numbers (fewer than 5)" in page
    # Every count of the 0101 table is 1 to 4: all hidden, zeros shown.
    table = page.split("0101: Abused children by sex")[1].split("</table>")[0]
    assert '<td class="n">1</td>' not in table and '<td class="n">x</td>' in table


def _report_args(target: Path, *extra: str) -> tuple[str, ...]:
    return ("report", "--period", "2026-H1", "--as-of", AS_OF.isoformat(), "--output",
            str(target), *extra)  # fmt: skip


def test_backbone_report_tells_a_person_in_vietnamese_what_it_wrote(
    settings: Settings, tmp_path: Path
) -> None:
    target = tmp_path / "r.csv"
    code, screen = run_in_terminal(settings, *_report_args(target))
    assert code == 0, screen
    (line,) = screen.strip().splitlines()
    assert line.startswith(f"Đã ghi {target} (nội bộ): số liệu tại thời điểm "), line
    assert "14 sự kiện vụ việc" in line and f"--as-of {AS_OF.isoformat()}" in line
    assert "{" not in line  # one sentence, no JSON
    assert target.read_bytes() == render(settings)


def test_backbone_report_tells_a_person_in_english_when_asked(
    settings: Settings, tmp_path: Path
) -> None:
    target = tmp_path / "r.html"
    code, screen = run_in_terminal(
        settings, *_report_args(target, "--format", "html", "--lang", "en")
    )
    assert code == 0, screen
    (line,) = screen.strip().splitlines()
    assert line.startswith(f"Wrote {target} (published): data as of "), line
    assert "14 case-events" in line and "the same report again" in line


def test_backbone_report_says_what_it_wrote_as_json_when_asked(
    settings: Settings, tmp_path: Path
) -> None:
    target = tmp_path / "r.csv"
    done = backbone(settings, *_report_args(target, "--json"))
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout)
    assert said["reproduce"] == f"--as-of {AS_OF.isoformat()}" and said["events"] == 14
    assert target.read_bytes() == render(settings)


def test_backbone_report_refuses_a_period_in_one_vietnamese_line(settings: Settings) -> None:
    code, screen = run_in_terminal(settings, "report", "--period", "2026-H3")
    assert code == 2
    (line,) = screen.strip().splitlines()
    assert line.startswith("backbone: không đọc được kỳ báo cáo '2026-H3'"), line
    assert "nửa năm (2026-H1)" in line and "Traceback" not in screen


def test_backbone_report_refuses_a_period_in_english_and_as_json(settings: Settings) -> None:
    code, screen = run_in_terminal(settings, "report", "--period", "2026-H3", "--lang", "en")
    assert code == 2
    assert screen.strip() == (
        "backbone: cannot read the period '2026-H3': write a year (2026), a half (2026-H1), "
        "a quarter (2026-Q2), a month (2026-03) or two days (2026-01-01..2026-03-31)"
    )
    done = backbone(settings, "report", "--period", "2026-03-31..2026-01-01", "--json")
    assert done.returncode == 2
    refusal = json.loads(done.stdout)
    assert refusal["error"] == "bad_period" and "kết thúc trước khi bắt đầu" in refusal["detail"]
    assert "Traceback" not in done.stderr


def test_the_html_report_opens_in_the_browser_with_its_tables_and_chart(
    settings: Settings, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    from tests.e2e.web.browser import chromium

    page = tmp_path / "report.html"
    page.write_bytes(render(settings, "html", publish=False))
    browser = chromium()
    try:
        browser.get(page.as_uri())
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
        assert "Báo cáo công tác bảo vệ trẻ em" in browser.find_element(By.TAG_NAME, "h1").text
        (table,) = [
            s.find_element(By.TAG_NAME, "table")
            for s in browser.find_elements(By.TAG_NAME, "section")
            if s.find_element(By.TAG_NAME, "h2").text.startswith("0101: ")
            and "giới tính" in s.find_element(By.TAG_NAME, "h2").text
        ]
        rows = [r.text for r in table.find_elements(By.TAG_NAME, "tr")]
        assert rows[-1] == "Tổng số 3 1 4", rows
        bars = browser.find_elements(By.CSS_SELECTOR, "svg rect")
        assert len(bars) == 6  # one per month of the half-year
        assert max(int(b.get_attribute("height") or 0) for b in bars) > 0
    finally:
        browser.quit()

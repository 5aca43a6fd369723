"""The dashboard over HTTP (no browser): log-in, scope, CSRF, board, case and trends pages."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from services.api.wiring import backend_factory
from services.runtime.database import read_model_db
from services.runtime.settings import Settings
from services.web.users import UserBook, make_user
from services.web.wiring import build_app
from tests.integration.projections.builders import (
    DAY,
    HOUR,
    T0,
    CaseStory,
    FakeClock,
    Offsets,
    projector,
)
from tests.integration.web.conftest import PASSWORD

AREA_585 = {"province_code": "58", "district_code": "585", "commune_code": "22783"}
OLD = datetime(2025, 5, 5, 2, tzinfo=UTC)  # before Ninh Thuận's agencies ended (30 June 2025)


@pytest.fixture
def stories(settings: Settings) -> dict[str, CaseStory]:
    """A stalled case in Phan Rang-Thap Cham (582), one in Ninh Sơn (585), one met in time."""
    here = CaseStory().add("CaseReported", T0)
    there = CaseStory().add("CaseReported", T0, **AREA_585)
    done = CaseStory().add("CaseReported", T0).add("TransferredToCommune", T0 + HOUR)
    done.add("SupportPlanDrafted", T0 + DAY, plan_id="p1", items=[])
    done.add("SupportPlanApproved", T0 + 2 * DAY, plan_id="p1")
    proj = projector(settings, read_model_db(settings), FakeClock(T0 + 3 * DAY))
    proj.handle(Offsets().sources([*here.messages, *there.messages, *done.messages]))
    return {"here": here, "there": there, "done": done}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + 3 * DAY)


@pytest.fixture
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(
        build_app(settings, agency_backend=backend_factory(settings), clock=clock)
    ) as made:
        yield made


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF token"
    return found[1]


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> Any:
    token = csrf(client.get("/login?lang=en").text)
    form = {"username": name, "password": password, "csrf": token}
    return client.post("/login?lang=en", data=form, follow_redirects=False)


def choose_vietnamese(client: TestClient, name: str) -> None:
    """Log in as ``name`` and choose Vietnamese, as a person does on the page."""
    log_in(client, name)
    page = client.get("/").text
    client.post("/language", data={"lang": "vi", "csrf": csrf(page), "back": "/"})


def test_pages_need_a_login_and_a_wrong_password_is_refused_and_logged(
    client: TestClient,
) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    with capture_logs() as logs:
        refused = log_in(client, "lan", "not the password")
    assert refused.status_code == 401 and "Wrong user name or password" in refused.text
    assert client.get("/", follow_redirects=False).status_code == 303
    (failed,) = [entry for entry in logs if entry["event"] == "web.login_failed"]
    assert failed["user"] == "lan" and failed["client"] and failed["at"].startswith("2026-03-05")
    assert "not the password" not in str(logs)
    assert log_in(client, "lan").headers["location"] == "/"


def test_a_post_without_the_session_csrf_token_is_refused(client: TestClient) -> None:
    log_in(client, "lan")
    refused = client.post("/language", data={"lang": "vi", "csrf": "forged"})
    assert refused.status_code == 403


def test_the_province_supervisor_sees_every_stalled_case_of_the_province(
    client: TestClient, stories: dict[str, CaseStory]
) -> None:
    log_in(client, "lan")
    board = client.get("/").text
    assert stories["here"].case_id in board and stories["there"].case_id in board
    assert stories["done"].case_id not in board
    assert "Phan Rang" in board and "Ninh Sơn" in board  # areas by name
    assert "report to commune" in board and "Escalated" in board


def test_a_district_supervisor_sees_only_the_district_even_by_url(
    client: TestClient, stories: dict[str, CaseStory]
) -> None:
    log_in(client, "minh")
    board = client.get("/").text
    assert stories["there"].case_id in board and stories["here"].case_id not in board
    assert client.get(f"/cases/{stories['here'].case_id}").status_code == 404
    assert client.get(f"/cases/{stories['there'].case_id}").status_code == 200
    assert stories["here"].case_id not in client.get("/board/rows?area=582").text


def test_filters_and_paging_narrow_the_board(
    client: TestClient, stories: dict[str, CaseStory]
) -> None:
    log_in(client, "kim")
    only_585 = client.get("/?area=585").text
    assert stories["there"].case_id in only_585 and stories["here"].case_id not in only_585
    assert stories["here"].case_id not in client.get("/?rule=no_such_rule").text
    assert "No case is stalled" in client.get("/?level=1").text  # both are escalated


def test_the_case_page_shows_obligations_in_local_time_with_their_legal_basis(
    client: TestClient, stories: dict[str, CaseStory]
) -> None:
    log_in(client, "lan")
    page = client.get(f"/cases/{stories['done'].case_id}").text
    assert "SupportPlanApproved" in page and "Met on time" in page
    assert "UTC+07:00" in page  # the province's clock
    assert "Decree" in page or "Law" in page or "ND" in page


def test_vietnamese_is_the_user_choice_and_persists(
    client: TestClient, stories: dict[str, CaseStory]
) -> None:
    choose_vietnamese(client, "lan")
    assert "Vụ việc bị chậm trễ" in client.get("/").text
    assert client.app.state.dashboard.users.get("lan").language == "vi"  # type: ignore[attr-defined]


def test_trends_draw_a_chart_and_the_share_within_each_deadline(
    client: TestClient, stories: dict[str, CaseStory]
) -> None:
    log_in(client, "kim")
    page = client.get("/trends").text
    assert "<svg" in page and "support plan drafted" in page
    districts = page[page.index('id="districts"') :]
    assert "Phan Rang" in districts and "Ninh Sơn" in districts  # this week, by district


def test_an_auditor_reads_but_cannot_record_a_follow_up(
    client: TestClient, stories: dict[str, CaseStory]
) -> None:
    log_in(client, "kim")
    case_id = stories["here"].case_id
    page = client.get(f"/cases/{case_id}").text
    assert 'id="record-follow-up"' not in page
    refused = client.post(f"/cases/{case_id}/follow-up", data={"note": "x", "csrf": csrf(page)})
    assert refused.status_code == 422 and "read-only" in refused.text


def test_a_follow_up_on_a_case_outside_the_district_is_not_found(
    client: TestClient, stories: dict[str, CaseStory]
) -> None:
    log_in(client, "minh")
    token = csrf(client.get("/").text)
    form = {"note": "chasing", "csrf": token}
    assert client.post(f"/cases/{stories['here'].case_id}/follow-up", data=form).status_code == 404


def test_the_live_stream_needs_a_login(client: TestClient) -> None:
    assert client.get("/board/events").status_code == 401


def test_a_follow_up_the_case_service_refuses_says_why_in_the_readers_language(
    client: TestClient, stories: dict[str, CaseStory]
) -> None:
    """The read model knows the case, the case store does not: the service's own refusal."""
    choose_vietnamese(client, "lan")
    case_id = stories["here"].case_id
    page = client.get(f"/cases/{case_id}").text
    form = {"note": "đã gọi xã", "csrf": csrf(page)}
    refused = client.post(f"/cases/{case_id}/follow-up", data=form)
    assert refused.status_code == 422
    problem = re.search(r'id="follow-up-problem">([^<]*)<', refused.text)
    assert problem, refused.text
    assert f"vụ việc {case_id} không tồn tại" in problem[1], problem[1]
    assert "does not exist" not in problem[1] and "(case_not_found)" in problem[1]


def test_the_workbench_says_a_refusal_in_the_officers_language_and_keeps_the_english_detail(
    settings: Settings, clock: FakeClock
) -> None:
    UserBook(settings.effective_users_file).put(
        make_user("hoa", "agency_officer", "", PASSWORD, "hotline-111", "vi")
    )
    with TestClient(
        build_app(settings, agency_backend=backend_factory(settings), clock=clock)
    ) as officer:
        token = csrf(officer.get("/login?lang=vi").text)
        form = {"username": "hoa", "password": PASSWORD, "csrf": token}
        assert officer.post("/login", data=form, follow_redirects=False).status_code == 303
        token = csrf(officer.get("/trends").text)  # every page carries the session's token
        step = {"step": "VerdictDelivered", "record": {"outcome": "guilty"}}
        refused = officer.post("/work/submissions", json=step, headers={"X-CSRF-Token": token})
    assert refused.status_code == 403
    body = refused.json()
    assert body["reason"] == "role_not_allowed"
    assert body["detail"] == "a hotline agency may not record VerdictDelivered"  # for scripts
    assert body["message"] == "cơ quan có vai trò hotline không được ghi bước VerdictDelivered"


def who_must_act(rows: str, case_id: str) -> list[str]:
    """The "who must act" cells of ``case_id``'s rows on the board, as a person reads them."""
    cells = re.findall(
        rf'data-case="{case_id}"[^>]*>.*?data-label="Who must act">(.*?)</td>', rows, re.DOTALL
    )
    return [html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in cells]


def test_the_board_names_the_agency_in_office_that_must_act(
    client: TestClient, settings: Settings, stories: dict[str, CaseStory]
) -> None:
    old = CaseStory().add("CaseReported", OLD, agency="hotline-ninh-thuan")
    old.add("ReferralSent", OLD + DAY, agency="dolisa-ninh-thuan", role="social_affairs",
            referral_id="r-old", to_agency="dolisa-ninh-thuan", service="counselling",
            due_at=int((OLD + 10 * DAY).timestamp() * 1000))  # fmt: skip
    proj = projector(settings, read_model_db(settings), FakeClock(T0 + 3 * DAY))
    proj.handle(Offsets().sources(old.messages, partition=1))
    log_in(client, "lan")

    rows = client.get("/board/rows").text
    # The report of "here" names only a role: the ward's committee in office now must act
    # (Phủ Hà's, which received it under Ninh Thuận, ended on 30 June 2025).
    here = who_must_act(rows, stories["here"].case_id)
    assert here and all(cell.startswith("People's Committee of Phường Phan Rang") for cell in here)
    # The old case's referral named Ninh Thuận's DOLISA: its successor in Khánh Hòa must act.
    old_rows = who_must_act(rows, old.case_id)
    assert any(cell.startswith("Department of Health of Khánh Hòa") for cell in old_rows)
    assert "Ninh Thuận" not in "".join(old_rows)

    page = client.get("/").text  # the agency filter offers the successor, by name
    assert re.search(r'<option value="doh-khanh-hoa" *>Department of Health of Khánh Hòa', page)
    assert 'value="dolisa-ninh-thuan"' not in page
    successor = client.get("/board/rows?agency=doh-khanh-hoa").text
    assert old.case_id in successor and stories["here"].case_id not in successor
    by_old_name = client.get("/?agency=dolisa-ninh-thuan").text  # an old link still works
    assert old.case_id in by_old_name and stories["here"].case_id not in by_old_name
    assert re.search(r'<option value="doh-khanh-hoa" selected>', by_old_name)

"""Supervisors use the dashboard in a real browser, on a running backbone (broker and store).

The intake, the relay and the projections run as real processes on the session's broker; the
dashboard runs in this process on a clock the test moves forward, so a case's legal deadline
passes in seconds. One Chromium session serves the whole module; screenshots of the main pages
are written to tests/artifacts/web.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from deploy.kafka.launcher import BrokerEndpoint
from projections.readmodel import ReadModel
from services.api.wiring import backend_factory
from services.cases.agencies import load_agencies
from services.kafka.agency import AgencyClient
from services.runtime.settings import Settings
from services.web.wiring import build_app
from tests.casefactory import PERSONAL, payload
from tests.e2e.web.backbone import PROCESSES, provisioned, wait_projected
from tests.e2e.web.browser import ServedApp, follow, screenshot
from tests.integration.projections.builders import FakeClock
from tests.integration.web.conftest import PASSWORD
from tests.kafkatools import poll_until
from tests.processes import spawn, stop

pytestmark = pytest.mark.integration
OFFICES = ("peoples-committee-khanh-hoa", "commune-22738", "commune-22783")
NINH_SON = {"province_code": "58", "district_code": "585", "commune_code": "22783"}
WAIT = 60  # generous: a loaded CI machine starts the processes slowly


@dataclass
class Backbone:
    settings: Settings
    clock: FakeClock
    url: str
    cases: dict[str, str]  # "here" (Phan Rang-Thap Cham, 582), "there" (Ninh Son, 585)
    pages: list[str] = field(default_factory=list)  # every page's HTML the browser saw


@pytest.fixture(scope="module")
def backbone(
    tmp_path_factory: pytest.TempPathFactory, kafka_endpoint: BrokerEndpoint
) -> Iterator[Backbone]:
    root = tmp_path_factory.mktemp("dashboard")
    settings, _ = provisioned(root, kafka_endpoint, "web", OFFICES, web_refresh_seconds=0.5)
    processes = [spawn(settings, *argv, log=root / f"{argv[0]}.log") for argv in PROCESSES]
    clock = FakeClock(datetime.now(UTC))
    served = ServedApp(
        build_app(settings, agency_backend=backend_factory(settings), clock=clock)
    ).start()
    try:
        cases = _report_two_cases(settings)
        yield Backbone(settings, clock, served.url, cases)
    finally:
        served.stop()
        stop(processes)


def _report_two_cases(settings: Settings) -> dict[str, str]:
    cases = {"here": str(uuid.uuid4()), "there": str(uuid.uuid4())}
    with AgencyClient.from_settings(settings, "hotline-111") as hotline:
        hotline.submit("CaseReported", cases["here"], payload("CaseReported"), None, PERSONAL)
        fields = payload("CaseReported", **NINH_SON)
        hotline.submit("CaseReported", cases["there"], fields, None, PERSONAL)

    def every_case(model: ReadModel) -> sa.Select[tuple[object]]:
        return sa.select(model.cases.c.case_id)

    wait_projected(settings, every_case, len(cases), "both cases in the read model")
    return cases


def wait_for(driver: webdriver.Chrome, text: str, seconds: float = WAIT) -> None:
    WebDriverWait(driver, seconds).until(lambda d: text in d.page_source)


def visit(backbone: Backbone, driver: webdriver.Chrome, path: str) -> str:
    driver.get(backbone.url + path)
    backbone.pages.append(driver.page_source)
    return driver.page_source


def log_in(backbone: Backbone, driver: webdriver.Chrome, name: str, password: str) -> None:
    driver.delete_all_cookies()
    visit(backbone, driver, "/login?lang=en")
    driver.find_element(By.ID, "username").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    follow(driver, driver.find_element(By.ID, "login"))
    backbone.pages.append(driver.page_source)


def test_a_wrong_password_is_refused(backbone: Backbone, browser: webdriver.Chrome) -> None:
    log_in(backbone, browser, "lan", "not-the-password")
    assert browser.find_element(By.ID, "login-failed").is_displayed()
    assert visit(backbone, browser, "/").count('id="login-failed"') == 0
    assert browser.current_url.endswith("/login")


def test_a_supervisor_watches_a_case_stall_without_reloading(
    backbone: Backbone, browser: webdriver.Chrome
) -> None:
    log_in(backbone, browser, "lan", PASSWORD)
    wait_for(browser, "No case is stalled")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)  # keyboard: skip link first
    assert browser.switch_to.active_element.get_attribute("class") == "skip"
    first_update = browser.find_element(By.ID, "last-updated").text
    browser.execute_script("window.notReloaded = true;")
    backbone.clock.now += timedelta(days=3)  # the intake's deadlines pass
    wait_for(browser, backbone.cases["here"])
    wait_for(browser, backbone.cases["there"])
    assert browser.execute_script("return window.notReloaded === true;")
    assert browser.find_element(By.ID, "last-updated").text != first_update
    rows = browser.find_element(By.ID, "board").text
    assert "Phan Rang" in rows and "Ninh Sơn" in rows and "Escalated" in rows
    backbone.pages.append(browser.page_source)
    screenshot(browser, "board")


def test_the_supervisor_opens_the_timeline_and_records_a_follow_up(
    backbone: Backbone, browser: webdriver.Chrome
) -> None:
    case_id = backbone.cases["here"]
    visit(backbone, browser, "/")
    follow(browser, browser.find_element(By.CSS_SELECTOR, f'tr[data-case="{case_id}"] a.case-link'))
    wait_for(browser, "CaseReported")
    assert "UTC+07:00" in browser.find_element(By.ID, "obligations").text
    note = "Called the commune office; assessment promised for tomorrow."
    browser.find_element(By.ID, "note").send_keys(note)
    follow(browser, browser.find_element(By.ID, "record-follow-up"))
    assert note in browser.find_element(By.ID, "follow-up-list").text
    assert "lan" in browser.find_element(By.ID, "follow-up-list").text

    def in_timeline() -> bool:  # relayed and projected like every other step
        return "SupervisorFollowedUp" in visit(backbone, browser, f"/cases/{case_id}")

    poll_until(in_timeline, 120, "the follow-up in the case's timeline")
    screenshot(browser, "case")


def agencies_by_rule(driver: webdriver.Chrome, rows: str) -> dict[str, str]:
    """Rule -> the agency id a page names as who must act, for the rows ``rows`` selects."""
    found: dict[str, str] = {}
    for row in driver.find_elements(By.CSS_SELECTOR, rows):
        named = row.find_elements(By.CSS_SELECTOR, "[data-agency]")
        found[row.get_attribute("data-rule") or ""] = (
            named[0].get_attribute("data-agency") or "" if named else ""
        )
    return found


def test_the_case_page_names_the_agency_in_office_as_the_board_does(
    backbone: Backbone, browser: webdriver.Chrome
) -> None:
    """The case is in Phường Phủ Hà, an old Ninh Thuận commune whose People's Committee ended on
    30 June 2025: its duties are named to the Khánh Hòa commune that took over."""
    case_id = backbone.cases["here"]
    visit(backbone, browser, "/")
    wait_for(browser, case_id)
    on_board = agencies_by_rule(browser, f'#board tr[data-case="{case_id}"]')
    visit(backbone, browser, f"/cases/{case_id}")
    on_case = agencies_by_rule(browser, "#obligations tr[data-rule]")
    assert on_board and all(on_case[rule] == agency for rule, agency in on_board.items())
    assert on_case["support_plan_drafted"] == "commune-22921"
    plan = browser.find_element(By.CSS_SELECTOR, '#obligations [data-rule="support_plan_drafted"]')
    assert "Phường Phan Rang" in plan.text and "Phủ Hà" not in plan.text
    directory = load_agencies(backbone.settings.config_dir)
    today = directory.local_day(backbone.clock.now)
    in_office = {a: getattr(directory.in_office(a, today), "id", "") for a in on_case.values()}
    assert all(found == a for a, found in in_office.items() if a), "an ended agency is named"
    screenshot(browser, "case-agency-in-office", "obligations")


def test_the_supervisor_switches_to_vietnamese(
    backbone: Backbone, browser: webdriver.Chrome
) -> None:
    visit(backbone, browser, "/")
    follow(browser, browser.find_element(By.ID, "switch-language"))
    wait_for(browser, "Vụ việc bị chậm trễ")
    assert "Người phải xử lý" in browser.page_source
    visit(backbone, browser, "/trends")
    assert "<svg" in browser.page_source and "Xu hướng" in browser.page_source
    screenshot(browser, "trends-vi")
    phone = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", phone)
    try:
        visit(backbone, browser, "/")
        width = browser.execute_script("return document.documentElement.scrollWidth;")
        assert width <= phone["width"], "the board scrolls sideways on a phone"
        screenshot(browser, "board-phone")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_a_district_supervisor_cannot_see_or_open_another_districts_case(
    backbone: Backbone, browser: webdriver.Chrome
) -> None:
    log_in(backbone, browser, "minh", PASSWORD)
    wait_for(browser, backbone.cases["there"])
    assert backbone.cases["here"] not in browser.page_source
    page = visit(backbone, browser, f"/cases/{backbone.cases['here']}")
    assert "There is no such case in the area you supervise" in page
    assert "<title>404" in page  # the same answer as for a case that does not exist
    assert "CaseReported" not in page and "SupervisorFollowedUp" not in page


def test_no_page_shows_personal_data(backbone: Backbone) -> None:
    assert len(backbone.pages) >= 10
    for html in backbone.pages:
        for value in PERSONAL.values():
            assert value not in html

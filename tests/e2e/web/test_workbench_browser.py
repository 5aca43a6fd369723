"""Agency officers use the workbench in a real browser, on a running backbone.

``backbone serve`` (dashboard, agency API and workbench), the intake, the relay and the
projections run as real processes on the session's broker and the embedded store. A hotline
reports a case ten days ago in a commune and refers it to the police; the commune officer and
a police officer then work in one headless Chromium session. Screenshots go to
tests/artifacts/web; every page seen is kept to check for personal data at the end.
"""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from deploy.kafka.launcher import BrokerEndpoint
from projections.readmodel import ReadModel
from services.audit.accesslog import AccessLog
from services.cases.agencies import load_agencies
from services.cases.application import CaseService
from services.kafka.agency import AgencyClient
from services.runtime.settings import Settings
from services.web.users import make_user
from services.web.workbench.labels import FIELD_TITLES
from tests.casefactory import PERSONAL, payload
from tests.e2e.web.backbone import PROCESSES, provisioned, wait_projected
from tests.e2e.web.browser import (
    DevTools,
    devtools,
    follow,
    free_port,
    network,
    screenshot,
)
from tests.integration.web.conftest import PASSWORD
from tests.kafkatools import poll_until
from tests.processes import spawn, stop

pytestmark = pytest.mark.integration
# The sample area's commune ended in 2025: its successor, where the officer works, takes its duties.
OFFICES = ("peoples-committee-khanh-hoa", "commune-22738", "commune-22921")
OFFICERS = {"thu": "commune-22921", "tuan": "police-khanh-hoa"}
TYPED = {"child_name": "Trần Thị Mai", "child_contact": "0912 765 432"}  # typed in the browser
WAIT = 120  # generous: a loaded CI machine starts the processes slowly
START = 240  # the server's first start imports the whole web stack


@dataclass
class Backbone:
    settings: Settings
    url: str
    case_id: str
    logs: list[Path]
    pages: dict[str, list[str]] = field(default_factory=dict)  # user -> every page's HTML

    def history(self, case_id: str) -> list[Any]:
        service = CaseService.from_settings(self.settings)
        try:
            return service.history(case_id)
        finally:
            service.close()


@pytest.fixture(scope="module")
def backbone(
    tmp_path_factory: pytest.TempPathFactory, kafka_endpoint: BrokerEndpoint
) -> Iterator[Backbone]:
    root = tmp_path_factory.mktemp("workbench")
    settings, book = provisioned(root, kafka_endpoint, "wb", OFFICES)
    for name, agency in OFFICERS.items():
        book.put(make_user(name, "agency_officer", "", PASSWORD, agency, "en"))
    port = free_port()
    argvs = [*PROCESSES, ("serve", "--host", "127.0.0.1", "--port", str(port))]
    logs = [root / f"{argv[0]}.log" for argv in argvs]
    processes = [spawn(settings, *argv, log=log) for argv, log in zip(argvs, logs, strict=True)]
    url = f"http://localhost:{port}"
    try:
        poll_until(
            lambda: _serving(processes[-1], logs[-1], url), START, "backbone serve answering"
        )
        yield Backbone(settings, url, _refer_a_case(settings), logs)
    finally:
        stop(processes)


def _serving(process: subprocess.Popen[bytes], log: Path, url: str) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"backbone serve stopped: {log.read_text()[-2000:]}")
    return _answers(url + "/login")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _refer_a_case(settings: Settings) -> str:
    """A report ten days old (its deadlines long passed) and a referral to the police."""
    case_id = str(uuid.uuid4())
    reported = datetime.now(UTC) - timedelta(days=10)
    referral = payload(
        "ReferralSent",
        referral_id="r-1",
        to_agency="police-khanh-hoa",
        service="legal_aid",
        due_at=int((datetime.now(UTC) + timedelta(days=30)).timestamp() * 1000),
    )
    with AgencyClient.from_settings(settings, "hotline-111") as hotline:
        hotline.submit("CaseReported", case_id, payload("CaseReported"), reported, PERSONAL)
        hotline.submit("ReferralSent", case_id, referral)

    def timeline(model: ReadModel) -> sa.Select[tuple[object]]:
        return sa.select(model.timeline.c.sequence).where(model.timeline.c.case_id == case_id)

    wait_projected(settings, timeline, 2, "the case and its referral in the read model")
    return case_id


def seen(backbone: Backbone, driver: webdriver.Chrome, user: str) -> str:
    html: str = driver.page_source
    backbone.pages.setdefault(user, []).append(html)
    return html


def visit(backbone: Backbone, driver: webdriver.Chrome, user: str, path: str) -> str:
    driver.get(backbone.url + path)
    return seen(backbone, driver, user)


def log_in(backbone: Backbone, driver: webdriver.Chrome, name: str) -> None:
    driver.delete_all_cookies()
    driver.get(backbone.url + "/login?lang=en")
    driver.find_element(By.ID, "username").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    follow(driver, driver.find_element(By.ID, "login"))
    wait_for(driver, lambda d: "/login" not in d.current_url)  # the next page, not the form
    seen(backbone, driver, name)


def wait_for(driver: webdriver.Chrome, check: Any, seconds: float = WAIT) -> None:
    WebDriverWait(driver, seconds, poll_frequency=0.2).until(lambda d: check(d))


def step_status(driver: webdriver.Chrome) -> str:
    state: str = driver.find_element(By.ID, "step-status").get_attribute("data-state") or ""
    return state


def set_value(driver: webdriver.Chrome, element_id: str, value: str) -> None:
    element = driver.find_element(By.ID, element_id)
    driver.execute_script("arguments[0].value = arguments[1];", element, value)


def local_input(instant: datetime) -> str:
    """A datetime-local value in the province's time (UTC+7)."""
    return (instant.astimezone(UTC) + timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M")


def steps_of(backbone: Backbone, case_id: str, step: str) -> list[Any]:
    return [e for e in backbone.history(case_id) if e.step == step]


def test_the_case_is_on_the_supervisors_board_before_the_commune_acts(
    backbone: Backbone, browser: webdriver.Chrome
) -> None:
    log_in(backbone, browser, "lan")
    row = f'#board tr[data-case="{backbone.case_id}"]'
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, row))
    seen(backbone, browser, "lan")


def test_the_commune_officer_sees_the_referral_and_what_is_due(
    backbone: Backbone, browser: webdriver.Chrome
) -> None:
    log_in(backbone, browser, "thu")
    assert browser.current_url.endswith("/work")
    duties = browser.find_element(By.ID, "duties").text
    assert backbone.case_id[:8] in duties
    assert "Support plan drafted" in duties and "Decree 56/2017" in duties
    assert "Overdue" in duties or "Escalated" in duties
    assert "UTC+07:00" in duties or "+07" in duties, "due times are the province's local time"
    wait_for(browser, lambda d: "Case reported" in d.find_element(By.ID, "inbox").text)
    seen(backbone, browser, "thu")
    screenshot(browser, "workbench-worklist")
    # Vietnamese, the default language
    follow(browser, browser.find_element(By.ID, "switch-language"))
    wait_for(browser, lambda d: "Việc cơ quan bạn phải làm" in d.page_source)
    duties_vi = browser.find_element(By.ID, "duties").text
    assert "Xây dựng kế hoạch hỗ trợ" in duties_vi
    assert "Nghị định 56/2017/NĐ-CP, khoản 1 Điều 28" in duties_vi  # the legal basis in Vietnamese
    assert "Decree 56" not in duties_vi
    assert "Ủy ban nhân dân phường Phan Rang" in browser.find_element(By.TAG_NAME, "h1").text
    screenshot(browser, "workbench-worklist-vi")
    follow(browser, browser.find_element(By.ID, "switch-language"))
    wait_for(browser, lambda d: "What your agency must do" in d.page_source)


def test_the_commune_records_the_risk_assessment_and_sees_a_refusal_first(
    backbone: Backbone, browser: webdriver.Chrome
) -> None:
    case = f"/work/cases/{backbone.case_id}"
    visit(backbone, browser, "thu", case)
    follow(
        browser,
        browser.find_element(By.CSS_SELECTOR, '#offered a[data-step="InitialRiskAssessed"]'),
    )
    Select(browser.find_element(By.ID, "risk_level")).select_by_value("medium")
    tomorrow = datetime.now(UTC) + timedelta(days=2)
    typed = local_input(tomorrow)
    set_value(browser, "occurred_at", typed)  # the intake refuses this
    browser.find_element(By.ID, "send-step").click()
    wait_for(browser, lambda d: step_status(d) == "refused")
    refused = browser.find_element(By.ID, "step-status").text
    assert "occurred_in_future" in refused
    # The time typed, read back on the province's clock (the intake's detail says it in UTC).
    assert f"{typed[-5:]} UTC+07:00" in refused, refused
    assert f"{tomorrow:%Y-%m-%dT%H:%M}" not in refused
    screenshot(browser, "workbench-refused", "step-status")
    seen(backbone, browser, "thu")

    visit(backbone, browser, "thu", case + "/steps/InitialRiskAssessed")
    Select(browser.find_element(By.ID, "risk_level")).select_by_value("medium")
    browser.find_element(By.ID, "send-step").click()
    wait_for(browser, lambda d: step_status(d) == "recorded")
    assert len(steps_of(backbone, backbone.case_id, "InitialRiskAssessed")) == 1
    worklist = visit(backbone, browser, "thu", "/work")
    assert "occurred_in_future" in browser.find_element(By.ID, "rejections").text
    assert "future" in worklist


def worker_active(driver: webdriver.Chrome) -> bool:
    """The workbench's service worker is installed and running for this origin."""
    return bool(
        driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "navigator.serviceWorker.getRegistration('/work/').then(r => done(!!(r && r.active)));"
        )
    )


def sync_tags(driver: webdriver.Chrome) -> list[str]:
    """The Background Syncs the workbench asked for and the browser has not fired yet."""
    tags: list[str] = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "navigator.serviceWorker.getRegistration('/work/').then(r => r.sync.getTags())"
        ".then(done, (e) => done(['refused: ' + e.name]));"
    )
    return tags


def background_sync(backbone: Backbone, tools: DevTools, setting: str) -> None:
    permission = {"permission": {"name": "background-sync"}, "setting": setting}
    tools.call("Browser.setPermission", permission | {"origin": backbone.url})


def cut(tools: DevTools) -> None:
    """No network for the page nor for the service worker until ``tools`` closes. Both through
    the one DevTools session: chromedriver's own network conditions are reset on navigation,
    and Chromium counts a worker's offline emulations per session, so closing the session (not
    a second call) is what gives the network back."""
    assert tools.on_all("Network.emulateNetworkConditions", network(True), "page", "service_worker")


def worker_online(tools: DevTools) -> list[bool]:
    """``navigator.onLine`` as each service worker sees it."""
    found = [
        tools.call("Runtime.evaluate", {"expression": "navigator.onLine"}, session)
        for session in tools.targets("service_worker")
    ]
    return [bool(f["result"]["value"]) for f in found]


def test_a_plan_filled_in_offline_is_recorded_once_when_the_connection_returns(
    backbone: Backbone, browser: webdriver.Chrome
) -> None:
    """The fallback where the browser offers no Background Sync: the page that stays open
    sends the step on its ``online`` event."""
    visit(backbone, browser, "thu", f"/work/cases/{backbone.case_id}/steps/SupportPlanDrafted")
    wait_for(browser, worker_active)
    with devtools(browser) as tools:
        background_sync(backbone, tools, "denied")
        assert sync_tags(browser) == [], "nothing pending before the step"
        cut(tools)
        try:
            Select(browser.find_element(By.ID, "items-0-service")).select_by_value("counselling")
            Select(browser.find_element(By.ID, "items-0-responsible_role")).select_by_value(
                "commune"
            )
            due = local_input(datetime.now(UTC) + timedelta(days=20))
            set_value(browser, "items-0-due_at", due)
            browser.find_element(By.ID, "send-step").click()
            wait_for(browser, lambda d: step_status(d) == "waiting", 20)
            submission = browser.find_element(By.ID, "submission_id").get_attribute("value")
            outbox = browser.find_element(By.ID, "outbox").text
            assert "Waiting for the connection" in outbox
            screenshot(browser, "workbench-offline-waiting", "step-status")
            assert not steps_of(backbone, backbone.case_id, "SupportPlanDrafted")
        finally:
            background_sync(backbone, tools, "granted")
    wait_for(browser, lambda d: step_status(d) == "recorded")
    screenshot(browser, "workbench-recorded", "step-status")
    browser.execute_async_script(  # the answer was lost, say: the browser sends it again
        "const done = arguments[arguments.length - 1];"
        "window.workbench.resend(arguments[0]).then(done);",
        submission,
    )
    wait_for(browser, lambda d: step_status(d) == "recorded")
    plans = steps_of(backbone, backbone.case_id, "SupportPlanDrafted")
    assert [p.submission_id for p in plans] == [submission]


def test_the_case_leaves_the_supervisors_board(
    backbone: Backbone, browser: webdriver.Chrome
) -> None:
    log_in(backbone, browser, "lan")

    def gone() -> bool:
        return backbone.case_id not in visit(backbone, browser, "lan", "/")

    poll_until(gone, WAIT, "the case off the supervisors' board")
    screenshot(browser, "workbench-board-after")
    page = visit(backbone, browser, "lan", f"/cases/{backbone.case_id}")
    assert "InitialRiskAssessed" in page and "SupportPlanDrafted" in page


def test_the_police_are_not_offered_the_plan_and_a_crafted_request_is_refused(
    backbone: Backbone, browser: webdriver.Chrome
) -> None:
    log_in(backbone, browser, "tuan")
    assert "Referral sent" in browser.find_element(By.ID, "inbox").text
    visit(backbone, browser, "tuan", f"/work/cases/{backbone.case_id}")
    offered = [
        a.get_attribute("data-step") for a in browser.find_elements(By.CSS_SELECTOR, "#offered a")
    ]
    assert "SupportPlanDrafted" not in offered and "PoliceReportReceived" in offered
    assert browser.find_elements(By.ID, "personal-data") == []
    screenshot(browser, "workbench-police-case")
    page = visit(
        backbone, browser, "tuan", f"/work/cases/{backbone.case_id}/steps/SupportPlanDrafted"
    )
    assert "<title>403" in page and "role_not_allowed" in page
    crafted = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const csrf = arguments[1];"
        "fetch('/work/submissions', {method: 'POST', headers: {'Content-Type': 'application/json',"
        " 'X-CSRF-Token': csrf}, body: JSON.stringify({step: 'SupportPlanDrafted', record: {"
        " case_id: arguments[0], submission_id: crypto.randomUUID(),"
        " occurred_at: Date.now(), plan_id: crypto.randomUUID(), items: []}})})"
        ".then(async r => done([r.status, await r.json()]));",
        backbone.case_id,
        _csrf(backbone, browser),
    )
    assert crafted[0] == 403 and crafted[1]["reason"] == "role_not_allowed"
    assert len(steps_of(backbone, backbone.case_id, "SupportPlanDrafted")) == 1


def _csrf(backbone: Backbone, browser: webdriver.Chrome) -> str:
    visit(backbone, browser, "tuan", "/work")
    token = browser.find_element(By.CSS_SELECTOR, 'meta[name="csrf"]').get_attribute("content")
    return token or ""


def test_a_step_queued_offline_is_sent_by_the_service_worker_with_no_workbench_page_open(
    backbone: Backbone, browser: webdriver.Chrome
) -> None:
    """Background Sync: the officer fills a step offline and closes the workbench; when the
    connection returns the service worker sends it from IndexedDB, and it is recorded once.
    (Headless Chromium ends the worker's emulated offline as its last page closes, so closing
    the tab and the connection returning are one moment here.)"""
    log_in(backbone, browser, "thu")
    visit(backbone, browser, "thu", f"/work/cases/{backbone.case_id}/steps/NeedsAssessed")
    wait_for(browser, worker_active)
    with devtools(browser) as tools:
        cut(tools)
        browser.find_element(By.CSS_SELECTOR, "#needs input").click()
        browser.find_element(By.ID, "send-step").click()
        wait_for(browser, lambda d: step_status(d) == "waiting", 20)
        submission = browser.find_element(By.ID, "submission_id").get_attribute("value")
        wait_for(browser, lambda d: sync_tags(d) == ["send-steps"], 20)
        time.sleep(3)  # a sync fired while offline, or a page sending, would have sent it by now
        assert worker_online(tools) == [False]
        assert not steps_of(backbone, backbone.case_id, "NeedsAssessed")
        # The officer closes the workbench's tab. Chromium then gives the worker its network
        # back (its emulation ends with its last page), which stands here for the connection
        # returning: nothing of the workbench runs but the service worker.
        blank = tools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        tools.call("Target.closeTarget", {"targetId": browser.current_window_handle})
        browser.switch_to.window(blank)
        assert browser.window_handles == [blank], "no workbench page is open any more"

    def sent() -> bool:
        return bool(steps_of(backbone, backbone.case_id, "NeedsAssessed"))

    poll_until(sent, WAIT, "the step sent by the service worker")
    assessed = steps_of(backbone, backbone.case_id, "NeedsAssessed")
    assert [a.submission_id for a in assessed] == [submission]
    assert browser.current_url == "about:blank", "sent with no page of the workbench open"

    visit(backbone, browser, "thu", "/work")
    assert sync_tags(browser) == [], "the Background Sync fired and succeeded"
    mine = f'#outbox li[data-submission="{submission}"]'
    wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, mine).get_attribute("data-state")
             == "recorded")  # fmt: skip
    follow(browser, browser.find_element(By.ID, "logout"))  # nothing unsent: no warning
    assert browser.current_url.endswith("/login")
    assert browser_copies(browser) == {"caches": 0, "outbox": 0}


def browser_copies(driver: webdriver.Chrome) -> dict[str, int]:
    """How many caches and outbox entries the workbench left in this browser."""
    found: dict[str, int] = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "Promise.all([caches.keys(), indexedDB.databases()]).then(([names, bases]) => {"
        "  if (!bases.some((b) => b.name === 'backbone-workbench'))"
        "    return done({caches: names.length, outbox: 0});"
        "  const open = indexedDB.open('backbone-workbench', 1);"
        "  open.onupgradeneeded = () => open.result.createObjectStore('outbox', {keyPath: 'id'});"
        "  open.onsuccess = () => { const count = open.result.transaction('outbox')"
        "    .objectStore('outbox').count();"
        "    count.onsuccess = () => { open.result.close();"
        "      done({caches: names.length, outbox: count.result}); }; };"
        "});"
    )
    return found


def test_logging_out_warns_of_steps_not_sent_then_clears_the_browsers_copies(
    backbone: Backbone, browser: webdriver.Chrome
) -> None:
    """The backbone cannot be reached for submissions (blocked for the page and its service
    worker); logging out lists the step first, and leaving deletes the browser's copies."""
    log_in(backbone, browser, "thu")
    visit(backbone, browser, "thu", f"/work/cases/{backbone.case_id}/steps/ConsentRecorded")
    wait_for(browser, worker_active)
    with devtools(browser) as tools:
        blocked = {"urls": ["*/work/submissions*"]}
        assert tools.on_all("Network.setBlockedURLs", blocked, "page", "service_worker") >= 2
        for name in ("given_by", "scope"):
            Select(browser.find_element(By.ID, name)).select_by_index(1)
        browser.find_element(By.ID, "send-step").click()
        wait_for(browser, lambda d: step_status(d) == "waiting", 20)
        step_page = browser.current_url

        def warning(d: webdriver.Chrome) -> bool:
            return d.find_element(By.ID, "logout-warning").get_attribute("open") is not None

        browser.find_element(By.ID, "logout").click()
        wait_for(browser, warning, 20)
        listed = browser.find_element(By.ID, "logout-unsent").text
        assert "Consent recorded" in listed and backbone.case_id[:8] in listed
        screenshot(browser, "workbench-logout-warning")
        browser.find_element(By.ID, "logout-stay").click()
        assert not warning(browser) and browser.current_url == step_page
        assert browser_copies(browser)["outbox"] >= 1, "staying keeps the step"

        browser.find_element(By.ID, "logout").click()
        wait_for(browser, warning, 20)
        follow(browser, browser.find_element(By.ID, "logout-anyway"))
        assert browser.current_url.endswith("/login")
        assert browser_copies(browser) == {"caches": 0, "outbox": 0}
    assert not steps_of(backbone, backbone.case_id, "ConsentRecorded")


def test_the_forms_read_in_vietnamese_and_name_agencies_in_vietnamese(
    backbone: Backbone, browser: webdriver.Chrome
) -> None:
    log_in(backbone, browser, "thu")
    follow(browser, browser.find_element(By.ID, "switch-language"))
    try:
        visit(backbone, browser, "thu", f"/work/cases/{backbone.case_id}/steps/ReferralSent")
        assert browser.find_element(By.TAG_NAME, "h1").text == "Chuyển gửi"
        options = [o.text for o in browser.find_elements(By.CSS_SELECTOR, "#to_agency option")]
        assert "Công an tỉnh Khánh Hòa" in options
        english = {a.name for a in load_agencies(backbone.settings.config_dir).all()}
        assert not english & set(options), "every agency by its Vietnamese name"
        form = browser.find_element(By.ID, "step-form")
        words = [e.text.strip() for e in form.find_elements(By.CSS_SELECTOR, "label, legend")]
        words += [o.text for o in form.find_elements(By.CSS_SELECTOR, "#service option")]
        assert not set(FIELD_TITLES.values()) & set(words), words
        assert browser.find_element(By.ID, "send-step").text == "Ghi nhận bước này"
        screenshot(browser, "workbench-form-vi")
    finally:
        follow(browser, browser.find_element(By.ID, "switch-language"))
    assert "Referral sent" in browser.find_element(By.TAG_NAME, "h1").text


def test_a_report_typed_in_the_browser_is_sealed_there_and_opened_with_a_purpose(
    backbone: Backbone, browser: webdriver.Chrome
) -> None:
    log_in(backbone, browser, "thu")
    follow(browser, browser.find_element(By.CSS_SELECTOR, '#openers a[data-step="CaseReported"]'))
    for name, value in (
        ("channel", "commune_officer"),
        ("setting", "family"),
        ("child_sex", "female"),
        ("child_age_group", "6-11"),
        ("province_code", "58"),
        ("commune_code", "22738"),
        ("risk_level", "low"),
    ):
        Select(browser.find_element(By.ID, name)).select_by_value(value)
    browser.find_element(By.CSS_SELECTOR, '#forms_of_abuse input[value="neglect"]').click()
    for name, value in TYPED.items():
        browser.find_element(By.ID, f"pd-{name}").send_keys(value)
    case_id = browser.find_element(By.ID, "step-form").get_attribute("data-case") or ""
    browser.find_element(By.ID, "send-step").click()
    wait_for(browser, lambda d: step_status(d) == "recorded")
    assert all(value not in browser.page_source for value in TYPED.values())
    stored = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const open = indexedDB.open('backbone-workbench', 1);"
        "open.onsuccess = () => { const r = open.result.transaction('outbox')"
        ".objectStore('outbox').getAll(); r.onsuccess = () => done(JSON.stringify(r.result)); };"
    )
    assert all(value not in stored for value in TYPED.values()), "kept sealed in the browser"

    def projected() -> bool:
        return "Case reported" in visit(backbone, browser, "thu", f"/work/cases/{case_id}")

    poll_until(projected, WAIT, "the new case readable by the commune")
    browser.find_element(By.ID, "purpose").send_keys("home visit planning")
    follow(browser, browser.find_element(By.ID, "open-personal-data"))
    opened = browser.find_element(By.ID, "personal-data").text
    assert TYPED["child_name"] in opened and TYPED["child_contact"] in opened
    screenshot(browser, "workbench-personal-data", "personal")
    engine = sa.create_engine(backbone.settings.effective_database_url)
    try:
        records = AccessLog(engine).entries(case_id=case_id)
    finally:
        engine.dispose()
    assert [(r.agency, r.actor, r.purpose) for r in records] == [
        ("commune-22921", "thu", "home visit planning")
    ]


def test_personal_data_is_never_in_server_logs_or_pages_of_users_without_the_right(
    backbone: Backbone,
) -> None:
    secrets = [*PERSONAL.values(), *TYPED.values()]
    for log in backbone.logs:
        text = log.read_text(encoding="utf-8", errors="replace")
        assert "work.submitted" in text or log.name != "serve.log"
        for value in secrets:
            assert value not in text, f"personal data in {log.name}"
    for user in ("tuan", "lan"):
        assert len(backbone.pages.get(user, [])) >= 3
        for html in backbone.pages[user]:
            for value in secrets:
                assert value not in html, f"personal data in a page of {user}"

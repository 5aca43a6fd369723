"""Agency officers use the workbench in a real browser, on a running backbone.

``backbone serve`` (dashboard, agency API and workbench), the intake, the relay and the
projections run as real processes on the session's broker and the embedded store. A hotline
reports a case ten days ago in a commune and refers it to the police; the commune officer and
a police officer then work in one headless Chromium session. Screenshots go to
tests/artifacts/web; every page seen is kept to check for personal data at the end.
"""

from __future__ import annotations

import signal
import subprocess
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
from services.cases.application import CaseService
from services.kafka.agency import AgencyClient
from services.kafka.provision import provision
from services.runtime.database import read_model_db
from services.runtime.settings import Settings, load_settings
from services.web.users import make_user
from tests.casefactory import PERSONAL, payload
from tests.e2e.web.browser import chromium, follow, free_port, screenshot
from tests.integration.kafka.conftest import AGENCIES, small_config
from tests.integration.web.conftest import PASSWORD, add_users
from tests.kafkatools import poll_until
from tests.processes import spawn

pytestmark = pytest.mark.integration
PROCESSES = (("intake",), ("relay",), ("projections", "run"))
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
    settings = load_settings(
        home=root / "home",
        config_dir=small_config(root / "config", (*AGENCIES, *OFFICES)),
        topic_prefix=f"wb{uuid.uuid4().hex[:10]}",
        master_key_file=root / "master.key",
        kafka_bootstrap_servers=kafka_endpoint.bootstrap_servers,
        kafka_security_protocol=kafka_endpoint.security_protocol,
        kafka_username=kafka_endpoint.username,
        kafka_password=kafka_endpoint.password,
        topic_partitions=2,
        poll_interval_ms=100,
    )
    provision(settings)
    book = add_users(settings.effective_users_file)
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
        _stop(processes)


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
    db, model = read_model_db(settings), ReadModel()

    def projected() -> bool:
        try:
            with db.connect() as conn:
                query = sa.select(model.timeline.c.sequence).where(
                    model.timeline.c.case_id == case_id
                )
                return len(conn.execute(query).all()) == 2
        except sa.exc.DatabaseError:
            return False

    poll_until(projected, 240, "the case and its referral in the read model")
    db.dispose()
    return case_id


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    driver = chromium()
    try:
        yield driver
    finally:
        driver.quit()


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
    set_value(browser, "occurred_at", local_input(tomorrow))  # the intake refuses this
    browser.find_element(By.ID, "send-step").click()
    wait_for(browser, lambda d: step_status(d) == "refused")
    assert "occurred_in_future" in browser.find_element(By.ID, "step-status").text
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


def test_a_plan_filled_in_offline_is_recorded_once_when_the_connection_returns(
    backbone: Backbone, browser: webdriver.Chrome
) -> None:
    visit(backbone, browser, "thu", f"/work/cases/{backbone.case_id}/steps/SupportPlanDrafted")
    browser.set_network_conditions(
        offline=True, latency=0, download_throughput=-1, upload_throughput=-1
    )
    try:
        Select(browser.find_element(By.ID, "items-0-service")).select_by_value("counselling")
        Select(browser.find_element(By.ID, "items-0-responsible_role")).select_by_value("commune")
        set_value(browser, "items-0-due_at", local_input(datetime.now(UTC) + timedelta(days=20)))
        browser.find_element(By.ID, "send-step").click()
        wait_for(browser, lambda d: step_status(d) == "waiting", 20)
        submission = browser.find_element(By.ID, "submission_id").get_attribute("value")
        outbox = browser.find_element(By.ID, "outbox").text
        assert "Waiting for the connection" in outbox
        screenshot(browser, "workbench-offline-waiting", "step-status")
        assert not steps_of(backbone, backbone.case_id, "SupportPlanDrafted")
    finally:
        browser.delete_network_conditions()
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

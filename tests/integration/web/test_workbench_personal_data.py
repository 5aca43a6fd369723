"""An officer whose agency may not read personal data (``reads_personal_data = false``) over
HTTP: no purpose form on the case page, a crafted opening refused with its reason, and no
opening in the access log; an officer whose agency may read, on the same case, opens it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from deploy.kafka.launcher import BrokerEndpoint
from projections.readmodel import ReadModel
from services.api.wiring import backend_factory
from services.audit.accesslog import AccessLog
from services.cases.application import CaseService
from services.runtime.database import read_model_db
from services.runtime.settings import Settings
from services.web.users import UserBook, make_user
from services.web.wiring import build_app
from tests.casefactory import PERSONAL, payload
from tests.integration.web.conftest import PASSWORD
from tests.integration.web.test_dashboard_http import csrf, log_in
from tests.kafkatools import broker_overrides

# Khánh Hòa's Department of Education may not read personal data; its police may.
OFFICERS = {"hoa": "doet-khanh-hoa", "tuan": "police-khanh-hoa"}
PURPOSE = "planning the school's support for the child"


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings],
    users_file: Path,
    database_url: str,
    kafka_endpoint: BrokerEndpoint,
) -> Settings:
    """The web tests' settings, on the session broker (the workbench reads cases through the
    agency API's backend, which is built with its broker clients)."""
    overrides = broker_overrides(kafka_endpoint)
    return make_settings(
        web_secure_cookies=False, users_file=users_file, database_url=database_url, **overrides
    )


@pytest.fixture
def case_id(settings: Settings) -> str:
    """A report with the child's personal data, referred to the education office and the police."""
    case_id, now = str(uuid.uuid4()), datetime.now(UTC)
    ms = int((now - timedelta(days=1)).timestamp() * 1000)
    due = int((now + timedelta(days=30)).timestamp() * 1000)
    service = CaseService.from_settings(settings)
    try:
        reported = payload("CaseReported")
        service.record(case_id, "CaseReported", reported, "hotline-111", "s0", ms, PERSONAL)
        for n, agency in enumerate(OFFICERS.values(), start=1):
            referral = payload("ReferralSent", referral_id=f"r-{n}", to_agency=agency, due_at=due)
            service.record(case_id, "ReferralSent", referral, "hotline-111", f"s{n}", ms + n)
    finally:
        service.close()
    ReadModel().create(read_model_db(settings))  # the page reads the agency's duties there
    return case_id


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    book = UserBook(settings.effective_users_file)
    for name, agency in OFFICERS.items():
        book.put(make_user(name, "agency_officer", "", PASSWORD, agency, "en"))
    with TestClient(build_app(settings, agency_backend=backend_factory(settings))) as made:
        yield made


def openings(settings: Settings, case_id: str) -> list[tuple[str, str]]:
    engine = sa.create_engine(settings.effective_database_url)  # where the workbench records
    try:
        return [(r.agency, r.actor) for r in AccessLog(engine).entries(case_id=case_id)]
    finally:
        engine.dispose()


def test_an_agency_without_the_right_is_offered_no_opening_and_a_crafted_one_is_refused(
    client: TestClient, settings: Settings, case_id: str
) -> None:
    log_in(client, "hoa")
    page = client.get(f"/work/cases/{case_id}")
    assert page.status_code == 200, page.text
    assert 'id="no-personal-right"' in page.text
    assert 'name="purpose"' not in page.text and "/personal-data" not in page.text

    form = {"purpose": PURPOSE, "csrf": csrf(page.text)}
    refused = client.post(f"/work/cases/{case_id}/personal-data", data=form)
    assert refused.status_code == 403
    assert 'id="personal-problem"' in refused.text
    assert "personal_data_access_denied" in refused.text
    assert "Your agency may not read this child&#39;s personal data." in refused.text
    assert 'id="personal-data"' not in refused.text
    assert all(value not in refused.text for value in PERSONAL.values())
    without_purpose = client.post(
        f"/work/cases/{case_id}/personal-data", data=form | {"purpose": ""}
    )  # the right is refused first: stating a purpose would not help
    assert without_purpose.status_code == 403
    assert "personal_data_access_denied" in without_purpose.text
    assert openings(settings, case_id) == []

    client.post("/logout", data={"csrf": csrf(refused.text)})
    log_in(client, "tuan")  # the same request from an agency that may read opens it, recorded
    page = client.get(f"/work/cases/{case_id}")
    assert 'name="purpose"' in page.text
    form = {"purpose": PURPOSE, "csrf": csrf(page.text)}
    opened = client.post(f"/work/cases/{case_id}/personal-data", data=form)
    assert opened.status_code == 200 and PERSONAL["child_name"] in opened.text
    assert openings(settings, case_id) == [("police-khanh-hoa", "tuan")]

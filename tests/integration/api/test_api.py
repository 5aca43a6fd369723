"""The agency API from outside, over real HTTP, on the real broker, intake and store."""

from __future__ import annotations

import base64
import threading
from datetime import timedelta
from typing import Any

import httpx
import pytest
from kafka import KafkaConsumer

from events import Codec, Topics, open_sealed
from services.api.apikeys import KeyFile
from services.api.kafkaside import TopicPager
from services.kafka.sealingkeys import agency_keypair, backbone_keypair
from services.kafka.wiring import build_relay
from services.runtime.kafkaclients import broker_endpoint, client_config
from services.runtime.settings import Settings
from services.runtime.supervisor import StopFlag
from tests.casefactory import PERSONAL, new_case_id, new_submission_id, payload
from tests.integration.api.conftest import HOTLINE, POLICE, SOCIAL_AFFAIRS, Api, serving
from tests.kafkatools import poll_until

pytestmark = pytest.mark.integration
NOW = "2025-10-09T08:53:20+07:00"


def report(case_id: str, **extra: Any) -> dict[str, Any]:
    record = {"case_id": case_id, "occurred_at": NOW} | payload("CaseReported") | extra
    return {"step": "CaseReported", "record": record}


def intake_values(settings: Settings, agency: str) -> list[bytes]:
    """Every message on the agency's intake topic."""
    endpoint = broker_endpoint(settings)
    pager = TopicPager(lambda: KafkaConsumer(**client_config(endpoint)))
    try:
        return pager.page(Topics(settings.topic_prefix).intake(agency), "", 100).values
    finally:
        pager.close()


def settled(client: httpx.Client, submission_id: str) -> dict[str, Any]:
    answer = client.get(f"/submissions/{submission_id}", params={"wait": 25})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_report_with_clear_personal_data_is_sealed_at_once_and_recorded(
    api: Api, settings: Settings
) -> None:
    case_id = new_case_id()
    with api.as_agency(HOTLINE) as client:
        answer = client.post("/submissions", json=report(case_id, personal_data=PERSONAL))
        assert answer.status_code == 202, answer.text
        submission_id = answer.json()["submission_id"]
        status = settled(client, submission_id)
    assert status["status"] == "recorded"
    assert (status["case_id"], status["step"], status["sequence"]) == (case_id, "CaseReported", 1)
    published = intake_values(settings, HOTLINE)
    assert len(published) == 1
    assert PERSONAL["child_name"].encode() not in published[0]
    step = Codec.from_directory().decode(published[0]).record
    opened = open_sealed(backbone_keypair(settings).private_key, step["personal_data"])
    assert Codec.from_directory().decode(opened).record == PERSONAL


def test_a_replayed_submission_id_is_answered_with_its_status_and_not_sent_again(
    api: Api, settings: Settings
) -> None:
    case_id, submission_id = new_case_id(), new_submission_id()
    body = report(case_id, submission_id=submission_id)
    with api.as_agency(HOTLINE) as client:
        assert client.post("/submissions", json=body).status_code == 202
        assert settled(client, submission_id)["status"] == "recorded"
        again = client.post("/submissions", json=body)
    assert again.status_code == 200
    assert again.json()["status"] == "recorded"
    assert len(intake_values(settings, HOTLINE)) == 1


def test_a_step_the_workflow_refuses_is_rejected_with_the_intakes_reason(api: Api) -> None:
    closing = {"case_id": new_case_id(), "occurred_at": NOW} | payload("CaseClosed")
    with api.as_agency(HOTLINE) as client:
        answer = client.post("/submissions", json={"step": "CaseClosed", "record": closing})
        status = settled(client, answer.json()["submission_id"])
        assert (status["status"], status["reason"]) == ("rejected", "case_not_found")
        assert status["detail"]
        page = client.get("/rejections").json()
    assert [item["submission_id"] for item in page["items"]] == [status["submission_id"]]
    with api.as_agency(HOTLINE) as client:
        after = client.get("/rejections", params={"cursor": page["cursor"]}).json()
    assert after["items"] == []


def test_the_contract_is_checked_before_anything_is_published(api: Api) -> None:
    record = {"case_id": new_case_id(), "occurred_at": NOW}  # no channel, no codes...
    with api.as_agency(HOTLINE) as client:
        missing = client.post("/submissions", json={"step": "CaseReported", "record": record})
        unknown = client.post("/submissions", json={"step": "NoSuchStep", "record": record})
        naive = client.post("/submissions", json=report(new_case_id(), occurred_at="2025-10-09"))
    assert (missing.status_code, missing.json()["reason"]) == (422, "schema_violation")
    assert "CaseReported.channel" in missing.json()["detail"]
    assert (unknown.status_code, unknown.json()["reason"]) == (422, "unknown_wire_name")
    assert (naive.status_code, naive.json()["reason"]) == (422, "schema_violation")


def test_malformed_and_oversized_bodies_get_their_documented_answers(
    api: Api, settings: Settings
) -> None:
    headers = {"content-type": "application/json"}
    with api.as_agency(HOTLINE) as client:
        broken = client.post("/submissions", content=b'{"step": "CaseRep', headers=headers)
        shapeless = client.post("/submissions", json=["not", "an", "object"])
        huge = report(new_case_id(), setting="x" * (settings.api_max_body_bytes + 1))
        oversized = client.post("/submissions", json=huge)
    assert (broken.status_code, broken.json()["reason"]) == (422, "invalid_request")
    assert (shapeless.status_code, shapeless.json()["reason"]) == (422, "invalid_request")
    assert (oversized.status_code, oversized.json()["reason"]) == (413, "body_too_large")


def test_missing_or_wrong_keys_are_refused_and_logged_without_the_secret(
    api: Api, capfd: pytest.CaptureFixture[str]
) -> None:
    forged = api.keys[HOTLINE][:-4] + "AAAA"
    with httpx.Client(base_url=api.url) as anonymous:
        missing = anonymous.get("/inbox")
        wrong = anonymous.get("/inbox", headers={"Authorization": f"Bearer {forged}"})
    for answer in (missing, wrong):
        assert answer.status_code == 401
        assert answer.json()["reason"] == "unauthenticated"
        assert answer.headers["www-authenticate"] == "Bearer"
    captured = capfd.readouterr()
    logged = captured.out + captured.err
    assert logged.count("api.auth_failed") == 2
    assert forged.split("_", 2)[2] not in logged
    assert forged.split("_", 2)[1] in logged  # the key id says who tried


def test_another_agencys_case_is_not_found(api: Api) -> None:
    case_id = new_case_id()
    with api.as_agency(HOTLINE) as hotline:
        sent = hotline.post("/submissions", json=report(case_id))
        assert settled(hotline, sent.json()["submission_id"])["status"] == "recorded"
        own = hotline.get(f"/cases/{case_id}/events")
        with api.as_agency(POLICE) as police:
            foreign = police.get(f"/cases/{case_id}/events")
            foreign_submission = police.get(f"/submissions/{sent.json()['submission_id']}")
        missing = hotline.get(f"/cases/{new_case_id()}/events")
    assert own.status_code == 200
    assert [e["step"] for e in own.json()["events"]] == ["CaseReported"]
    for answer in (foreign, foreign_submission, missing):
        assert (answer.status_code, answer.json()["reason"]) == (404, "not_found")


def test_a_rotated_key_works_beside_the_new_one_until_revoked(api: Api) -> None:
    old = api.keys[HOTLINE]
    new = api.key_file.rotate(HOTLINE, grace=timedelta(hours=1)).key

    def status_with(key: str) -> int:
        with httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {key}"}) as c:
            return c.get(f"/submissions/{new_submission_id()}").status_code

    assert (status_with(old), status_with(new)) == (404, 404)  # both authenticated
    api.key_file.revoke(HOTLINE, old.split("_")[1])
    assert (status_with(old), status_with(new)) == (401, 404)


def test_only_supervising_agencies_read_stalled_cases(api: Api) -> None:
    with api.as_agency(HOTLINE) as client:
        answer = client.get("/stalled")
    assert (answer.status_code, answer.json()["reason"]) == (403, "not_supervising")


def test_the_documentation_page_and_schema_are_served(api: Api) -> None:
    with httpx.Client(base_url=api.url) as anonymous:
        page = anonymous.get("/docs")
        schema = anonymous.get("/openapi.json").json()
    assert page.status_code == 200 and "swagger" in page.text.lower()
    assert schema["openapi"].startswith("3.")
    assert "/submissions" in schema["paths"]


def test_an_agency_over_its_rate_is_told_when_to_come_back(settings: Settings) -> None:
    limited = settings.model_copy(update={"api_burst": 2, "api_rate_per_second": 0.25})
    hotline = KeyFile(limited.effective_api_keys_file).create(HOTLINE).key
    police = KeyFile(limited.effective_api_keys_file).create(POLICE).key
    for url in serving(limited):

        def status(key: str, url: str = url) -> httpx.Response:
            headers = {"Authorization": f"Bearer {key}"}
            return httpx.get(f"{url}/submissions/{new_submission_id()}", headers=headers)

        answers = [status(hotline) for _ in range(3)]
        assert [a.status_code for a in answers] == [404, 404, 429]
        assert answers[2].json()["reason"] == "rate_limited"
        assert 1 <= int(answers[2].headers["retry-after"]) <= 4
        assert status(police).status_code == 404  # another agency has its own allowance


def test_the_inbox_pages_with_a_cursor_and_personal_data_stays_sealed_to_the_reader(
    api: Api, settings: Settings
) -> None:
    stop = StopFlag()
    relay = threading.Thread(target=build_relay(settings).run, args=(stop,), daemon=True)
    relay.start()
    try:
        case_id = new_case_id()
        with api.as_agency(HOTLINE) as hotline:
            sent = hotline.post("/submissions", json=report(case_id, personal_data=PERSONAL))
            assert settled(hotline, sent.json()["submission_id"])["status"] == "recorded"
        with api.as_agency(SOCIAL_AFFAIRS) as dolisa:  # social affairs receives every report
            items: list[dict[str, Any]] = []
            cursor = ""

            def more() -> bool:
                nonlocal cursor
                page = dolisa.get("/inbox", params={"cursor": cursor}).json()
                items.extend(page["items"])
                cursor = page["cursor"]
                return bool(items)

            poll_until(more, 30, "the report in the social-affairs inbox")
            assert dolisa.get("/inbox", params={"cursor": cursor}).json()["items"] == []
            assert dolisa.get(f"/cases/{case_id}/events").status_code == 200
    finally:
        stop.set()
        relay.join(timeout=30)
    [item] = items
    assert (item["case_id"], item["event_type"]) == (case_id, "CaseReported")
    assert PERSONAL["child_name"] not in str(item)
    sealed = base64.b64decode(item["personal_data_sealed"])
    opened = open_sealed(agency_keypair(settings, SOCIAL_AFFAIRS).private_key, sealed)
    assert Codec.from_directory().decode(opened).record == PERSONAL

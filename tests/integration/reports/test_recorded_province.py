"""Cases recorded through the case service, relayed to Kafka and projected, then reported:
the whole path a real province's figures take, with personal data that must not come out."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from events import Topics
from projections.messages import REJECTED_AS
from projections.statistics.period import parse_period
from projections.wiring import build_runner
from services.cases.application import CaseService
from services.kafka.wiring import build_relay
from services.reports import ReportRequest, render_report
from services.runtime.kafkaclients import broker_endpoint
from services.runtime.settings import Settings
from tests.casefactory import PERSONAL, new_case_id, new_submission_id, payload
from tests.integration.projections.builders import T0, FakeClock
from tests.kafkatools import create_topics, poll_until

pytestmark = pytest.mark.integration
T0_MS = int(T0.timestamp() * 1000)


@pytest.fixture
def service(kafka_settings: Settings) -> Iterator[CaseService]:
    app = CaseService.from_settings(kafka_settings)
    topics = Topics(kafka_settings.topic_prefix)
    endpoint = broker_endpoint(kafka_settings)
    create_topics(endpoint, [topics.case_events, *(topics.inbox(a.id) for a in app.agencies.all())])
    create_topics(endpoint, [topics.alerts, topics.rejected(REJECTED_AS)])
    yield app
    app.close()


def report_case(service: CaseService, district: str, commune: str, sex: str, **more: Any) -> str:
    case_id = new_case_id()
    fields = payload("CaseReported", district_code=district, commune_code=commune, child_sex=sex)
    service.record(case_id, "CaseReported", fields | more, "hotline-111", new_submission_id(),
                   T0_MS, personal_data=PERSONAL)  # fmt: skip
    return case_id


def relay_and_project(settings: Settings, service: CaseService, events: int) -> None:
    relay = build_relay(settings, service)
    while relay.step():
        pass
    relay._reset_producer()
    runner = build_runner(settings, FakeClock(datetime.now(UTC)))
    runner.tick_every = 0.0
    runner.feed.open(runner.projector.positions())
    try:
        read = lambda: sum(runner.projector.positions().values())  # noqa: E731
        poll_until(lambda: runner.step() == 0 and read() >= events, 60, "projected")
    finally:
        runner.feed.close()
        runner.publisher.close()


def test_recorded_cases_are_counted_and_no_personal_data_reaches_a_report(
    kafka_settings: Settings, service: CaseService
) -> None:
    a = report_case(service, "582", "22738", "female")
    service.record(a, "TransferredToCommune", payload("TransferredToCommune"), "hotline-111",
                   new_submission_id(), T0_MS + 2 * 3_600_000)  # fmt: skip
    report_case(service, "584", "22783", "male")
    report_case(service, "584", "22783", "female")
    relay_and_project(kafka_settings, service, events=4)

    now = datetime.now(UTC).replace(microsecond=0)
    request = ReportRequest(parse_period("2026-03"), "csv", "en", as_of=now, publish=False)
    text = render_report(kafka_settings, request).decode()

    assert "Phan Rang\u2013Tháp Chàm,1,0,1" in text  # district 582: 1 female, 0 male
    assert "Bác Ái,1,1,2" in text
    assert "Case-events on record,4" in text
    for fmt in ("csv", "html", "pdf", "xlsx"):
        content = render_report(kafka_settings, replace(request, format=fmt, lang="vi"))
        shown = readable(content, fmt)
        leaked = [value for value in PERSONAL.values() if value in shown]
        assert leaked == [] and a not in shown, f"{fmt} holds personal data or a case id"


def readable(content: bytes, fmt: str) -> str:
    """The text a person could read in a report file (PDF streams and workbooks are packed)."""
    if fmt == "pdf":
        done = subprocess.run(
            ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
        )
        return done.stdout.decode()
    if fmt == "xlsx":
        book = load_workbook(io.BytesIO(content))
        cells = (v for ws in book for row in ws.iter_rows(values_only=True) for v in row)
        return "\n".join(str(v) for v in cells)
    return content.decode()

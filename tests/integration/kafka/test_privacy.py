"""Personal data crosses Kafka and reaches the store only sealed, and is never logged."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from events import Topics
from services.cases.application import CaseService
from services.kafka.agency import AgencyClient
from services.runtime.kafkaclients import broker_endpoint
from services.runtime.settings import Settings
from services.runtime.supervisor import StopFlag
from tests.casefactory import PERSONAL, new_case_id, payload
from tests.integration.kafka.conftest import history
from tests.kafkatools import consume, poll_until

pytestmark = pytest.mark.integration
NOW = 1_760_000_000_000


def clear_forms() -> list[bytes]:
    """Each personal value as UTF-8 and as JSON escapes it (the store keeps JSON)."""
    forms = {value.encode() for value in PERSONAL.values()}
    forms |= {json.dumps(value)[1:-1].encode() for value in PERSONAL.values()}
    return sorted(forms)


def test_personal_data_is_never_in_clear_on_the_topics_in_the_logs_or_in_the_store(
    settings: Settings,
    service: CaseService,
    intake: StopFlag,
    client: Callable[[str], AgencyClient],
    capfd: pytest.CaptureFixture[str],
) -> None:
    hotline, court = client("hotline-111"), client("court-khanh-hoa")
    case_id = new_case_id()
    hotline.submit("CaseReported", case_id, payload("CaseReported"), NOW, personal_data=PERSONAL)
    court.submit(
        "CaseReported", new_case_id(), payload("CaseReported"), NOW, personal_data=PERSONAL
    )
    poll_until(lambda: len(history(service, case_id)) == 1, 30, "the report recorded")
    assert [r.reason for r in court.rejections(timeout_s=20)] == ["role_not_allowed"]
    assert service.read_personal_data(case_id, "hotline-111") == PERSONAL

    topics, endpoint = Topics(settings.topic_prefix), broker_endpoint(settings)
    on_kafka = [
        topics.intake("hotline-111"),
        topics.intake("court-khanh-hoa"),
        topics.rejected("court-khanh-hoa"),
    ]
    seen = {topic: b"".join(r.value for r in consume(endpoint, topic, 1)) for topic in on_kafka}
    logs = capfd.readouterr()
    seen["logs"] = (logs.out + logs.err).encode()
    assert b"intake.rejected" in seen["logs"]
    home = Path(settings.home)
    seen["store"] = b"".join(p.read_bytes() for p in home.glob("events.db*"))
    assert seen["store"]
    leaks = {where: [f for f in clear_forms() if f in data] for where, data in seen.items()}
    assert leaks == {where: [] for where in seen}

"""Each policy path end to end through Kafka, time-driven stalls, alerts and rejections."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from events import Topics
from events.instants import to_millis
from projections.messages import REJECTED_AS
from projections.queries import case_view, stalled_cases
from services.cases.application import CaseService
from services.kafka.wiring import build_relay
from services.runtime.kafkaclients import broker_endpoint
from services.runtime.settings import Settings
from tests.casefactory import new_case_id, new_submission_id, payload
from tests.integration.projections.builders import DAY, HOUR, T0, CaseStory
from tests.integration.projections.conftest import Projection, decoded, publish
from tests.kafkatools import create_topics, produce

pytestmark = pytest.mark.integration


def obligation(projection: Projection, story: CaseStory, rule_id: str) -> dict[str, Any]:
    table = projection.runner.projector.model.obligations
    with projection.db.connect() as conn:
        query = sa.select(table).where(table.c.case_id == story.case_id, table.c.rule_id == rule_id)
        (row,) = conn.execute(query.order_by(table.c.opened_seq.desc()).limit(1)).mappings()
    return dict(row)


def stalled_ids(projection: Projection) -> set[str]:
    with projection.db.connect() as conn:
        found = stalled_cases(conn, projection.runner.projector.model, projection.clock())
    return {c.case_id for c in found}


def legal_aid(*later: tuple[str, Any]) -> CaseStory:
    story = CaseStory().add("LegalAidRequested", T0, agency="police-khanh-hoa", role="police")
    for step, at in later:
        story.add(step, at, agency="legal-aid-khanh-hoa", role="legal_aid")
    return story


def test_each_rule_path_through_kafka(kafka_settings: Settings, projection: Projection) -> None:
    in_time = legal_aid(("LegalAidAssigned", T0 + DAY))
    missed = legal_aid()
    late = legal_aid(("LegalAidAssigned", T0 + 6 * DAY))
    extended = CaseStory().add("PoliceReportReceived", T0, report_id="R1")
    extended.add(
        "DeadlineExtended",
        T0 + 10 * DAY,
        obligation="police_settle_report",
        new_due_at=T0 + 60 * DAY,
        authority="procuracy",
    )
    stories = [in_time, missed, late, extended]
    publish(kafka_settings, stories)
    projection.clock.now = T0 + 30 * DAY
    projection.drain(sum(len(s.messages) for s in stories))

    assert obligation(projection, in_time, "legal_aid_assigned")["met_late"] is False
    assert obligation(projection, late, "legal_aid_assigned")["met_late"] is True
    assert obligation(projection, extended, "police_settle_report")["extended"] == 1
    assert stalled_ids(projection) == {missed.case_id}


def test_a_reopened_case_owes_new_obligations(
    kafka_settings: Settings, projection: Projection
) -> None:
    story = legal_aid(("CaseClosed", T0 + HOUR), ("CaseReopened", T0 + 2 * HOUR))
    story.add("LegalAidRequested", T0 + 3 * HOUR)
    publish(kafka_settings, [story])
    projection.clock.now = T0 + 20 * DAY
    projection.drain(4)
    first = obligation(projection, story, "legal_aid_assigned")
    assert (first["opened_seq"], first["closed_at"]) == (4, None)
    assert stalled_ids(projection) == {story.case_id}


def test_stall_escalation_and_recovery_reach_the_alerts_topic_without_new_events(
    kafka_settings: Settings, projection: Projection, topics: Topics
) -> None:
    story = legal_aid()
    publish(kafka_settings, [story])
    projection.drain(1)
    for days in (6, 12):  # overdue, then overdue by the allowed time again
        projection.clock.now = T0 + days * DAY
        projection.tick()
    publish(kafka_settings, [story.add("LegalAidAssigned", T0 + 12 * DAY)], start=1)
    projection.drain(2)
    alerts = decoded(kafka_settings, topics.alerts, 3)
    assert [(a["kind"], a["level"]) for a in alerts] == [
        ("stalled", 1),
        ("escalated", 2),
        ("recovered", 0),
    ]
    assert {a["case_id"] for a in alerts} == {story.case_id}


def test_a_bad_message_is_rejected_with_its_bytes_and_the_projection_goes_on(
    kafka_settings: Settings, projection: Projection, topics: Topics
) -> None:
    bad = b"not avro at all"
    produce(broker_endpoint(kafka_settings), topics.case_events, [bad], key=b"x")
    story = legal_aid()
    publish(kafka_settings, [story])
    projection.clock.now = T0 + 6 * DAY
    projection.drain(2)
    (rejection,) = decoded(kafka_settings, topics.rejected(REJECTED_AS), 1)
    assert (rejection["reason"], rejection["original"]) == ("not_single_object", bad)
    assert stalled_ids(projection) == {story.case_id}


def test_steps_recorded_through_the_case_service_and_relay_make_the_timeline(
    kafka_settings: Settings, projection: Projection, topics: Topics
) -> None:
    service = CaseService.from_settings(kafka_settings)
    create_topics(
        broker_endpoint(kafka_settings), [topics.inbox(a.id) for a in service.agencies.all()]
    )
    case_id, at = new_case_id(), to_millis(T0)
    for step, agency in (
        ("CaseReported", "hotline-111"),
        ("PoliceReportReceived", "police-khanh-hoa"),
        ("LegalAidRequested", "police-khanh-hoa"),
    ):
        service.record(case_id, step, payload(step), agency, new_submission_id(), at)
    relay = build_relay(kafka_settings, service)
    while relay.step():
        pass
    relay._reset_producer()
    service.close()
    projection.drain(3)
    with projection.db.connect() as conn:
        view = case_view(conn, projection.runner.projector.model, case_id, datetime.now(UTC))
    assert view is not None
    assert [(s.event_type, s.agency) for s in view.steps] == [
        ("CaseReported", "hotline-111"),
        ("PoliceReportReceived", "police-khanh-hoa"),
        ("LegalAidRequested", "police-khanh-hoa"),
    ]
    assert {s.obligation.rule_id for s in view.open} >= {
        "police_settle_report",
        "legal_aid_assigned",
    }

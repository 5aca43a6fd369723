"""The projector on its read model, on SQLite and PostgreSQL: messages fed without a broker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from events import Codec
from events.instants import to_millis
from projections.projector import Projector
from projections.queries import Filters, case_view, stalled_cases
from services.runtime.settings import Settings
from tests.integration.projections.builders import (
    DAY,
    HOUR,
    T0,
    CaseStory,
    FakeClock,
    Offsets,
    projector,
)

CODEC = Codec.from_directory()
GARBAGE = b"\xc3\x01\x00\x11\x22\x33\x44\x55\x66\x77body"  # a fingerprint nobody knows


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def feed(
    make_settings: Callable[..., Settings], db: sa.Engine, clock: FakeClock
) -> Callable[..., Any]:
    """Feed messages to a fresh projector; returns (projector, feed function)."""
    proj = projector(make_settings(), db, clock)
    offsets = Offsets()

    def send(*values: bytes) -> Any:
        return proj.handle(offsets.sources(list(values)))

    send.projector = proj  # type: ignore[attr-defined]
    return send


def rows(proj: Projector, table: str) -> list[Any]:
    with proj.db.connect() as conn:
        return list(conn.execute(sa.select(getattr(proj.model, table))).mappings())


def outbox_kinds(proj: Projector) -> list[str]:
    return [r["kind"] for r in sorted(rows(proj, "outbox"), key=lambda r: r["id"])]


def legal_aid_case() -> CaseStory:
    return (
        CaseStory()
        .add("CaseReported", T0)
        .add("TransferredToCommune", T0 + HOUR)
        .add("LegalAidRequested", T0 + HOUR, agency="police-khanh-hoa", role="police")
    )


def test_the_same_event_twice_is_counted_once(feed: Any) -> None:
    story = legal_aid_case()
    feed(*story.messages)
    result = feed(story.messages[2], story.messages[1])
    assert (result.applied, result.duplicates) == (0, 2)
    assert len(rows(feed.projector, "timeline")) == 3


def test_a_batch_below_the_stored_offsets_changes_nothing(feed: Any) -> None:
    story = legal_aid_case()
    sources = Offsets().sources(story.messages)
    feed.projector.handle(sources)
    again = feed.projector.handle(sources)
    assert (again.applied, again.duplicates) == (0, 3)


def test_a_case_nobody_touches_turns_stalled_when_the_timer_passes_its_due_time(
    feed: Any, clock: FakeClock
) -> None:
    feed(*legal_aid_case().messages)
    clock.now = T0 + 2 * DAY
    feed.projector.tick()
    assert outbox_kinds(feed.projector) == []
    clock.now = T0 + 5 * DAY  # legal aid was due at the end of Thursday 5 March
    feed.projector.tick()
    assert outbox_kinds(feed.projector) == ["stalled"]
    assert [r["stalled"] for r in rows(feed.projector, "cases")] == [True]


def test_overdue_by_the_allowed_time_again_escalates_once(feed: Any, clock: FakeClock) -> None:
    feed(*CaseStory().add("LegalAidRequested", T0).messages)
    for days in (5, 9, 12, 30):
        clock.now = T0 + days * DAY
        feed.projector.tick()
    assert outbox_kinds(feed.projector) == ["stalled", "escalated"]


def test_acting_on_the_overdue_obligation_recovers_the_case_at_once(
    feed: Any, clock: FakeClock
) -> None:
    story = legal_aid_case()
    feed(*story.messages)
    clock.now = T0 + 6 * DAY
    feed.projector.tick()
    feed(
        *story.add(
            "LegalAidAssigned", T0 + 6 * DAY, agency="legal-aid-khanh-hoa", role="legal_aid"
        ).messages[3:]
    )
    assert outbox_kinds(feed.projector) == ["stalled", "recovered"]
    (ob,) = [r for r in rows(feed.projector, "obligations") if r["rule_id"] == "legal_aid_assigned"]
    assert ob["met_late"] and ob["closed_at"] == to_millis(T0 + 6 * DAY)


def test_as_of_a_past_instant_an_obligation_closed_later_counts_as_open(
    feed: Any, clock: FakeClock
) -> None:
    story = CaseStory().add("LegalAidRequested", T0).add("LegalAidAssigned", T0 + 8 * DAY)
    feed(*story.messages)
    with feed.projector.db.connect() as conn:
        then = stalled_cases(conn, feed.projector.model, T0 + 6 * DAY, as_of=True)
        now = stalled_cases(conn, feed.projector.model, T0 + 9 * DAY)
    assert [c.case_id for c in then] == [story.case_id] and now == []


def test_as_of_a_closure_recorded_later_but_back_dated_does_not_clear_the_stall_seen_then(
    feed: Any, clock: FakeClock
) -> None:
    # Assigned in time (day 1) but recorded on day 8: the board showed the case stalled on day 6.
    story = CaseStory().add("LegalAidRequested", T0)
    story.add(
        "LegalAidAssigned",
        T0 + DAY,
        agency="legal-aid-khanh-hoa",
        role="legal_aid",
        recorded=T0 + 8 * DAY,
    )
    feed(story.messages[0])
    clock.now = T0 + 6 * DAY
    feed.projector.tick()
    clock.now = T0 + 8 * DAY
    feed(story.messages[1])

    with feed.projector.db.connect() as conn:
        then = stalled_cases(conn, feed.projector.model, T0 + 6 * DAY, as_of=True)
        after = stalled_cases(conn, feed.projector.model, T0 + 8 * DAY + HOUR, as_of=True)
    assert [c.case_id for c in then] == [story.case_id] and after == []
    assert outbox_kinds(feed.projector) == ["stalled", "recovered"]
    recovered = sorted(rows(feed.projector, "outbox"), key=lambda r: r["id"])[-1]
    assert CODEC.decode(recovered["value"]).record["effective_at"] == T0 + 8 * DAY
    (ob,) = [r for r in rows(feed.projector, "obligations") if r["rule_id"] == "legal_aid_assigned"]
    assert not ob["met_late"] and ob["closed_known_at"] == to_millis(T0 + 8 * DAY)


def test_as_of_before_an_extension_was_recorded_the_old_deadline_applies(feed: Any) -> None:
    story = CaseStory().add("PoliceReportReceived", T0, report_id="R1")
    story.add(
        "DeadlineExtended",
        T0 + 25 * DAY,
        obligation="police_settle_report",
        new_due_at=T0 + 60 * DAY,
        authority="procuracy",
    )
    feed(*story.messages)
    with feed.projector.db.connect() as conn:
        before = stalled_cases(conn, feed.projector.model, T0 + 24 * DAY, as_of=True)
        after = stalled_cases(conn, feed.projector.model, T0 + 26 * DAY, as_of=True)
    assert [c.case_id for c in before] == [story.case_id] and after == []


def test_an_undecodable_message_is_rejected_and_the_batch_goes_on(feed: Any) -> None:
    story = legal_aid_case()
    result = feed(GARBAGE, *story.messages)
    assert (result.applied, result.rejected) == (3, 1)
    (rejection,) = rows(feed.projector, "outbox")
    record = CODEC.decode(rejection["value"]).record
    assert (record["reason"], record["original"]) == ("unknown_fingerprint", GARBAGE)


def test_a_fact_the_engine_refuses_is_rejected(feed: Any) -> None:
    story = CaseStory().add("LegalAidRequested", T0)
    story.add("DeadlineExtended", T0, obligation="legal_aid_assigned", new_due_at=0, authority="x")
    result = feed(*story.messages)
    assert (result.applied, result.rejected) == (1, 1)
    assert CODEC.decode(rows(feed.projector, "outbox")[0]["value"]).record["reason"] == "bad_fact"


def test_stalled_cases_narrow_by_area_and_responsible_agency(feed: Any) -> None:
    here = CaseStory().add("CaseReported", T0, commune_code="22741")
    there = CaseStory().add("CaseReported", T0, commune_code="22738")
    there.add(
        "ReferralSent",
        T0,
        referral_id="r1",
        to_agency="hospital-khanh-hoa",
        service="medical",
        due_at=T0 + DAY,
    )
    feed(*here.messages, *there.messages)
    at = T0 + 3 * DAY
    with feed.projector.db.connect() as conn:
        by_area = stalled_cases(conn, feed.projector.model, at, filters=Filters(area="22741"))
        by_agency = stalled_cases(
            conn, feed.projector.model, at, filters=Filters(agency="hospital-khanh-hoa")
        )
    assert [c.case_id for c in by_area] == [here.case_id]
    assert [c.case_id for c in by_agency] == [there.case_id]


def test_the_case_view_has_the_ordered_steps_and_open_obligations(feed: Any) -> None:
    story = legal_aid_case()
    feed(*story.messages)
    with feed.projector.db.connect() as conn:
        view = case_view(conn, feed.projector.model, story.case_id, T0 + DAY)
    assert view is not None
    assert [s.event_type for s in view.steps] == [
        "CaseReported",
        "TransferredToCommune",
        "LegalAidRequested",
    ]
    assert {s.obligation.rule_id for s in view.open} == {
        "support_plan_drafted",
        "legal_aid_assigned",
    }


def _mark(proj: Projector) -> None:
    """Set a column the projector derives (from ``due_history``) whenever it writes a row,
    to see which rows it writes again."""
    with proj.db.begin() as conn:
        conn.execute(sa.update(proj.model.obligations).values(earliest_due_at=MARK))


MARK = 1


def test_an_open_obligation_a_step_leaves_alone_is_not_written_again(
    feed: Any, clock: FakeClock
) -> None:
    story = CaseStory().add("LegalAidRequested", T0)
    feed(*story.messages)
    _mark(feed.projector)

    feed(*story.add("ConsentRecorded", T0 + HOUR).messages[1:])  # closes and moves nothing
    assert [r["earliest_due_at"] for r in rows(feed.projector, "obligations")] == [MARK]

    clock.now = T0 + 6 * DAY  # overdue: the review gives it another reported level
    feed(*story.add("ConsentRecorded", T0 + 6 * DAY).messages[2:])
    (overdue,) = rows(feed.projector, "obligations")
    assert overdue["earliest_due_at"] == overdue["due_at"] and overdue["reported_level"] == 1

    _mark(feed.projector)
    feed(*story.add("LegalAidAssigned", T0 + 6 * DAY, role="legal_aid").messages[3:])
    (closed,) = rows(feed.projector, "obligations")
    assert closed["earliest_due_at"] == closed["due_at"]
    assert closed["closed_at"] == to_millis(T0 + 6 * DAY)

"""Case-event bytes to facts: wire instants, refusals, and rows that round-trip."""

from __future__ import annotations

import json

from events import Codec
from events.instants import to_millis
from projections.decoding import PAYLOAD_MISMATCH, DecodedStep, UnusableMessage, decode_step
from projections.rows import dump_context, load_context, obligation_of, obligation_row
from projections.stalled import Obligation
from tests.integration.projections.builders import T0, CaseStory
from tests.unit.projections.builders import Story, only

CODEC = Codec.from_directory()


def test_a_referral_without_due_time_keeps_the_wire_zero() -> None:
    story = CaseStory().add(
        "ReferralSent", T0, referral_id="r1", to_agency="a", service="s", due_at=0
    )
    step = decode_step(CODEC, story.messages[0])
    assert isinstance(step, DecodedStep) and step.fact.fields["due_at"] == 0


def test_a_payload_of_another_step_than_the_envelope_says_is_refused() -> None:
    event = CODEC.decode(CaseStory().add("CaseClosed", T0).messages[0]).record
    wrong = CODEC.encode("CaseEvent", event | {"event_type": "CaseReopened"})
    refusal = decode_step(CODEC, wrong)
    assert isinstance(refusal, UnusableMessage) and refusal.reason == PAYLOAD_MISMATCH


def _extended_police_report() -> Obligation:
    story = Story().add("PoliceReportReceived", T0, report_id="R1")
    story.add(
        "DeadlineExtended",
        T0,
        obligation="police_settle_report",
        new_due_at=1_780_000_000_000,
        authority="procuracy",
    )
    return only(story.state(), "police_settle_report")


def test_an_obligation_row_reads_back_as_the_same_obligation() -> None:
    ob = _extended_police_report()
    assert obligation_of(obligation_row(ob)) == ob


def test_a_due_history_is_stored_as_the_json_text_rows_always_had() -> None:
    # a rebuild compares its rows with the live ones character for character
    ob = _extended_police_report()
    entries = [
        [to_millis(d.effective_from), to_millis(d.due_at), to_millis(d.known)]
        for d in ob.due_history
    ]
    assert len(entries) == 2
    assert obligation_row(ob)["due_history"] == json.dumps(entries)


def test_a_context_with_instants_reads_back_equal() -> None:
    context = {"CaseReported.occurred_at": T0, "CriminalCaseInstituted.crime_category": "serious"}
    assert load_context(dump_context(context)) == context

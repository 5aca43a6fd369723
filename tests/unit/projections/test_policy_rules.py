"""Every rule of the default policy: met in time, missed, met late, extended, reopened."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from projections.policyfile import load_policy
from projections.stalled import status_as_of
from tests.unit.projections.builders import T0, Story, engine, millis, obligations_of, only
from tests.unit.projections.scenarios import CAPPED, SCENARIOS, Scenario

HOUR = timedelta(hours=1)
by_rule = pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.rule_id)
by_capped_rule = pytest.mark.parametrize("scenario", CAPPED, ids=lambda s: s.rule_id)


def opened(scenario: Scenario, at: datetime = T0, story: Story | None = None) -> Story:
    story = story or Story()
    for event_type, fields in scenario.opens:
        story.add(event_type, at, **fields)
    return story


def closed_at(scenario: Scenario, at: datetime) -> Story:
    event_type, fields = scenario.closes
    return opened(scenario).add(event_type, at, **fields)


def test_every_default_rule_has_a_scenario() -> None:
    assert {rule.id for rule in load_policy().rules} == {s.rule_id for s in SCENARIOS}


@by_rule
def test_rule_opens_with_the_legal_due_time(scenario: Scenario) -> None:
    assert only(opened(scenario).state(), scenario.rule_id).due_at == scenario.due


@by_rule
def test_rule_met_in_time_is_closed_and_not_late(scenario: Scenario) -> None:
    ob = only(closed_at(scenario, scenario.due - HOUR).state(), scenario.rule_id)
    assert (ob.closed_at, ob.met_late) == (scenario.due - HOUR, False)


@by_rule
def test_rule_missed_makes_the_case_stalled_while_open(scenario: Scenario) -> None:
    status = status_as_of(opened(scenario).state().obligations, scenario.due + HOUR)
    assert status.stalled
    assert scenario.rule_id in {s.obligation.rule_id for s in status.overdue}


@by_rule
def test_rule_met_late_is_recorded_as_met_late(scenario: Scenario) -> None:
    ob = only(closed_at(scenario, scenario.due + HOUR).state(), scenario.rule_id)
    assert ob.met_late and not ob.is_open


@by_rule
def test_rule_extension_moves_the_deadline(scenario: Scenario) -> None:
    new_due = scenario.due + timedelta(days=1)
    story = opened(scenario).add(
        "DeadlineExtended", T0 + HOUR, obligation=scenario.rule_id,
        new_due_at=millis(new_due), authority="procuracy",
    )  # fmt: skip
    ob = only(story.state(), scenario.rule_id)
    assert (ob.due_at, ob.extended, ob.extension_refused) == (new_due, 1, False)
    assert not status_as_of([ob], scenario.due + HOUR).stalled


@by_capped_rule
def test_rule_extension_past_the_legal_maximum_is_held_within_it_and_flagged(
    scenario: Scenario,
) -> None:
    assert scenario.cap is not None
    story = opened(scenario).add(
        "DeadlineExtended", T0 + HOUR, obligation=scenario.rule_id,
        new_due_at=millis(scenario.cap + timedelta(days=10)), authority="procuracy",
    )  # fmt: skip
    ob = only(story.state(), scenario.rule_id)
    # Held at the most this (first) extension may add, which is never past the total maximum.
    assert ob.due_at <= scenario.cap and ob.max_due_at == scenario.cap and ob.extension_refused
    assert ob.extension_refusal in ("extension_size", "extension_cap")


def _survives_closure(scenario: Scenario) -> bool:
    rule = engine().policy.rule(scenario.rule_id)
    return rule is not None and rule.survives_closure


@by_rule
def test_rule_case_closed_closes_it_and_reopening_opens_nothing(scenario: Scenario) -> None:
    story = opened(scenario).add("CaseClosed", T0 + HOUR, reason="done")
    story.add("CaseReopened", T0 + 2 * HOUR, reason="new facts")
    (ob,) = obligations_of(story.state(), scenario.rule_id)
    if _survives_closure(scenario):  # police, procuracy and court limits run on
        assert ob.is_open and ob.closed_by is None
    else:
        assert (ob.closed_by, ob.is_open) == ("CaseClosed", False)


def _replaces_itself(scenario: Scenario) -> bool:
    """The opening step also ends an open one of the rule (a further adjournment)."""
    rule = engine().policy.rule(scenario.rule_id)
    event, fields = scenario.opens[-1]
    closers = rule.closed_by if rule is not None else ()
    return any(c.event == event and all(w.holds(fields, {}) for w in c.when) for c in closers)


def test_closing_the_case_file_leaves_the_criminal_procedure_limits_running() -> None:
    criminal = {r.id for r in engine().policy.rules if r.survives_closure}
    assert {"police_settle_report", "investigation_serious", "trial_opens"} <= criminal
    assert not {"support_plan_drafted", "legal_aid_assigned", "referral_service"} & criminal


@by_rule
def test_rule_reopened_case_opens_a_new_obligation_on_a_new_step(scenario: Scenario) -> None:
    story = opened(scenario).add("CaseClosed", T0 + HOUR, reason="done")
    story.add("CaseReopened", T0 + 2 * HOUR, reason="new facts")
    found = obligations_of(opened(scenario, T0 + 3 * HOUR, story).state(), scenario.rule_id)
    if _survives_closure(scenario) and not _replaces_itself(scenario):
        # still open: the earlier, stricter deadline is kept
        assert len(found) == 1 and found[0].is_open
        return
    old, new = found
    assert not old.is_open and new.is_open and new.opened_seq > old.opened_seq


def test_engine_reaches_the_same_rows_incrementally_as_by_replay() -> None:
    story = closed_at(SCENARIOS[0], T0 + HOUR)
    state, rows = story.state(), {}
    replayed = engine().replay("case-1", [])
    for fact in story.facts:
        replayed, changes = engine().apply(replayed, fact)
        rows.update({ob.ident: ob for ob in changes})
    assert sorted(rows.values(), key=str) == sorted(state.obligations, key=str)

"""Loading the policy: validation that names the bad rule, and province overrides."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from projections.policy import PolicyError
from projections.policyfile import DEFAULT_POLICY_PATH, load_policy, policy_from_mapping
from projections.stalled import ObligationEngine
from tests.unit.projections.builders import T0, Story, calendar, local, only


def default_data() -> dict[str, object]:
    return tomllib.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))


def with_rule_changed(rule_id: str, **changes: object) -> dict[str, object]:
    data = default_data()
    rules = data["rules"]
    assert isinstance(rules, list)
    for rule in rules:
        if rule["id"] == rule_id:
            rule.update(changes)
    return data


def test_default_policy_loads() -> None:
    assert load_policy().rule("emergency_intervention") is not None


def test_unconfirmed_figures_are_marked_in_the_default_policy() -> None:
    unconfirmed = {rule.id for rule in load_policy().rules if not rule.confirmed}
    assert {"report_to_commune", "support_plan_approved", "legal_aid_assigned",
            "medical_examination"} <= unconfirmed  # fmt: skip


def test_every_rule_carries_a_citation() -> None:
    assert all(rule.citation.strip() for rule in load_policy().rules)


def test_an_unknown_unit_is_an_error_naming_the_rule() -> None:
    data = with_rule_changed("legal_aid_assigned", deadline={"amount": 3, "unit": "fortnights"})
    with pytest.raises(PolicyError, match=r"rule 'legal_aid_assigned'.*unit"):
        policy_from_mapping(data)


def test_an_unknown_event_is_an_error_naming_the_rule() -> None:
    data = with_rule_changed("trial_opens", closed_by=["VerdictDelivred"])
    with pytest.raises(PolicyError, match=r"rule 'trial_opens'.*VerdictDelivred"):
        policy_from_mapping(data)


def test_a_misspelt_key_is_an_error_naming_the_rule() -> None:
    data = with_rule_changed("medical_examination", responsable_role="x")
    with pytest.raises(PolicyError, match=r"rule 'medical_examination'.*responsable_role"):
        policy_from_mapping(data)


def test_a_unit_on_the_wrong_clock_is_an_error_naming_the_rule() -> None:
    data = with_rule_changed("legal_aid_assigned", clock="calendar")
    with pytest.raises(PolicyError, match=r"rule 'legal_aid_assigned'.*working clock"):
        policy_from_mapping(data)


def test_a_missing_citation_is_an_error_naming_the_rule() -> None:
    data = default_data()
    rules = data["rules"]
    assert isinstance(rules, list)
    del rules[0]["citation"]
    with pytest.raises(PolicyError, match=r"rule 'report_to_commune'.*citation"):
        policy_from_mapping(data)


def test_a_broken_file_fails_at_load(tmp_path: Path) -> None:
    broken = tmp_path / "policy.toml"
    broken.write_text('[[rules]]\nid = "x"\ndeadline = { amount = -1, unit = "days" }\n')
    with pytest.raises(PolicyError, match="rule 'x'"):
        load_policy(broken)


def test_province_override_replaces_a_rule_and_disables_another(tmp_path: Path) -> None:
    override = tmp_path / "province.toml"
    override.write_text(
        'disable = ["report_to_commune"]\n'
        "[[rules]]\n"
        'id = "legal_aid_assigned"\n'
        'opened_by = "LegalAidRequested"\n'
        'closed_by = ["LegalAidAssigned"]\n'
        'deadline = { amount = 1, unit = "working_days" }\n'
        'clock = "working"\n'
        'responsible_role = "state_legal_aid_centre"\n'
        'citation = "Provincial decision (test)"\n'
        "confirmed = true\n",
        encoding="utf-8",
    )
    policy = load_policy(DEFAULT_POLICY_PATH, override)
    state = (
        Story()
        .add("CaseReported", T0)
        .add("LegalAidRequested", T0)
        .state(ObligationEngine(policy, calendar()))
    )
    assert only(state, "legal_aid_assigned").due_at == local(2026, 3, 4)
    assert policy.rule("report_to_commune") is None
    assert not [ob for ob in state.obligations if ob.rule_id == "report_to_commune"]


def test_override_disabling_an_unknown_rule_is_an_error() -> None:
    with pytest.raises(PolicyError, match=r"unknown rule.*no_such_rule"):
        policy_from_mapping(default_data(), {"disable": ["no_such_rule"]})


def test_disabling_a_rule_removes_it_from_modifiers() -> None:
    policy = policy_from_mapping(default_data(), {"disable": ["investigation_serious"]})
    assert "investigation_serious" not in policy.modifiers[0].applies_to


def test_override_can_switch_off_rolling_past_rest_days() -> None:
    policy = policy_from_mapping(default_data(), {"settings": {"roll_over_rest_days": False}})
    state = (
        Story()
        .add("PoliceReportReceived", T0, report_id="R1")
        .state(ObligationEngine(policy, calendar()))
    )
    assert only(state, "police_settle_report").due_at == local(2026, 3, 23)  # end of Sun 22


def test_a_rule_id_written_twice_in_one_file_is_refused_not_merged() -> None:
    data = default_data()
    first = _first_rule(data)
    data["rules"] = [*data["rules"], dict(first)]  # type: ignore[misc]
    with pytest.raises(PolicyError, match=f"rule {first['id']!r}: id used more than once"):
        policy_from_mapping(data)


def test_an_override_naming_one_rule_twice_is_refused() -> None:
    base = default_data()
    first = _first_rule(base)
    with pytest.raises(PolicyError, match="overrides: rule"):
        policy_from_mapping(base, {"rules": [dict(first), dict(first)]})


def _first_rule(data: dict[str, object]) -> dict[str, object]:
    rules = data["rules"]
    assert isinstance(rules, list)
    return dict(rules[0])

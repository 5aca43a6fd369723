"""Bounded inputs: every text field has a length limit, times must be plausible."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from events import SCHEMA_DIR, ContractError
from events.limits import ITEMS, LIMITS, OVERRIDES, SEALED_BYTES, check_lengths, check_occurred_at
from events.steps import STEP_NAMES
from tests.unit.events.samples import SAMPLES

CONTRACT = (SCHEMA_DIR.parent / "CONTRACT.md").read_text(encoding="utf-8")
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
SKEW = timedelta(minutes=10)
FLOOR = datetime(2000, 1, 1, tzinfo=UTC)


def _text_fields(wire_name: str) -> list[str]:
    schema = json.loads((SCHEMA_DIR / f"{wire_name}.avsc").read_text(encoding="utf-8"))
    names = []
    for field in schema["fields"]:
        kind = field["type"]
        if kind == "string" or (isinstance(kind, dict) and kind.get("items") == "string"):
            names.append(field["name"])
        elif isinstance(kind, dict) and isinstance(kind.get("items"), dict):
            names += [f["name"] for f in kind["items"]["fields"] if f["type"] == "string"]
    return names


def test_every_text_field_an_agency_sends_has_its_own_limit() -> None:
    unlisted = [
        f"{wire_name}.{name}"
        for wire_name in [*STEP_NAMES, "PersonalData"]
        for name in _text_fields(wire_name)
        if name not in LIMITS and f"{wire_name}.{name}" not in OVERRIDES
    ]
    assert unlisted == []


def test_the_contract_document_states_each_limit() -> None:
    section = CONTRACT.split("## Limits", 1)[1].split("\n## ", 1)[0]
    stated: dict[str, int] = {}
    for names, most in re.findall(r"^\| (.+) \| ([\d,]+) characters \|$", section, re.M):
        for name in re.findall(r"`([\w.]+)`", names):
            key = name if name in OVERRIDES else name.split(".")[-1]
            stated[key] = int(most.replace(",", ""))
    for field, most in LIMITS.items():
        if field in stated:  # codes are stated as one row
            assert stated[field] == most, field
    assert stated["ReferralDeclined.reason"] == OVERRIDES["ReferralDeclined.reason"]
    assert f"{SEALED_BYTES:,} bytes" in section and f"{ITEMS} items" in section


def test_a_200000_character_submission_id_is_refused_without_quoting_it() -> None:
    record = SAMPLES["CaseClosed"] | {"submission_id": "s" * 200_000}
    with pytest.raises(ContractError) as refused:
        check_lengths("CaseClosed", record)
    assert refused.value.reason == "field_too_long"
    assert "CaseClosed.submission_id is 200000 characters, at most 100" in refused.value.detail
    assert len(str(refused.value)) < 200


@pytest.mark.parametrize(
    ("wire_name", "changed"),
    [
        ("CaseReported", {"channel": "c" * 65}),
        ("CaseReported", {"forms_of_abuse": ["neglect", "n" * 65]}),
        ("CaseReported", {"forms_of_abuse": ["neglect"] * (ITEMS + 1)}),
        ("CaseReported", {"personal_data": b"\0" * (SEALED_BYTES + 1)}),
        ("ReferralDeclined", {"reason": "r" * 501}),
        ("PersonalData", {"child_name": "n" * 201}),
    ],
)
def test_each_kind_of_oversized_value_is_refused(
    wire_name: str, changed: dict[str, object]
) -> None:
    with pytest.raises(ContractError, match="field_too_long"):
        check_lengths(wire_name, SAMPLES[wire_name] | changed)


def test_a_field_of_a_plan_item_is_limited_too() -> None:
    item = SAMPLES["SupportPlanDrafted"]["items"][0] | {"item_id": "i" * 101}
    with pytest.raises(ContractError, match=r"SupportPlanDrafted.item_id is 101 characters"):
        check_lengths("SupportPlanDrafted", SAMPLES["SupportPlanDrafted"] | {"items": [item]})


def test_values_at_their_limits_pass() -> None:
    record = SAMPLES["ReferralDeclined"] | {"submission_id": "s" * 100, "reason": "r" * 500}
    check_lengths("ReferralDeclined", record)


def test_a_step_dated_beyond_the_skew_is_in_the_future() -> None:
    check_occurred_at(NOW + SKEW, NOW, SKEW, FLOOR)
    with pytest.raises(ContractError) as refused:
        check_occurred_at(NOW + SKEW + timedelta(seconds=1), NOW, SKEW, FLOOR)
    assert refused.value.reason == "occurred_in_future"
    assert "more than 10 minutes after the backbone's clock" in refused.value.detail


def test_a_step_dated_2030_is_in_the_future() -> None:
    with pytest.raises(ContractError, match="occurred_in_future"):
        check_occurred_at(datetime(2030, 1, 1, tzinfo=UTC), NOW, SKEW, FLOOR)


def test_a_step_dated_before_the_floor_is_too_early() -> None:
    check_occurred_at(FLOOR, NOW, SKEW, FLOOR)
    with pytest.raises(ContractError) as refused:
        check_occurred_at(datetime(1970, 1, 21, tzinfo=UTC), NOW, SKEW, FLOOR)
    assert refused.value.reason == "occurred_too_early"
    assert "before 2000-01-01" in refused.value.detail


@pytest.mark.parametrize("text", ["r-\x00", "\x1b[31m", "a\x7f"])
def test_a_control_character_in_a_text_is_refused(text: str) -> None:
    with pytest.raises(ContractError) as refused:
        check_lengths("ReferralAccepted", SAMPLES["ReferralAccepted"] | {"referral_id": text})
    assert refused.value.reason == "control_character"
    assert text not in str(refused.value)


def test_tabs_and_line_breaks_are_text() -> None:
    check_lengths("ReferralDeclined", SAMPLES["ReferralDeclined"] | {"reason": "a\tb\r\nc"})

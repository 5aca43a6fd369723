"""Refusals read in the person's language: the sentences the code really makes, both languages."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from babel.messages.pofile import read_po

from events import MARKER, Codec, ContractError
from events.limits import check_lengths, check_occurred_at
from events.topics import Topics
from services.api.records import from_json
from services.cases import errors, recording
from services.cases.domainmodel import Case, Submission
from services.cases.workflow import load_workflow
from services.commands.common import case_uuid
from services.commands.errors import UserError, unknown_name
from services.commands.submission import check_fields
from services.intake.bounds import Bounds
from services.intake.refusals import UNREADABLE
from services.reports import render_pdf
from services.runtime import i18n
from services.runtime.i18n import translator
from services.runtime.sentences import TEMPLATES, localize, placeholders
from services.runtime.settings import DEFAULT_CONFIG_DIR
from services.vocabulary import load_vocabulary

VI, EN = translator("vi", "UTC"), translator("en", "UTC")
NOW = datetime(2026, 3, 2, 2, tzinfo=UTC)
VOCABULARY = load_vocabulary(DEFAULT_CONFIG_DIR)


def _catalogue() -> dict[str, str]:
    path = Path(i18n.__file__).parent / "locale" / "vi" / "LC_MESSAGES" / "backbone.po"
    with path.open("rb") as source:
        return {str(m.id): str(m.string) for m in read_po(source) if m.id}


def test_every_refusal_template_is_translated_with_the_same_placeholders() -> None:
    catalogue = _catalogue()
    for template in TEMPLATES:
        assert catalogue.get(template), f"no Vietnamese for {template!r}"
        assert placeholders(catalogue[template]) == placeholders(template), template


def _message(raise_it: Callable[[], object]) -> str:
    with pytest.raises((UserError, ContractError, errors.CaseError)) as raised:
        raise_it()
    error = raised.value
    return error.detail if isinstance(error, ContractError) else str(error)


def _unknown_agency_filter() -> None:
    raise unknown_name("agency", "polise-khanh-hoa", ["police-khanh-hoa"], "backbone agencies list")


def _unknown_code() -> None:
    VOCABULARY.check("InitialRiskAssessed", {"risk_level": "x", "serious_danger": True})


def _in_future() -> None:
    check_occurred_at(
        NOW + timedelta(days=1), NOW, timedelta(minutes=10), datetime(2000, 1, 1, tzinfo=UTC)
    )


def _too_early() -> None:
    floor = datetime(2000, 1, 1, tzinfo=UTC)
    check_occurred_at(datetime(1970, 1, 21, tzinfo=UTC), NOW, timedelta(minutes=10), floor)


def _too_long() -> None:
    check_lengths("CaseClosed", {"reason": "r" * 100_000})


def _too_large() -> None:
    Bounds(VOCABULARY, max_bytes=10).check_size(b"x" * 11)


def _unknown_field() -> None:
    check_fields({"name": "CaseClosed", "fields": [{"name": "reason", "type": "string"}]},
                 {"reasn": "x"})  # fmt: skip


def _agency_ended() -> None:
    raise errors.AgencyNotValid("police-ninh-thuan", "2026-03-02", "police-khanh-hoa")


def _reused() -> None:
    raise errors.SubmissionIdReused("3e99acc3-5b1f-4c58-9d0e-1a2b3c4d5e6f", "sub-1")


# What each refusal says in Vietnamese, and the values that must come through untouched.
CASES: dict[str, tuple[Callable[[], object], str, tuple[str, ...]]] = {
    "unknown agency": (_unknown_agency_filter, "không có cơ quan", (
        "'polise-khanh-hoa'", "Có phải ý bạn là: police-khanh-hoa?", "backbone agencies list")),
    "malformed case id": (lambda: case_uuid("3e99acc3…"), "không phải là mã vụ việc",
                          ("'3e99acc3…'", "`backbone stalled`")),
    "unknown code": (_unknown_code, "không phải là mã của danh mục",
                     ("risk_level = 'x'", "'risk_level' trong vocabulary.toml")),
    "future": (_in_future, "muộn hơn đồng hồ của hệ thống quá",
               ("03/03/2026 02:00 UTC+00:00", "10 phút")),
    "too early": (_too_early, "ngày sớm nhất hệ thống chấp nhận", ("2000-01-01",)),
    "too long": (_too_long, "hãy rút ngắn rồi gửi lại", ("CaseClosed.reason", "100000 ký tự")),
    "too large": (_too_large, "thông điệp dài 11 byte", ("10",)),
    "unknown field": (_unknown_field, "không có trường reasn", ("CaseClosed", "reason")),
    "ended agency": (_agency_ended, "từ đó 'police-khanh-hoa' đảm nhận thay",
                     ("'police-ninh-thuan'", "2026-03-02")),
    "reused id": (_reused, "hãy gửi lần này với một mã gửi mới", ("'sub-1'",)),
}  # fmt: skip


# An instant is made in UTC for the wire and read as a date and time on the reader's clock.
READ_IN_ENGLISH = {
    "future": ("2026-03-03T02:00:00Z", "3 Mar 2026 02:00 UTC+00:00"),
    "too early": ("1970-01-21T00:00:00Z", "21 Jan 1970 00:00 UTC+00:00"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_refusal_reads_in_vietnamese_with_its_values_and_in_english_as_made(case: str) -> None:
    raise_it, words, values = CASES[case]
    english = _message(raise_it)
    made, read = READ_IN_ENGLISH.get(case, ("", ""))
    assert localize(english, EN) == english.replace(made, read)
    vietnamese = localize(english, VI)
    assert words in vietnamese, vietnamese
    for value in values:
        assert value in vietnamese, vietnamese
    assert vietnamese != english


def test_a_future_step_is_refused_with_its_time_on_the_provinces_clock() -> None:
    english = _message(_in_future)
    assert "2026-03-03T02:00:00Z" in english  # the wire keeps UTC for scripts
    province = "Asia/Ho_Chi_Minh"
    vietnamese = localize(english, translator("vi", province))
    assert "occurred_at 03/03/2026 09:00 UTC+07:00 muộn hơn" in vietnamese, vietnamese
    assert "occurred_at 3 Mar 2026 09:00 UTC+07:00 is more than" in localize(
        english, translator("en", province)
    )


def test_an_instant_placeholder_without_an_offset_is_shown_as_it_is() -> None:
    english = (
        "--as-of 2026-03-03T02:00 is in the future; give a past instant, or leave it out for now"
    )
    assert "--as-of 2026-03-03T02:00 nằm trong tương lai" in localize(english, VI)


def test_a_sentence_no_template_fits_is_shown_as_it_is() -> None:
    assert localize("something nobody wrote a template for", VI) == (
        "something nobody wrote a template for"
    )


# Every refusal a person may read, made by the code that makes it: the workflow's (the case
# aggregate the intake and the dashboard record through), the intake's, the contract's schema
# checks and `backbone report`'s. Each must fit a template and come out with no English left.

WORKFLOW = load_workflow(DEFAULT_CONFIG_DIR / "workflow.toml")
CASE_ID = UUID("6f1c1a52-3f5e-4c1e-9a51-0d7a1f0e2b11")
CODEC = Codec.from_directory()
REPORTED = ("CaseReported", "hotline", {"channel": "phone"})
CLOSED = ("CaseClosed", "commune", {"reason": "resolved"})
RECEIVED = ("PoliceReportReceived", "police", {"report_id": "p-1"})
SENT = (
    "ReferralSent",
    "commune",
    {"referral_id": "r-1", "to_agency": "agency-health", "service": "exam"},
)
Step = tuple[str, str, dict[str, Any]]


def _submission(step: Step, number: int) -> Submission:
    name, role, payload = step
    return Submission(name, payload, f"agency-{role}", role, 1000, f"s{number}")


def _on_case(*earlier: Step) -> Callable[[Step], Callable[[], object]]:
    """Record ``earlier`` on a new case, then (when called) the refused step."""

    def refused(step: Step) -> Callable[[], object]:
        def record() -> None:
            case = Case.report(CASE_ID, _submission(earlier[0], 0), WORKFLOW)
            for number, later in enumerate(earlier[1:], start=1):
                case.record(_submission(later, number), WORKFLOW)
            case.record(_submission(step, 99), WORKFLOW)

        return record

    return refused


def _encode(step: str, record: dict[str, Any]) -> Callable[[], object]:
    return lambda: CODEC.encode(step, record)


def _decode(data: bytes) -> Callable[[], object]:
    return lambda: CODEC.decode(data)


def _closed_record() -> bytes:
    at = datetime(2026, 3, 2, tzinfo=UTC)
    common = {"case_id": str(CASE_ID), "submission_id": "s-1", "occurred_at": at}
    return CODEC.encode("CaseClosed", common | {"reason": "resolved"})


def _raise(error: Exception) -> None:
    raise error


def _unreadable() -> None:
    raise errors.CaseError(UNREADABLE)  # the intake's refusal of a message it failed on


def _fonts_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[], object]:
    monkeypatch.setattr(render_pdf, "FONT_DIR", tmp_path)
    return render_pdf._fonts.__wrapped__


REFUSALS: dict[str, Callable[[], object]] = {
    "missing_prerequisite": _on_case(REPORTED, ("CriminalCaseInstituted", "police",
        {"crime_category": "serious", "accused_is_minor": False}))(
        ("ProsecutionDecided", "procuracy", {"decision": "indict"})),
    "role_not_allowed": _on_case(REPORTED)(("CourtAccepted", "police", {})),
    "case_closed": _on_case(REPORTED, CLOSED)(("NeedsAssessed", "commune", {"needs": ["x"]})),
    "step_not_allowed": _on_case(REPORTED)(("CaseReopened", "commune", {"reason": "x"})),
    "already_recorded first": _on_case(REPORTED)(REPORTED),
    "already_recorded once": _on_case(REPORTED, ("PersonalDataErased", "supervisor", {}))(
        ("PersonalDataErased", "supervisor", {})),
    "case_not_reported": lambda: Case.report(CASE_ID, _submission(CLOSED, 0), WORKFLOW),
    "unknown_reference": _on_case(REPORTED)(("ReferralAccepted", "health", {"referral_id": "r-1"})),
    "not_addressee": _on_case(REPORTED, SENT)(
        ("ReferralAccepted", "legal_aid", {"referral_id": "r-1"})),
    "duplicate_reference": _on_case(REPORTED, SENT)(SENT),
    "invalid_value choice": _on_case(REPORTED, RECEIVED)(
        ("PoliceReportSettled", "police", {"report_id": "p-1", "outcome": "maybe"})),
    "invalid_value empty": _on_case(REPORTED)(
        ("PoliceReportReceived", "police", {"report_id": ""})),
    "invalid_value shape": _on_case(REPORTED)(("CaseClosed", "commune", {"reason": object()})),
    "unknown_step": _on_case(REPORTED)(("CaseTeleported", "police", {})),
    "personal_data_in_payload": _on_case(REPORTED)(("NeedsAssessed", "commune",
                                                    {"child_name": "A"})),
    "erasure reserved": lambda: _raise(recording.erasure_reserved()),
    "invalid_personal_data": lambda: recording._clean({"shoe_size": "42"}),
    "duplicate_case": lambda: _raise(errors.DuplicateCase(str(CASE_ID))),
    "internal_error": _unreadable,
    "schema unknown and missing": _encode("CaseClosed", {"reasn": "x"}),
    "schema wrong type": _encode("CaseClosed", {
        "case_id": str(CASE_ID), "submission_id": "s", "occurred_at": 0, "reason": 5}),
    "schema naive time": _encode("CaseClosed", {"case_id": str(CASE_ID), "submission_id": "s",
        "occurred_at": datetime(2026, 3, 2), "reason": "x"}),  # naive: the mistake
    "unknown_wire_name": _encode("CaseTeleported", {}),
    "not_single_object": _decode(b"{}"),
    "unknown_fingerprint": _decode(MARKER + bytes(8)),
    "bad_body short": lambda: CODEC.decode(_closed_record()[:-3]),
    "bad_body trailing": lambda: CODEC.decode(_closed_record() + b"\0"),
    "bad_topic_name": lambda: Topics().agency_of("backbone.elsewhere.x"),
    "bad agency id": lambda: Topics().intake("police khanh hoa"),
    "api not a step": lambda: from_json(CODEC, "CaseEvent", {}, ""),
    "api instant": lambda: from_json(CODEC, "CaseClosed", {"occurred_at": "tomorrow"}, ""),
    "api offset": lambda: from_json(CODEC, "CaseClosed", {"occurred_at": "2026-03-02T08:00"}, ""),
}  # fmt: skip


def _english_words() -> set[str]:
    """Words of the templates' English text that no translation keeps (commands, names...)."""
    catalogue = _catalogue()
    english = {w for t in TEMPLATES for w in _words(re.sub(r"\{\w+\}", " ", t))}
    kept = {w for t in TEMPLATES for w in _words(re.sub(r"\{\w+\}", " ", catalogue[t]))}
    return english - kept


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"\b[A-Za-z]{2,}\b", text)}


def _values_removed(text: str) -> str:
    """``text`` without the values a sentence carries: quoted, code-like or CamelCase words."""
    return re.sub(r"'[^']*'|`[^`]*`|\S*[_./\[\]]\S*|\b[A-Z][a-z]+[A-Z]\w*", " ", text)


def _refusal_message(raise_it: Callable[[], object]) -> str:
    with pytest.raises((ContractError, errors.CaseError, render_pdf.FontsMissing)) as raised:
        raise_it()
    error = raised.value
    return error.detail if isinstance(error, ContractError) else str(error)


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_every_real_refusal_fits_a_template_and_reads_in_vietnamese(name: str) -> None:
    english = _refusal_message(REFUSALS[name])
    _assert_translated(english)


def test_the_report_refusal_for_missing_fonts_reads_in_vietnamese(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    english = _refusal_message(_fonts_missing(monkeypatch, tmp_path))
    vietnamese = _assert_translated(english)
    assert "fonts-dejavu-core" in vietnamese


def _assert_translated(english: str) -> str:
    assert localize(english, EN) == english
    vietnamese = localize(english, VI)
    assert vietnamese != english, english
    left = _words(_values_removed(vietnamese)) & _english_words()
    assert not left, f"English left in {vietnamese!r} (from {english!r}): {sorted(left)}"
    return vietnamese

"""Refusals read in the person's language: the sentences the code really makes, both languages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from events import ContractError
from events.limits import check_lengths, check_occurred_at
from services.cases import errors
from services.commands.common import case_uuid
from services.commands.errors import UserError, unknown_name
from services.commands.submission import check_fields
from services.kafka.bounds import Bounds
from services.runtime import i18n
from services.runtime.i18n import translator
from services.runtime.sentences import TEMPLATES, localize, placeholders
from services.settings import DEFAULT_CONFIG_DIR
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
               ("2026-03-03T02:00:00Z", "10 phút")),
    "too early": (_too_early, "ngày sớm nhất hệ thống chấp nhận", ("2000-01-01",)),
    "too long": (_too_long, "hãy rút ngắn rồi gửi lại", ("CaseClosed.reason", "100000 ký tự")),
    "too large": (_too_large, "thông điệp dài 11 byte", ("10",)),
    "unknown field": (_unknown_field, "không có trường reasn", ("CaseClosed", "reason")),
    "ended agency": (_agency_ended, "từ đó 'police-khanh-hoa' đảm nhận thay",
                     ("'police-ninh-thuan'", "2026-03-02")),
    "reused id": (_reused, "hãy gửi lần này với một mã gửi mới", ("'sub-1'",)),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_refusal_reads_in_vietnamese_with_its_values_and_in_english_as_made(case: str) -> None:
    raise_it, words, values = CASES[case]
    english = _message(raise_it)
    assert localize(english, EN) == english
    vietnamese = localize(english, VI)
    assert words in vietnamese, vietnamese
    for value in values:
        assert value in vietnamese, vietnamese
    assert vietnamese != english


def test_a_sentence_no_template_fits_is_shown_as_it_is() -> None:
    assert localize("something nobody wrote a template for", VI) == (
        "something nobody wrote a template for"
    )

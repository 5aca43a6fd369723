"""One catalogue for every surface: Vietnamese text, Vietnamese dates, the province's clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from services.runtime import i18n
from services.runtime.i18n import UnknownLanguage, translator

ZONE = "Asia/Ho_Chi_Minh"


def test_a_message_reads_in_vietnamese_from_the_catalogue() -> None:
    assert translator("vi", ZONE).gettext("Stalled cases") == "Vụ việc bị chậm trễ"


def test_english_is_the_message_id_itself() -> None:
    assert translator("en", ZONE).gettext("Stalled cases") == "Stalled cases"


def test_a_message_missing_from_the_catalogue_falls_back_to_english() -> None:
    assert translator("vi", ZONE).gettext("no such message yet") == "no such message yet"


def test_an_instant_is_shown_on_the_provinces_clock_with_its_offset() -> None:
    # 17:00 UTC is midnight of the next day in Vietnam (UTC+7).
    shown = translator("vi", ZONE).datetime(datetime(2026, 3, 4, 17, 0, tzinfo=UTC))
    assert shown == "05/03/2026 00:00 UTC+07:00"


def test_english_dates_name_the_month() -> None:
    shown = translator("en", ZONE).datetime(datetime(2026, 3, 4, 17, 0, tzinfo=UTC))
    assert shown == "5 Mar 2026 00:00 UTC+07:00"


def test_vietnamese_numbers_group_thousands_with_a_dot() -> None:
    assert translator("vi", ZONE).number(1234567) == "1.234.567"
    assert translator("vi", ZONE).date(date(2026, 1, 2)) == "02/01/2026"


def test_an_unknown_language_is_refused_with_the_choices() -> None:
    with pytest.raises(UnknownLanguage, match="vi, en"):
        translator("fr", ZONE)


def test_an_instant_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        translator("vi", ZONE).datetime(datetime(2026, 3, 4, 17, 0))


def test_each_message_has_one_translation_in_the_catalogue() -> None:
    """The catalogue merges by union: two surfaces adding the same msgid with different words
    would leave one of them silently unused, so every msgid appears once."""
    from babel.messages.pofile import read_po

    path = Path(i18n.__file__).parent / "locale" / "vi" / "LC_MESSAGES" / "backbone.po"
    ids = [
        line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("msgid ")
    ]
    repeated = sorted({i for i in ids if ids.count(i) > 1} - {'msgid ""'})
    assert repeated == []
    with path.open("rb") as file:
        assert len(read_po(file)) > 100

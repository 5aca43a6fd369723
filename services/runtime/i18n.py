"""People's language and local time, from one message catalogue shared by every surface.

The CLI, the web dashboard and the reports all translate through :func:`translator`. Message ids
are the English text; ``locale/vi/LC_MESSAGES/backbone.po`` holds the Vietnamese. Babel reads
the catalogue at first use, so no compiled ``.mo`` file has to be built or committed.

Placeholders use ``str.format`` names: ``t.gettext("{count} cases stalled").format(count=3)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

Language = Literal["vi", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DOMAIN = "backbone"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

# Babel locales used for dates and numbers: Vietnamese as written in Vietnam.
_LOCALES: dict[Language, str] = {"vi": "vi_VN", "en": "en_GB"}


class UnknownLanguage(ValueError):
    """A language code the catalogue does not have."""

    reason = "unknown_language"

    def __init__(self, code: str) -> None:
        super().__init__(f"unknown language {code!r}; choose one of: {', '.join(LANGUAGES)}")


def language(code: str) -> Language:
    """Check a language code from a flag, a setting or a user's profile."""
    for known in LANGUAGES:
        if code == known:
            return known
    raise UnknownLanguage(code)


@cache
def _catalogue(lang: Language) -> NullTranslations:
    po_file = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_file.exists():
        return NullTranslations()
    with po_file.open("rb") as source:
        catalog = read_po(source, locale=_LOCALES[lang])
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@dataclass(frozen=True)
class Translator:
    """Messages, dates and numbers in one language and the province's local time."""

    lang: Language
    zone: ZoneInfo

    @property
    def locale(self) -> Locale:
        return Locale.parse(_LOCALES[self.lang])

    def gettext(self, message: str) -> str:
        return _catalogue(self.lang).gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return _catalogue(self.lang).ngettext(singular, plural, count)

    def local(self, instant: datetime) -> datetime:
        """The instant on the province's clock (an instant without zone is refused)."""
        if instant.tzinfo is None:
            raise ValueError("an instant without a time zone cannot be shown in local time")
        return instant.astimezone(self.zone)

    def datetime(self, instant: datetime, *, seconds: bool = False) -> str:
        """A date and time on the province's clock, with the zone's offset, for people."""
        local = self.local(instant)
        pattern = "dd/MM/yyyy HH:mm:ss" if seconds else "dd/MM/yyyy HH:mm"
        if self.lang == "en":
            pattern = "d MMM yyyy HH:mm:ss" if seconds else "d MMM yyyy HH:mm"
        text = format_datetime(local, pattern, locale=self.locale)
        return f"{text} {local.strftime('%z')[:3]}:{local.strftime('%z')[3:]}".replace(
            " +", " UTC+"
        ).replace(" -", " UTC-")

    def date(self, day: date) -> str:
        pattern = "dd/MM/yyyy" if self.lang == "vi" else "d MMM yyyy"
        return format_date(day, pattern, locale=self.locale)

    def number(self, value: int | float) -> str:
        return format_decimal(value, locale=self.locale)

    def percent(self, share: float) -> str:
        return format_percent(share, format="#,##0.0%", locale=self.locale)


def translator(lang: str, zone: str | ZoneInfo) -> Translator:
    """The translator for a language code and the province's IANA zone."""
    return Translator(language(lang), zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone))

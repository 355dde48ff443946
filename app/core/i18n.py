"""Translations: one gettext catalogue per language, English message ids, bokmål by default.

The catalogues live in ``app/locale/<lang>/LC_MESSAGES/messages.po`` and are compiled in
memory with Babel when first used, so there is no separate build step to forget.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import NumberPattern, format_decimal, format_percent, parse_pattern
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES: tuple[str, ...] = ("nb", "en")
DEFAULT_LANGUAGE = "nb"

_current_language: ContextVar[str] = ContextVar("hph_language", default=DEFAULT_LANGUAGE)


@cache
def translations_for(language: str) -> NullTranslations:
    """Return the compiled catalogue for one language (English ids fall through as is)."""
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language not in LANGUAGES or not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def normalise_language(value: str | None) -> str:
    """Map a requested language (``nb``, ``no``, ``nn``, ``en-GB``...) to one we have."""
    if not value:
        return DEFAULT_LANGUAGE
    primary = value.strip().lower().replace("_", "-").split("-")[0]
    if primary in ("no", "nn", "nb"):
        return "nb"
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def set_language(language: str) -> None:
    """Set the language for the rest of this request or command."""
    _current_language.set(normalise_language(language))


def current_language() -> str:
    """Return the language of this request or command."""
    return _current_language.get()


def gettext(message: str) -> str:
    """Translate a message into the current language."""
    return translations_for(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a count into the current language."""
    return translations_for(current_language()).ngettext(singular, plural, n)


def gettext_in(language: str, message: str) -> str:
    """Translate a message into a given language, whatever the current one is."""
    return translations_for(normalise_language(language)).gettext(message)


_ = gettext


def babel_locale(language: str | None = None) -> str:
    """The Babel locale of a language (the current one when none is given)."""
    return "nb_NO" if (language or current_language()) == "nb" else "en_GB"


def format_number(
    value: float | None, digits: int | None = None, language: str | None = None
) -> str:
    """A number for people in their language ("73,1" in bokmål, "73.1" in English); with
    ``digits`` exactly that many decimals, else as many as it has (at most three)."""
    if value is None:
        return ""
    return _number_text(value, digits, babel_locale(language))


def format_share(
    value: float | None, digits: int = 1, language: str | None = None, *, fraction: bool = False
) -> str:
    """A percentage in the language's form ("73,1 %" in bokmål, "73.1%" in English): ``value``
    is in percent (73.1), or a fraction (0.731) with ``fraction``."""
    if value is None:
        return ""
    return _share_text(value if fraction else value / 100, digits, babel_locale(language))


# A page's tables write the same counts and shares again and again (a dashboard: 13 charts of
# 53 points, each of its numbers on every view): each is written once, its pattern parsed once.
@lru_cache(maxsize=8192, typed=True)
def _number_text(value: float, digits: int | None, locale: str) -> str:
    """A number written out with a locale's decimal pattern (see ``format_number``)."""
    text = format_decimal(value, format=_number_pattern(digits), locale=_locale(locale))
    return text.replace("-", "\u2212")


@lru_cache(maxsize=8192, typed=True)
def _share_text(share: float, digits: int, locale: str) -> str:
    """A fraction written out as a percentage (see ``format_share``)."""
    text = format_percent(share, format=_share_pattern(digits, locale), locale=_locale(locale))
    return text.replace("-", "\u2212")


@cache
def _locale(locale: str) -> Locale:
    """A Babel locale, parsed once."""
    return Locale.parse(locale)


@cache
def _number_pattern(digits: int | None) -> NumberPattern | None:
    """The pattern of a number with exactly ``digits`` decimals (None: the locale's own)."""
    if digits is None:
        return None
    return parse_pattern("#,##0" + ("." + "0" * digits if digits else ""))


@cache
def _share_pattern(digits: int, locale: str) -> NumberPattern:
    """A locale's percent pattern with exactly ``digits`` decimals."""
    pattern = _locale(locale).percent_formats[None].pattern
    if digits:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * digits, 1)
    return parse_pattern(pattern)


def format_day(value: date, language: str | None = None) -> str:
    """A day for people in their language ("17. des. 2025", "17 Dec 2025")."""
    return format_date(value, format="medium", locale=babel_locale(language))


def format_moment(value: datetime, language: str | None = None) -> str:
    """A moment, already in local time, for people in their language ("17. des. 2025 14:30")."""
    locale = babel_locale(language)
    day = format_date(value, format="medium", locale=locale)
    return f"{day} {format_time(value, format='short', locale=locale)}"

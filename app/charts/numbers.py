"""Numbers in the user's language for chart text, tooltips and axes (Babel, no I/O)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from babel import Locale
from babel.numbers import NumberPattern, format_decimal, parse_pattern

LOCALES = {"nb": "nb_NO", "en": "en_GB"}


def format_number(value: float, language: str, *, decimals: int = 1) -> str:
    """Write a number with at most ``decimals`` decimals, as the language writes it."""
    return _formatted(value, language, decimals)


@lru_cache(maxsize=4096)
def _formatted(value: float, language: str, decimals: int) -> str:
    """A number written out (charts repeat their counts and shares: each is formatted once)."""
    return format_decimal(value, format=_pattern(decimals), locale=_locale(language))


@lru_cache(maxsize=8)
def _pattern(decimals: int) -> NumberPattern:
    """The parsed pattern for so many decimals (a chart formats every point: parse it once)."""
    return parse_pattern("#,##0" + ("." + "#" * decimals if decimals > 0 else ""))


@lru_cache(maxsize=8)
def _locale(language: str) -> Locale:
    """The Babel locale of a language, parsed once."""
    return Locale.parse(LOCALES.get(language, "en_GB"))


def vega_locale(language: str) -> dict[str, Any]:
    """Return Vega's number locale for a language (decimal comma and thin grouping in nb)."""
    if language == "nb":
        return {"decimal": ",", "thousands": "\u00a0", "grouping": [3], "currency": ["", " kr"]}
    return {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["£", ""]}

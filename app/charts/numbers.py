"""Numbers in the user's language for chart text, tooltips and axes (Babel, no I/O)."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal

LOCALES = {"nb": "nb_NO", "en": "en_GB"}


def format_number(value: float, language: str, *, decimals: int = 1) -> str:
    """Write a number with at most ``decimals`` decimals, as the language writes it."""
    pattern = "#,##0" + ("." + "#" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=LOCALES.get(language, "en_GB"))


def vega_locale(language: str) -> dict[str, Any]:
    """Return Vega's number locale for a language (decimal comma and thin grouping in nb)."""
    if language == "nb":
        return {"decimal": ",", "thousands": "\u00a0", "grouping": [3], "currency": ["", " kr"]}
    return {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["£", ""]}

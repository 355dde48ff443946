"""Norwegian identifiers of organisations: organisation number and municipality number."""

from __future__ import annotations

from app.core.i18n import _

ORG_NUMBER_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def org_number_check_digit(first_eight: str) -> int | None:
    """The modulus-11 check digit for eight digits (None when no digit fits: 10)."""
    total = sum(int(d) * w for d, w in zip(first_eight, ORG_NUMBER_WEIGHTS, strict=True))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    return None if digit == 10 else digit


def org_number_problem(value: str) -> str | None:
    """What is wrong with an organisation number (9 digits, modulus-11), or None."""
    if len(value) != 9 or not value.isascii() or not value.isdigit():
        return _("An organisation number has exactly 9 digits.")
    if org_number_check_digit(value[:8]) != int(value[8]):
        return _("The organisation number {number} has a wrong check digit.").format(number=value)
    return None


def municipality_number_problem(value: str) -> str | None:
    """What is wrong with a municipality number (4 digits), or None."""
    if len(value) != 4 or not value.isascii() or not value.isdigit():
        return _("A municipality number has exactly 4 digits.")
    return None


def clean_number(value: str | None) -> str | None:
    """An identifier as typed, spaces removed; None when empty."""
    if value is None:
        return None
    cleaned = value.replace(" ", "").strip()
    return cleaned or None

"""The `_lastUpdated` search parameter: a prefix (eq, ge, gt, le, lt) and a date or instant."""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from app.core.config import get_settings
from app.core.i18n import _
from app.fhir.outcome import FhirProblem

PREFIXES: dict[str, Callable[[Any, Any], bool]] = {
    "ge": operator.ge,
    "gt": operator.gt,
    "le": operator.le,
    "lt": operator.lt,
}


def _bounds(text: str) -> tuple[datetime, datetime]:
    """The first and last instant a date (a local day) or an instant stands for."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day, time(0), get_settings().zone)
            return start, start + timedelta(days=1) - timedelta(microseconds=1)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise FhirProblem(
            400,
            _(
                "'_lastUpdated' needs a date (2026-03-01) or a time with its zone, after ge, gt, "
                "le, lt or eq."
            ),
        )
    return moment, moment


def _condition(value: str) -> Callable[[datetime], bool]:
    """One `_lastUpdated` value as a test on a resource's last update."""
    prefix, text = (value[:2], value[2:]) if value[:2] in (*PREFIXES, "eq") else ("eq", value)
    first, last = _bounds(text)
    if prefix == "eq":
        return lambda moment: first <= moment <= last
    bound = first if prefix in ("ge", "lt") else last
    compare = PREFIXES[prefix]
    return lambda moment: compare(moment, bound)


def last_updated_filter(values: list[str]) -> Callable[[dict[str, Any]], bool]:
    """Whether a resource's `meta.lastUpdated` meets every `_lastUpdated` value given."""
    conditions = [_condition(value) for value in values]

    def keep(resource: dict[str, Any]) -> bool:
        moment = datetime.fromisoformat(resource["meta"]["lastUpdated"])
        return all(condition(moment) for condition in conditions)

    return keep

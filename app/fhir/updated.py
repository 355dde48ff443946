"""Date search values (`_lastUpdated`, `period`): a prefix (eq, ge, gt, le, lt) and a date or
an instant, tested against a range (an instant is a range of one moment).

A date stands for the local day (Europe/Oslo). ``ge``/``gt`` look at where the range starts,
``le``/``lt`` at where it ends, and ``eq`` asks that the range and the day meet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.core.config import get_settings
from app.core.i18n import _
from app.fhir.outcome import FhirProblem

PREFIXES = ("eq", "ge", "gt", "le", "lt")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The first and last instant of a local day."""
    start = datetime.combine(day, time(0), get_settings().zone)
    return start, start + timedelta(days=1) - timedelta(microseconds=1)


@dataclass(frozen=True)
class DateCondition:
    """One prefixed date search value."""

    prefix: str
    first: datetime
    last: datetime

    def test(self, start: datetime, end: datetime) -> bool:
        """Whether a range from start to end meets this condition."""
        if self.prefix == "ge":
            return start >= self.first
        if self.prefix == "gt":
            return start > self.last
        if self.prefix == "le":
            return end <= self.last
        if self.prefix == "lt":
            return end < self.first
        return start <= self.last and end >= self.first

    @property
    def local_first(self) -> date:
        """The local day the value starts on."""
        return self.first.astimezone(get_settings().zone).date()

    @property
    def local_last(self) -> date:
        """The local day the value ends on."""
        return self.last.astimezone(get_settings().zone).date()


def date_condition(name: str, value: str) -> DateCondition:
    """Parse one value of a date parameter (400 naming the parameter when it is not one)."""
    prefix, text = (value[:2], value[2:]) if value[:2] in PREFIXES else ("eq", value)
    moment: datetime | None = None
    try:
        if len(text) == 10:
            first, last = day_bounds(date.fromisoformat(text))
            return DateCondition(prefix, first, last)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise FhirProblem(
            400,
            _(
                "'{name}' needs a date (2026-03-01) or a time with its zone, after ge, gt, "
                "le, lt or eq."
            ).format(name=name),
            location=f"http.{name}",
        )
    return DateCondition(prefix, moment, moment)

"""Periods: the window a query covers, and the weeks and months charts are drawn over."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from app.core.config import get_settings


@dataclass(frozen=True)
class Window:
    """What a query covers: local due dates, the moment of counting, and which periods."""

    first_day: date
    last_day: date
    now: datetime
    by_week: bool
    by_month: bool

    @property
    def zone(self) -> ZoneInfo:
        """The local zone periods are counted in."""
        return get_settings().zone

    @property
    def today(self) -> date:
        """The local date at the moment of counting."""
        return self.now.astimezone(self.zone).date()

    def local_midnight(self, day: date) -> datetime:
        """The UTC moment a local day starts."""
        return datetime.combine(day, time(0), self.zone).astimezone(UTC)

    def shifted_back(self, days: int) -> datetime:
        """Now minus some local calendar days (same wall-clock time), in UTC."""
        wall = self.now.astimezone(self.zone).replace(tzinfo=None) - timedelta(days=days)
        return wall.replace(tzinfo=self.zone).astimezone(UTC)


def periods_between(first: date, last: date, period: str) -> list[date]:
    """The starts of every week or month from the one holding ``first`` to ``last``'s."""
    if period == "week":
        start = first - timedelta(days=first.weekday())
        return [start + timedelta(weeks=n) for n in range((last - start).days // 7 + 1)]
    starts = []
    current = first.replace(day=1)
    while current <= last:
        starts.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return starts


def period_end(start: date, period: str) -> date:
    """The last day of the week or month starting on ``start``."""
    if period == "week":
        return start + timedelta(days=6)
    return (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def index_of(starts: Sequence[date], day: date) -> int:
    """The position of the period holding a day among sorted period starts."""
    return bisect_right(list(starts), day) - 1


def period_label(start: date, period: str) -> str:
    """The label of a period: ``2026-W05`` (ISO week) or ``2026-03``."""
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{start.year}-{start.month:02d}"


@dataclass(frozen=True)
class PeriodGrid:
    """The weeks or months a chart is drawn over: starts, labels and last days, in order."""

    period: str
    starts: tuple[date, ...]
    labels: tuple[str, ...]
    ends: tuple[date, ...]


@lru_cache(maxsize=256)
def period_grid(first: date, last: date, period: str) -> PeriodGrid:
    """The periods from the one holding ``first`` to ``last``'s (shared by every unit's chart)."""
    starts = tuple(periods_between(first, last, period))
    return PeriodGrid(
        period=period,
        starts=starts,
        labels=tuple(period_label(start, period) for start in starts),
        ends=tuple(period_end(start, period) for start in starts),
    )


def parse_period(text: str) -> tuple[str, date]:
    """Read ``2026-W05`` or ``2026-03`` into (period type, first day); ValueError otherwise."""
    text = text.strip()
    year, _, rest = text.partition("-")
    if not (text.isascii() and year.isdigit() and len(year) == 4 and rest):  # ASCII digits only
        raise ValueError(text)
    if rest[:1] in ("W", "w") and rest[1:].isdigit() and len(rest) == 3:
        return "week", date.fromisocalendar(int(year), int(rest[1:]), 1)
    if rest.isdigit() and len(rest) == 2 and 1 <= int(rest) <= 12:
        return "month", date(int(year), int(rest), 1)
    raise ValueError(text)

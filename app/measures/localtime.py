"""Local (Europe/Oslo) dates and date arithmetic in SQL, the same on SQLite and PostgreSQL.

PostgreSQL converts with ``AT TIME ZONE``; SQLite has no time zones, so the zone's UTC offsets
are written into the query as a balanced ``CASE`` over its transitions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, DateTime
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.core.config import get_settings


class LocalTimestamp(FunctionElement[datetime]):
    """The local wall-clock time (naive) of a UTC timestamp column."""

    type = DateTime()
    inherit_cache = True


class LocalDate(FunctionElement[date]):
    """The local date of a UTC timestamp column."""

    type = Date()
    inherit_cache = True


class PlusDays(FunctionElement[Any]):
    """A date (or naive timestamp) plus a whole number of calendar days."""

    inherit_cache = True

    def __init__(self, expression: Any, days: int, *, timestamp: bool = False) -> None:
        """Keep the number of days and whether the value is a timestamp."""
        self.days = int(days)
        self.timestamp = timestamp
        self.type = DateTime() if timestamp else Date()
        super().__init__(expression)


class WeekStart(FunctionElement[date]):
    """The Monday of the ISO week of a date."""

    type = Date()
    inherit_cache = True


class MonthStart(FunctionElement[date]):
    """The first day of the month of a date."""

    type = Date()
    inherit_cache = True


@lru_cache(maxsize=4)
def offset_transitions(zone_name: str) -> tuple[tuple[datetime, ...], tuple[int, ...]]:
    """The moments (naive UTC) a zone's offset changes, 1970–2100, and the offsets (seconds)."""
    zone = ZoneInfo(zone_name)

    def offset(moment: datetime) -> int:
        """The zone's offset from UTC at a moment, in seconds."""
        return int(moment.astimezone(zone).utcoffset().total_seconds())  # type: ignore[union-attr]

    moment = datetime(1970, 1, 1, tzinfo=UTC)
    moments: list[datetime] = []
    offsets = [offset(moment)]
    while moment.year < 2101:  # weekly steps: offsets never change twice in a week
        step = moment + timedelta(days=7)
        if offset(step) != offsets[-1]:
            low, high = moment, step
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset(middle) == offsets[-1] else (low, middle)
            moments.append(high.replace(microsecond=0, tzinfo=None))
            offsets.append(offset(step))
        moment = step
    return tuple(moments), tuple(offsets)


def _sqlite_offset(column_sql: str, zone_name: str) -> str:
    """A balanced CASE giving the '+N seconds' modifier for a UTC timestamp column."""
    moments, offsets = offset_transitions(zone_name)

    def tree(first: int, last: int) -> str:
        """A CASE choosing among the offsets first..last by binary search."""
        if first == last:
            return f"'{offsets[first]:+d} seconds'"
        middle = (first + last + 1) // 2
        bound = moments[middle - 1].strftime("%Y-%m-%d %H:%M:%S.%f")
        return (
            f"CASE WHEN {column_sql} < '{bound}' THEN {tree(first, middle - 1)} "
            f"ELSE {tree(middle, last)} END"
        )

    return tree(0, len(offsets) - 1)


def _zone_literal() -> str:
    """The configured zone name as a SQL string literal."""
    return "'" + get_settings().timezone.replace("'", "''") + "'"


@compiles(LocalTimestamp, "sqlite")
def _local_timestamp_sqlite(element: LocalTimestamp, compiler: Any, **kw: Any) -> str:
    """SQLite: shift the stored UTC text by the offset in force then."""
    column = compiler.process(element.clauses, **kw)
    return f"datetime({column}, {_sqlite_offset(column, get_settings().timezone)})"


@compiles(LocalTimestamp, "postgresql")
def _local_timestamp_pg(element: LocalTimestamp, compiler: Any, **kw: Any) -> str:
    """PostgreSQL: convert with the zone's rules."""
    return f"timezone({_zone_literal()}, {compiler.process(element.clauses, **kw)})"


@compiles(LocalDate, "sqlite")
def _local_date_sqlite(element: LocalDate, compiler: Any, **kw: Any) -> str:
    """SQLite: the date of the shifted UTC text."""
    column = compiler.process(element.clauses, **kw)
    return f"date({column}, {_sqlite_offset(column, get_settings().timezone)})"


@compiles(LocalDate, "postgresql")
def _local_date_pg(element: LocalDate, compiler: Any, **kw: Any) -> str:
    """PostgreSQL: the date of the converted timestamp."""
    return f"CAST(timezone({_zone_literal()}, {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(PlusDays, "sqlite")
def _plus_days_sqlite(element: PlusDays, compiler: Any, **kw: Any) -> str:
    """SQLite: date arithmetic with a modifier."""
    function = "datetime" if element.timestamp else "date"
    return f"{function}({compiler.process(element.clauses, **kw)}, '{element.days:+d} days')"


@compiles(PlusDays, "postgresql")
def _plus_days_pg(element: PlusDays, compiler: Any, **kw: Any) -> str:
    """PostgreSQL: add days to a date, or an interval to a timestamp."""
    inner = compiler.process(element.clauses, **kw)
    if element.timestamp:
        return f"({inner} + INTERVAL '{element.days} days')"
    return f"({inner} + {element.days})"


@compiles(WeekStart, "sqlite")
def _week_start_sqlite(element: WeekStart, compiler: Any, **kw: Any) -> str:
    """SQLite: the next Sunday on or after the date, less six days."""
    return f"date({compiler.process(element.clauses, **kw)}, 'weekday 0', '-6 days')"


@compiles(WeekStart, "postgresql")
def _week_start_pg(element: WeekStart, compiler: Any, **kw: Any) -> str:
    """PostgreSQL: truncate to the ISO week."""
    inner = compiler.process(element.clauses, **kw)
    return f"CAST(date_trunc('week', CAST({inner} AS TIMESTAMP)) AS DATE)"


@compiles(MonthStart, "sqlite")
def _month_start_sqlite(element: MonthStart, compiler: Any, **kw: Any) -> str:
    """SQLite: the start of the month."""
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


@compiles(MonthStart, "postgresql")
def _month_start_pg(element: MonthStart, compiler: Any, **kw: Any) -> str:
    """PostgreSQL: truncate to the month."""
    inner = compiler.process(element.clauses, **kw)
    return f"CAST(date_trunc('month', CAST({inner} AS TIMESTAMP)) AS DATE)"

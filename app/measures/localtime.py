"""Weeks and months of stored local dates in SQL, the same on SQLite and PostgreSQL.

Items store the local date they fall due (computed in Python with ``zoneinfo``), so SQL only
finds the Monday of its ISO week and the first of its month.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class WeekStart(FunctionElement[date]):
    """The Monday of the ISO week of a date."""

    type = Date()
    inherit_cache = True


class MonthStart(FunctionElement[date]):
    """The first day of the month of a date."""

    type = Date()
    inherit_cache = True


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

"""SQL aggregation: one grouped query per measure and level, the same on SQLite and PostgreSQL.

Every counted item has a window (MEASUREMENT.md §1). A query yields, per unit and period,
the numerator, the denominator (decided items less not-applicable and cancelled ones) and the
pending items (window still open, nothing decided), as a pure function of the stored facts
and ``now``. The items come from ``sources``: checklist instances and stored measure items.

``count_items`` reads the stored counts (``stored_counts``) of the segments that have settled
by ``now`` and counts the rest live from the items; ``count_items_from_scratch`` counts every
item, and is the reference the stored counts are tested against.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import Date, Integer, func, literal, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from app.core.db import engine_name
from app.measures.catalogue import MeasureDefinition
from app.measures.count_cache import COUNTS, Counted, frozen_ids, may_use, scope_of
from app.measures.item_store import ensure_built
from app.measures.localtime import MonthStart, WeekStart
from app.measures.models import MeasureCount
from app.measures.periods import Window
from app.measures.periods import index_of as index_of  # kept importable from here
from app.measures.periods import parse_period as parse_period
from app.measures.periods import period_end as period_end
from app.measures.periods import period_label as period_label
from app.measures.periods import periods_between as periods_between
from app.measures.sources import Source, fixed, fixed_days
from app.measures.stored_counts import (
    count_fingerprint,
    ensure_counted,
    item_source,
    next_change,
    segment_last,
    segments_between,
)
from app.org.models import Organisation, Team
from app.pathways.models import Pathway, Patient


class Level(StrEnum):
    """Where counts are added up: per team, organisation, network, or everything."""

    team = "team"
    organisation = "organisation"
    network = "network"
    all = "all"


class CountRow(NamedTuple):
    """Counts of one unit in one week and/or month (the one not grouped by is None)."""

    unit_id: int
    week: date | None
    month: date | None
    numerator: float
    denominator: float
    pending: int


Days = Sequence[tuple[date, date]]


def _items(
    source: Source, window: Window, team_ids: Sequence[int] | None, days: Days | None = None
) -> Any:
    """The items as a subquery of team, week, month and counts, added up per day and team.

    Due date and team are stored, so the day totals come straight off the covering index (in
    its order, for one measure); weeks and months are then taken of the day totals. ``days``
    (ranges of local due dates) narrows the window.
    """
    if days is None:
        query = source.query.where(source.due_day.between(*fixed_days(window)))
    else:
        query = source.query.where(
            or_(*(source.due_day.between(fixed(a, Date), fixed(b, Date)) for a, b in days))
        )
    if team_ids is not None:
        query = query.where(source.team_id.in_(list(team_ids)))
    totals = query.add_columns(
        source.team_id.label("team_id"),
        source.due_day.label("due_day"),
        func.sum(source.numerator).label("numerator"),
        func.sum(source.denominator).label("denominator"),
        func.sum(source.pending).label("pending"),
    ).group_by(source.due_day, source.team_id)
    daily = totals.subquery("daily")
    return sa_select(
        daily.c.team_id,
        (WeekStart(daily.c.due_day) if window.by_week else literal(None, Date)).label("week"),
        (MonthStart(daily.c.due_day) if window.by_month else literal(None, Date)).label("month"),
        daily.c.numerator,
        daily.c.denominator,
        daily.c.pending,
    ).subquery("item")


def count_query(
    measure: MeasureDefinition,
    *,
    level: Level,
    window: Window,
    unit_ids: Sequence[int] | None = None,
    team_ids: Sequence[int] | None = None,
    days: Days | None = None,
) -> Any:
    """Build the one grouped query of a measure at a level (units or teams limited if given)."""
    items = _items(item_source(measure, window), window, team_ids, days)
    base = sa_select().select_from(items)
    unit = _unit(level, items.c.team_id)
    if level in (Level.organisation, Level.network):
        base = base.join(Team, col(Team.id) == items.c.team_id)
    if level == Level.network:
        base = base.join(Organisation, col(Organisation.id) == col(Team.organisation_id))
    if unit_ids is not None and level != Level.all:
        base = base.where(unit.in_(list(unit_ids)))
    groups = [
        g for g, on in ((items.c.week, window.by_week), (items.c.month, window.by_month)) if on
    ]
    if level != Level.all:
        groups.append(unit)
    return base.add_columns(
        unit.label("unit_id"),
        (items.c.week if window.by_week else literal(None, Date)).label("week"),
        (items.c.month if window.by_month else literal(None, Date)).label("month"),
        func.coalesce(func.sum(items.c.numerator), 0).label("numerator"),
        func.coalesce(func.sum(items.c.denominator), 0).label("denominator"),
        func.coalesce(func.sum(items.c.pending), 0).label("pending"),
    ).group_by(*groups)


def _unit(level: Level, team: Any) -> Any:
    """The column that names the unit of a level."""
    if level == Level.team:
        return team
    if level == Level.organisation:
        return col(Team.organisation_id)
    if level == Level.network:
        return col(Organisation.network_id)
    return literal(0, Integer)


def _rows(session: Session, query: Any) -> list[CountRow]:
    """Run a grouped query into count rows."""
    return [
        CountRow(
            int(unit_id),
            _as_date(week),
            _as_date(month),
            float(numerator),
            float(denominator),
            int(pending),
        )
        for unit_id, week, month, numerator, denominator, pending in session.execute(query)
    ]


def count_items_from_scratch(
    session: Session,
    measure: MeasureDefinition,
    *,
    level: Level,
    window: Window,
    unit_ids: Sequence[int] | None = None,
    team_ids: Sequence[int] | None = None,
) -> list[CountRow]:
    """Count every item of the window: the reference the stored counts must equal."""
    ensure_built(session, measure)
    query = count_query(measure, level=level, window=window, unit_ids=unit_ids, team_ids=team_ids)
    return _rows(session, query)


def count_items(
    session: Session,
    measure: MeasureDefinition,
    *,
    level: Level,
    window: Window,
    unit_ids: Sequence[int] | None = None,
    team_ids: Sequence[int] | None = None,
) -> list[CountRow]:
    """Numerator, denominator and pending per unit and period: stored where settled, else live.

    A segment (the days a week and a month share) whose stored counts of every team asked for
    settled before ``now`` is read from ``measure_count``; the others, and segments the window
    cuts, are counted live from their items. So a window that closes with no write shows as
    soon as it has closed: its segment is counted live until then (``stored_counts``).

    The rows are kept by the worker and given again for the same question while the counted
    teams' items are unchanged and no item's window closes or entry appears (``count_cache``).
    """
    ensure_built(session, measure)
    ensure_counted(session, measure)
    key: tuple[Any, ...] | None = None
    teams: list[int] = []
    if may_use(session):  # the same count, reused while nothing it read can have changed
        scope = scope_of(session, level=level.value, unit_ids=unit_ids, team_ids=team_ids)
        teams = [team[0] for team in scope.teams]
        key = (
            engine_name(session),
            measure.id,
            count_fingerprint(measure),
            level.value,
            window.first_day,
            window.last_day,
            window.by_week,
            window.by_month,
            frozen_ids(unit_ids),
            frozen_ids(team_ids),
            scope.of(measure.id),
        )
        reused = COUNTS.get(key, window.now)
        if reused is not None:
            return list(reused)
    rows, live = _count_now(session, measure, level, window, unit_ids, team_ids)
    if key is not None:
        until = next_change(session, measure, days=live, team_ids=teams, now=window.now)
        COUNTS.put(key, Counted(since=window.now, until=until, rows=tuple(rows)))
    return rows


def _count_now(
    session: Session,
    measure: MeasureDefinition,
    level: Level,
    window: Window,
    unit_ids: Sequence[int] | None,
    team_ids: Sequence[int] | None,
) -> tuple[list[CountRow], list[tuple[date, date]]]:
    """Count rows from the settled stored counts and the live items, and the days counted live."""
    starts = segments_between(window.first_day, window.last_day)
    whole = [s for s in starts if s >= window.first_day and segment_last(s) <= window.last_day]
    live = set(starts) - set(whole)
    stored: list[Any] = []
    if whole:
        query = _stored_query(measure, level, whole, unit_ids, team_ids)
        stored = list(session.execute(query).all())
        live.update(_day(row.segment_start) for row in stored if row.settled_at >= window.now)
    found: dict[tuple[int, date | None, date | None], list[float]] = {}
    for row in stored:
        start = _day(row.segment_start)
        if start not in live:
            week = start - timedelta(days=start.weekday()) if window.by_week else None
            month = start.replace(day=1) if window.by_month else None
            entry = found.setdefault((int(row.unit_id), week, month), [0.0, 0.0, 0])
            entry[0] += float(row.numerator)
            entry[1] += float(row.denominator)
    days = _ranges(sorted(live), window) if live else []
    if days:
        query = count_query(
            measure, level=level, window=window, unit_ids=unit_ids, team_ids=team_ids, days=days
        )
        _add(found, _rows(session, query))
    rows = [
        CountRow(unit, week, month, num, den, int(pending))
        for (unit, week, month), (num, den, pending) in sorted(found.items(), key=_order)
    ]
    return rows, days


def _order(entry: Any) -> tuple[int, date, date]:
    """Rows by unit, week and month."""
    unit, week, month = entry[0]
    return unit, week or date.min, month or date.min


def _add(found: dict[tuple[int, date | None, date | None], list[float]], rows: Any) -> None:
    """Add rows into totals per unit and period."""
    for row in rows:
        entry = found.setdefault((row.unit_id, row.week, row.month), [0.0, 0.0, 0])
        entry[0] += row.numerator
        entry[1] += row.denominator
        entry[2] += row.pending


def _ranges(starts: Sequence[date], window: Window) -> list[tuple[date, date]]:
    """The window's days in some segments, as few ranges as they make."""
    ranges: list[tuple[date, date]] = []
    for start in starts:
        first, last = max(start, window.first_day), min(segment_last(start), window.last_day)
        if ranges and ranges[-1][1] + timedelta(days=1) == first:
            ranges[-1] = (ranges[-1][0], last)
        else:
            ranges.append((first, last))
    return ranges


def _stored_query(
    measure: MeasureDefinition,
    level: Level,
    whole: Sequence[date],
    unit_ids: Sequence[int] | None,
    team_ids: Sequence[int] | None,
) -> Any:
    """The stored counts of whole segments per unit, with the moment the last of them settles."""
    mc = MeasureCount
    team = col(mc.team_id)
    query = (
        sa_select()
        .select_from(mc)
        .where(col(mc.measure_id) == measure.id)
        .where(col(mc.segment_start).between(whole[0], whole[-1]))
    )
    if team_ids is not None:
        query = query.where(team.in_(list(team_ids)))
    unit = _unit(level, team)
    if level in (Level.organisation, Level.network):
        query = query.join(Team, col(Team.id) == team)
    if level == Level.network:
        query = query.join(Organisation, col(Organisation.id) == col(Team.organisation_id))
    if unit_ids is not None and level != Level.all:
        query = query.where(unit.in_(list(unit_ids)))
    groups = [col(mc.segment_start)] + ([unit] if level != Level.all else [])
    return query.add_columns(
        unit.label("unit_id"),
        col(mc.segment_start).label("segment_start"),
        func.sum(col(mc.numerator)).label("numerator"),
        func.sum(col(mc.denominator)).label("denominator"),
        func.max(col(mc.settled_at)).label("settled_at"),
    ).group_by(*groups)


def fold(rows: Sequence[CountRow], period: str) -> dict[int, dict[date, CountRow]]:
    """Add up rows grouped by week and month into one period type, per unit."""
    totals: dict[int, dict[date, list[float]]] = {}
    for row in rows:
        start = row.week if period == "week" else row.month
        if start is None:
            continue
        entry = totals.setdefault(row.unit_id, {}).setdefault(start, [0.0, 0.0, 0])
        entry[0] += row.numerator
        entry[1] += row.denominator
        entry[2] += row.pending
    return {
        unit: {
            start: CountRow(unit, None, None, num, den, int(pend))
            for start, (num, den, pend) in periods.items()
        }
        for unit, periods in totals.items()
    }


def _day(value: Any) -> date:
    """A stored date as a date."""
    found = _as_date(value)
    assert found is not None
    return found


def _as_date(value: Any) -> date | None:
    """A grouped date as a date (SQLite may hand back text for computed dates)."""
    if value is None or type(value) is date:
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def item_rows(
    session: Session,
    measure: MeasureDefinition,
    *,
    window: Window,
    team_id: int,
    period: str,
    period_start: date,
) -> list[Any]:
    """The items behind one point of a team: detail columns, counts and the patient."""
    ensure_built(session, measure)
    source = item_source(measure, window)
    items = (
        source.query.where(source.due_day.between(*fixed_days(window)))
        .add_columns(
            source.team_id.label("team_id"),
            (source.week if period == "week" else source.month).label("period_start"),
            source.numerator.label("numerator"),
            source.denominator.label("denominator"),
            source.pending.label("pending"),
            *(expression.label(name) for name, expression in source.detail.items()),
        )
        .subquery("item")
    )
    rows = session.execute(
        sa_select(items, col(Patient.id).label("patient_id"), col(Patient.label).label("label"))
        .join(Pathway, col(Pathway.id) == items.c.pathway_id)
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .where(items.c.team_id == team_id)
        .where(items.c.period_start == period_start)
        .order_by(items.c.due_date, col(Patient.label), items.c.item_id)
    ).all()
    return list(rows)

"""SQL aggregation: one grouped query per measure and level, the same on SQLite and PostgreSQL.

Every counted item has a window (MEASUREMENT.md §1). A query yields, per unit and period,
the numerator, the denominator (decided items less not-applicable and cancelled ones) and the
pending items (window still open, nothing decided), as a pure function of the stored facts
and ``now``. Checklist items use the stored local ``due_week``/``due_month`` and team;
events and goals have no stored local dates, so their local dates are computed in SQL: with
``AT TIME ZONE`` on PostgreSQL and, on SQLite (no time zones), with the zone's UTC offsets
written into the query as a balanced ``CASE`` over its transitions.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
)
from sqlalchemy import select as sa_select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, String, col

from app.checklists.models import ChecklistAnswer, ChecklistInstance, InstanceStatus
from app.core.config import get_settings
from app.goals.models import Goal, GoalRating, GoalStatus, WhatMattersConversation
from app.measures.catalogue import (
    BundleCount,
    ChecklistCount,
    GoalReratingCount,
    MeasureDefinition,
    PsfsChangeCount,
    ReadmissionCount,
    WhatMattersCount,
)
from app.org.models import Organisation, Team
from app.pathways.models import EventKind, EventStatus, Pathway, PathwayEvent, PathwayTeam, Patient

LEFT_OUT = (InstanceStatus.not_applicable.value, InstanceStatus.cancelled.value)
Teams = list[int] | None


class Level(StrEnum):
    """Where counts are added up: per team, organisation, network, or everything."""

    team = "team"
    organisation = "organisation"
    network = "network"
    all = "all"


@dataclass(frozen=True)
class CountRow:
    """Counts of one unit in one week and/or month (the one not grouped by is None)."""

    unit_id: int
    week: date | None
    month: date | None
    numerator: float
    denominator: float
    pending: int


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


# --- local dates in SQL ---------------------------------------------------------------------


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


# --- item sources ------------------------------------------------------------------------------


@dataclass
class Source:
    """One row per counted item: team, local due date (week, month), and its three counts."""

    team_id: Any
    week: Any
    month: Any
    numerator: Any
    denominator: Any
    pending: Any
    query: Any  # a Select over the item tables, without columns yet
    detail: dict[str, Any]  # per-item columns for the list behind a point (see DETAIL_COLUMNS)
    due_day: Any = None  # the due date column, for the date range (None: already filtered)


def _fixed(value: Any, type_: Any) -> Any:
    """A value written into the SQL text rather than bound.

    The measures' queries differ only in such values (checklist ids, date ranges); bound, they
    would share one prepared statement on PostgreSQL, whose generic plan cannot see how
    selective they are.
    """
    return literal(value, type_, literal_execute=True)


def _fixed_list(values: Sequence[str]) -> Any:
    """Several values written into the SQL text (see ``_fixed``)."""
    return bindparam(None, list(values), expanding=True, literal_execute=True)


def _fixed_days(window: Window) -> tuple[Any, Any]:
    """A window's first and last local day, written into the SQL text (see ``_fixed``)."""
    return _fixed(window.first_day, Date), _fixed(window.last_day, Date)


def _flag(condition: Any) -> Any:
    """1 when a condition holds, else 0."""
    return case((condition, 1), else_=0)


class EventNotCancelled(FunctionElement[bool]):
    """An instance's triggering event (if any) was not cancelled.

    PostgreSQL runs NOT EXISTS as a (parallel) hash anti-join; SQLite would look every row's
    event up in the event table, so there it is NOT IN over the few cancelled events, which
    SQLite keeps as a small in-memory index. Both mean the same.
    """

    type = Boolean()
    inherit_cache = True


@compiles(EventNotCancelled, "sqlite")
def _not_cancelled_sqlite(element: EventNotCancelled, compiler: Any, **kw: Any) -> str:
    """SQLite: NOT IN over the cancelled events."""
    event_id = compiler.process(element.clauses, **kw)
    return (
        f"({event_id} IS NULL OR {event_id} NOT IN "
        "(SELECT id FROM pathway_event WHERE status = 'cancelled'))"
    )


@compiles(EventNotCancelled, "postgresql")
def _not_cancelled_pg(element: EventNotCancelled, compiler: Any, **kw: Any) -> str:
    """PostgreSQL: an anti-join on the event."""
    event_id = compiler.process(element.clauses, **kw)
    return (
        "NOT EXISTS (SELECT 1 FROM pathway_event "
        f"WHERE pathway_event.id = {event_id} AND pathway_event.status = 'cancelled')"
    )


def _event_not_cancelled(instance: Any) -> Any:
    """The instance's triggering event (if any) was not cancelled."""
    return EventNotCancelled(instance.event_id)


def _done_by(instance: Any, now: datetime) -> Any:
    """Completed, and entered by the moment of counting."""
    entered = func.coalesce(instance.recorded_at, instance.performed_at)
    return and_(instance.status == InstanceStatus.completed.value, entered <= now)


def _instance_detail(instance: Any) -> dict[str, Any]:
    """What the list behind a point shows of a checklist instance."""
    return {
        "item_id": instance.id,
        "pathway_id": instance.pathway_id,
        "what": instance.definition_id,
        "status": instance.status,
        "due_date": instance.due_date,
        "window_start": instance.window_start,
        "window_end": instance.window_end,
        "done_at": instance.performed_at,
    }


def _dated_detail(
    item_id: Any, pathway_id: Any, what: str, status: Any, due: Any, **moments: Any
) -> dict[str, Any]:
    """What the list behind a point shows of an event, pathway or goal item."""
    return {
        "item_id": item_id,
        "pathway_id": pathway_id,
        "what": literal(what, String),
        "status": status,
        "due_date": due,
        "window_start": moments.get("window_start", literal(None, DateTime)),
        "window_end": literal(None, DateTime),
        "done_at": moments.get("done_at", literal(None, DateTime)),
    }


def _checklist_source(rule: ChecklistCount, window: Window, team_ids: Teams) -> Source:
    """Checklist instances: decided when done, left out, or their window has closed."""
    del team_ids  # the caller filters on the stored team
    ci: Any = aliased(ChecklistInstance, name="ci")
    done = _done_by(ci, window.now)
    counted = done | (ci.window_end < window.now)
    if rule.numerator == "on_time":
        met = and_(done, ci.performed_at <= ci.window_end)
    elif rule.numerator == "completed":
        met = done
    else:
        assert rule.answer is not None
        answered = (
            sa_select(literal(1))
            .where(col(ChecklistAnswer.instance_id) == ci.id)
            .where(col(ChecklistAnswer.item_id) == rule.answer.item)
            .where(cast(ChecklistAnswer.value, String) == json.dumps(rule.answer.equals))
        )
        met = and_(done, exists(answered))
    query = (
        sa_select()
        .select_from(ci)
        .where(col(ci.definition_id).in_(_fixed_list(rule.checklists)))
        .where(col(ci.status).not_in(LEFT_OUT))
        .where(_event_not_cancelled(ci))
    )
    return Source(
        team_id=ci.team_id,
        week=ci.due_week,
        month=ci.due_month,
        numerator=_flag(met),  # met implies done, which implies counted
        denominator=_flag(counted),
        pending=_flag(~counted),
        query=query,
        detail=_instance_detail(ci),
        due_day=ci.due_date,
    )


def _bundle_source(rule: BundleCount, window: Window, team_ids: Teams) -> Source:
    """An event's bundle of lists, dated and decided by its anchor list's window."""
    anchor: Any = aliased(ChecklistInstance, name="anchor")
    member: Any = aliased(ChecklistInstance, name="member")
    lists = (
        sa_select(member.event_id.label("event_id"), func.count().label("lists"))
        .where(col(member.definition_id).in_(_fixed_list(rule.checklists)))
        .where(_done_by(member, window.now))
        .where(member.performed_at <= member.window_end)
        .group_by(member.event_id)
    )
    if team_ids is not None:  # only the events of these teams' anchors
        chosen: Any = aliased(ChecklistInstance, name="chosen")
        anchors = (
            sa_select(chosen.event_id)
            .where(chosen.definition_id == _fixed(rule.anchor, String))
            .where(chosen.due_date.between(*_fixed_days(window)))
            .where(col(chosen.team_id).in_(team_ids))
        )
        lists = lists.where(col(member.event_id).in_(anchors))
    on_time = lists.subquery("on_time")
    closed = anchor.window_end < window.now
    query = (
        sa_select()
        .select_from(anchor)
        .outerjoin(on_time, on_time.c.event_id == anchor.event_id)
        .where(anchor.definition_id == _fixed(rule.anchor, String))
        .where(col(anchor.status).not_in(LEFT_OUT))
        .where(_event_not_cancelled(anchor))
    )
    return Source(
        team_id=anchor.team_id,
        week=anchor.due_week,
        month=anchor.due_month,
        numerator=_flag(and_(closed, func.coalesce(on_time.c.lists, 0) >= rule.required)),
        denominator=_flag(closed),
        pending=_flag(~closed),
        query=query,
        detail=_instance_detail(anchor),
        due_day=anchor.due_date,
    )


def _responsible(query: Any, pathway_id: Any, moment: Any, *, by_date: bool) -> tuple[Any, Any]:
    """Join the team responsible for a pathway at a local moment (or at the end of a local day).

    As in the pathway service, that is the responsibility running then, else the patient's
    team; the query must already join ``Patient``.
    """
    pt: Any = aliased(PathwayTeam, name="pt")
    local = LocalDate if by_date else LocalTimestamp
    running = and_(
        pt.pathway_id == pathway_id,
        local(pt.from_at) <= moment,
        or_(col(pt.until_at).is_(None), local(pt.until_at) > moment),
    )
    return query.outerjoin(pt, running), func.coalesce(pt.team_id, Patient.team_id)


def _of_teams(query: Any, pathway_id: Any, team_ids: Teams) -> Any:
    """Keep the pathways that some of these teams were ever responsible for (a pre-filter)."""
    if team_ids is None:
        return query
    ever = sa_select(col(PathwayTeam.pathway_id)).where(col(PathwayTeam.team_id).in_(team_ids))
    return query.where(or_(col(Patient.team_id).in_(team_ids), pathway_id.in_(ever)))


def _dated(source_day: Any, window: Window, **fields: Any) -> Source:
    """A source whose local due date is a computed expression."""
    return Source(
        week=WeekStart(source_day) if window.by_week else None,
        month=MonthStart(source_day) if window.by_month else None,
        **fields,
    )


def _readmission_source(rule: ReadmissionCount, window: Window, team_ids: Teams) -> Source:
    """Discharges followed for some days: readmitted or not once the days have passed."""
    days = rule.follow_days

    def discharges(alias: Any) -> Any:
        """The active discharges whose following days end in the window."""
        first = window.local_midnight(window.first_day - timedelta(days))
        after = window.local_midnight(window.last_day - timedelta(days - 1))
        return (
            sa_select()
            .select_from(alias)
            .where(alias.kind == EventKind.hospital_discharge.value)
            .where(alias.status == EventStatus.active.value)
            .where(alias.occurred_at >= first)
            .where(alias.occurred_at < after)
        )

    def followed_until(alias: Any) -> Any:
        """The local moment a discharge's following days end."""
        return PlusDays(LocalTimestamp(alias.occurred_at), days, timestamp=True)

    earlier: Any = aliased(PathwayEvent, name="earlier")
    admission: Any = aliased(PathwayEvent, name="admission")
    readmissions = (
        discharges(earlier)
        .add_columns(earlier.id.label("discharge_id"))
        .join(admission, admission.pathway_id == earlier.pathway_id)
        .where(admission.kind == EventKind.hospital_admission.value)
        .where(admission.status == EventStatus.active.value)
        .where(admission.occurred_at > earlier.occurred_at)
        .where(LocalTimestamp(admission.occurred_at) <= followed_until(earlier))
        .group_by(earlier.id)
        .subquery("readmitted")
    )
    discharge: Any = aliased(PathwayEvent, name="discharge")
    query = (
        discharges(discharge)
        .join(Pathway, col(Pathway.id) == discharge.pathway_id)
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .outerjoin(readmissions, readmissions.c.discharge_id == discharge.id)
    )
    query = _of_teams(query, discharge.pathway_id, team_ids)
    query, team = _responsible(
        query, discharge.pathway_id, followed_until(discharge), by_date=False
    )
    readmitted = readmissions.c.discharge_id.is_not(None)
    passed = discharge.occurred_at < window.shifted_back(days)
    due = PlusDays(LocalDate(discharge.occurred_at), days)
    status = case((readmitted, "readmitted"), (passed, "not_readmitted"), else_="open")
    return _dated(
        due,
        window,
        team_id=team,
        numerator=_flag(and_(passed, readmitted)),
        denominator=_flag(passed),
        pending=_flag(~passed),
        query=query,
        detail=_dated_detail(
            discharge.id,
            discharge.pathway_id,
            "hospital_discharge",
            status,
            due,
            window_start=discharge.occurred_at,
        ),
    )


def _what_matters_source(rule: WhatMattersCount, window: Window, team_ids: Teams) -> Source:
    """Pathways started: an answered conversation within some days of the start."""
    days = rule.within_days
    first, last = window.first_day - timedelta(days), window.last_day - timedelta(days)
    talk = WhatMattersConversation
    held_pathways = (
        sa_select(col(talk.pathway_id).label("pathway_id"))
        .join(Pathway, col(Pathway.id) == col(talk.pathway_id))
        .where(col(Pathway.started_on).between(_fixed(first, Date), _fixed(last, Date)))
        .where(col(talk.could_not_answer).is_(False))
        .where(col(talk.held_on) >= col(Pathway.started_on))
        .where(col(talk.held_on) <= PlusDays(Pathway.started_on, days))
        .where(col(talk.created_at) <= window.now)
        .group_by(col(talk.pathway_id))
        .subquery("held")
    )
    due = PlusDays(Pathway.started_on, days)
    held = held_pathways.c.pathway_id.is_not(None)
    closed = due < window.today
    ended_early = and_(col(Pathway.ended_on).is_not(None), col(Pathway.ended_on) < due)
    query = (
        sa_select()
        .select_from(Pathway)
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .outerjoin(held_pathways, held_pathways.c.pathway_id == col(Pathway.id))
        .where(col(Pathway.started_on).between(_fixed(first, Date), _fixed(last, Date)))
        .where(held | ~ended_early)
    )
    query = _of_teams(query, col(Pathway.id), team_ids)
    query, team = _responsible(query, col(Pathway.id), due, by_date=True)
    status = case((held, "documented"), (closed, "missed"), else_="open")
    return _dated(
        due,
        window,
        team_id=team,
        numerator=_flag(held),
        denominator=_flag(held | closed),
        pending=_flag(~(held | closed)),
        query=query,
        detail=_dated_detail(Pathway.id, Pathway.id, "what_matters", status, due),
    )


def _baselines(first: date, last: date) -> Any:
    """Goals' baseline ratings between two dates (the earliest, should a goal have two)."""
    base: Any = aliased(GoalRating, name="base")
    older: Any = aliased(GoalRating, name="older")
    earlier = (
        sa_select(literal(1))
        .where(older.goal_id == base.goal_id)
        .where(older.is_baseline.is_(True))
        .where(older.rated_on < base.rated_on)
    )
    return (
        sa_select(base.goal_id.label("goal_id"), base.rated_on.label("rated_on"))
        .where(base.is_baseline.is_(True))
        .where(base.rated_on.between(_fixed(first, Date), _fixed(last, Date)))
        .where(~exists(earlier))
        .subquery("baseline")
    )


def _rerating_source(rule: GoalReratingCount, window: Window, team_ids: Teams) -> Source:
    """PSFS goals due for re-rating some days after their baseline."""
    days = rule.due_days
    first, last = window.first_day - timedelta(days), window.last_day - timedelta(days)
    baseline = _baselines(first, last)
    again: Any = aliased(GoalRating, name="again")
    rerated_goals = (
        sa_select(again.goal_id.label("goal_id"))
        .join(baseline, baseline.c.goal_id == again.goal_id)
        .where(again.is_baseline.is_(False))
        .where(again.rated_on > baseline.c.rated_on)
        .where(again.rated_on <= PlusDays(baseline.c.rated_on, days))
        .where(again.created_at <= window.now)
        .group_by(again.goal_id)
        .subquery("rerated")
    )
    due = PlusDays(baseline.c.rated_on, days)
    rerated = rerated_goals.c.goal_id.is_not(None)
    closed = due < window.today
    ended_early = and_(col(Pathway.ended_on).is_not(None), col(Pathway.ended_on) < due)
    query = (
        sa_select()
        .select_from(Goal)
        .join(baseline, baseline.c.goal_id == col(Goal.id))
        .join(Pathway, col(Pathway.id) == col(Goal.pathway_id))
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .outerjoin(rerated_goals, rerated_goals.c.goal_id == col(Goal.id))
        .where(col(Goal.status).not_in((GoalStatus.dropped.value, GoalStatus.changed.value)))
        .where(rerated | ~ended_early)
    )
    query = _of_teams(query, col(Pathway.id), team_ids)
    query, team = _responsible(query, col(Pathway.id), due, by_date=True)
    status = case((rerated, "rerated"), (closed, "missed"), else_="open")
    return _dated(
        due,
        window,
        team_id=team,
        numerator=_flag(rerated),
        denominator=_flag(rerated | closed),
        pending=_flag(~(rerated | closed)),
        query=query,
        detail=_dated_detail(Goal.id, Pathway.id, "goal_rerating", status, due),
    )


def _psfs_source(rule: PsfsChangeCount, window: Window, team_ids: Teams) -> Source:
    """Re-rating rounds of a pathway (goals re-rated on one day) against their baselines."""
    rating: Any = aliased(GoalRating, name="rating")
    base: Any = aliased(GoalRating, name="base")

    def as_better(row: Any) -> Any:
        """A rating on the 'higher is better' scale, whichever way it was taken."""
        flipped = row.scale_direction == "lower_is_better"
        return case((flipped, 10 - row.rating), else_=row.rating)

    rounds = (
        sa_select(
            col(Goal.pathway_id).label("pathway_id"),
            rating.rated_on.label("rated_on"),
            func.sum(as_better(rating) - as_better(base)).label("change"),
            func.count().label("goals"),
        )
        .select_from(rating)
        .join(Goal, col(Goal.id) == rating.goal_id)
        .join(base, and_(base.goal_id == rating.goal_id, base.is_baseline.is_(True)))
        .where(rating.is_baseline.is_(False))
        .where(rating.rated_on > base.rated_on)
        .where(rating.rated_on >= _fixed(window.first_day, Date))
        .where(rating.rated_on <= _fixed(min(window.last_day, window.today), Date))
        .where(rating.created_at <= window.now)
        .group_by(col(Goal.pathway_id), rating.rated_on)
        .subquery("round")
    )
    improved = rounds.c.change >= get_settings().psfs_mic_mean * rounds.c.goals
    if rule.result == "improved":
        numerator = _flag(improved)
    else:
        numerator = cast(rounds.c.change, Float) / rounds.c.goals
    query = (
        sa_select()
        .select_from(rounds)
        .join(Pathway, col(Pathway.id) == rounds.c.pathway_id)
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
    )
    query = _of_teams(query, col(Pathway.id), team_ids)
    query, team = _responsible(query, col(Pathway.id), rounds.c.rated_on, by_date=True)
    return _dated(
        rounds.c.rated_on,
        window,
        team_id=team,
        numerator=numerator,
        denominator=literal(1, Integer),
        pending=literal(0, Integer),
        query=query,
        detail=_dated_detail(
            Pathway.id,
            Pathway.id,
            "psfs_change",
            case((improved, "improved"), else_="not_improved"),
            rounds.c.rated_on,
        ),
    )


SOURCES = {
    ChecklistCount: _checklist_source,
    BundleCount: _bundle_source,
    ReadmissionCount: _readmission_source,
    WhatMattersCount: _what_matters_source,
    GoalReratingCount: _rerating_source,
    PsfsChangeCount: _psfs_source,
}


def item_source(measure: MeasureDefinition, window: Window, team_ids: Teams = None) -> Source:
    """The item rows a measure counts (``team_ids``: only items that may be these teams')."""
    return SOURCES[type(measure.count)](measure.count, window, team_ids)  # type: ignore[operator]


# --- the grouped query -------------------------------------------------------------------------


def count_query(
    measure: MeasureDefinition,
    *,
    level: Level,
    window: Window,
    unit_ids: Sequence[int] | None = None,
    team_ids: Sequence[int] | None = None,
) -> Any:
    """Build the one grouped query of a measure at a level (units or teams limited if given)."""
    source = item_source(measure, window, list(team_ids) if team_ids is not None else None)
    if source.due_day is not None:
        # Stored dates and team: group the item table itself, so (team_id, due_date) serves.
        base = source.query.where(source.due_day.between(*_fixed_days(window)))
        team, week, month = source.team_id, source.week, source.month
        numerator, denominator, pending = source.numerator, source.denominator, source.pending
    else:
        items = source.query.add_columns(
            source.team_id.label("team_id"),
            (source.week if window.by_week else literal(None, Date)).label("week"),
            (source.month if window.by_month else literal(None, Date)).label("month"),
            source.numerator.label("numerator"),
            source.denominator.label("denominator"),
            source.pending.label("pending"),
        ).subquery("item")
        base = sa_select().select_from(items)
        team, week, month = items.c.team_id, items.c.week, items.c.month
        numerator, denominator, pending = items.c.numerator, items.c.denominator, items.c.pending
    if team_ids is not None:
        base = base.where(team.in_(list(team_ids)))
    unit = _unit(level, team)
    if level in (Level.organisation, Level.network):
        base = base.join(Team, col(Team.id) == team)
    if level == Level.network:
        base = base.join(Organisation, col(Organisation.id) == col(Team.organisation_id))
    if unit_ids is not None and level != Level.all:
        base = base.where(unit.in_(list(unit_ids)))
    # Periods first: grouping by team first would lead SQLite to walk the team index.
    groups = [g for g, on in ((week, window.by_week), (month, window.by_month)) if on]
    if level != Level.all:
        groups.append(unit)
    return base.add_columns(
        unit.label("unit_id"),
        (week if window.by_week else literal(None, Date)).label("week"),
        (month if window.by_month else literal(None, Date)).label("month"),
        func.coalesce(func.sum(numerator), 0).label("numerator"),
        func.coalesce(func.sum(denominator), 0).label("denominator"),
        func.coalesce(func.sum(pending), 0).label("pending"),
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


def count_items(
    session: Session,
    measure: MeasureDefinition,
    *,
    level: Level,
    window: Window,
    unit_ids: Sequence[int] | None = None,
    team_ids: Sequence[int] | None = None,
) -> list[CountRow]:
    """Run a measure's grouped query: numerator, denominator and pending per unit and period."""
    query = count_query(measure, level=level, window=window, unit_ids=unit_ids, team_ids=team_ids)
    return [
        CountRow(
            unit_id=int(row.unit_id),
            week=_as_date(row.week),
            month=_as_date(row.month),
            numerator=float(row.numerator),
            denominator=float(row.denominator),
            pending=int(row.pending),
        )
        for row in session.execute(query)
    ]


def _as_date(value: Any) -> date | None:
    """A grouped date as a date (SQLite may hand back text for computed dates)."""
    if value is None or isinstance(value, date):
        return value if not isinstance(value, datetime) else value.date()
    return date.fromisoformat(str(value)[:10])


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


def parse_period(text: str) -> tuple[str, date]:
    """Read ``2026-W05`` or ``2026-03`` into (period type, first day); ValueError otherwise."""
    text = text.strip()
    year, _, rest = text.partition("-")
    if not (year.isdigit() and len(year) == 4 and rest):
        raise ValueError(text)
    if rest[:1] in ("W", "w") and rest[1:].isdigit() and len(rest) == 3:
        return "week", date.fromisocalendar(int(year), int(rest[1:]), 1)
    if rest.isdigit() and len(rest) == 2 and 1 <= int(rest) <= 12:
        return "month", date(int(year), int(rest), 1)
    raise ValueError(text)


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
    source = item_source(measure, window)
    query = source.query
    if source.due_day is not None:
        query = query.where(source.due_day.between(*_fixed_days(window)))
    items = query.add_columns(
        source.team_id.label("team_id"),
        (source.week if period == "week" else source.month).label("period_start"),
        source.numerator.label("numerator"),
        source.denominator.label("denominator"),
        source.pending.label("pending"),
        *(expression.label(name) for name, expression in source.detail.items()),
    ).subquery("item")
    rows = session.execute(
        sa_select(items, col(Patient.id).label("patient_id"), col(Patient.label).label("label"))
        .join(Pathway, col(Pathway.id) == items.c.pathway_id)
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .where(items.c.team_id == team_id)
        .where(items.c.period_start == period_start)
        .order_by(items.c.due_date, col(Patient.label), items.c.item_id)
    ).all()
    return list(rows)

"""The previous derivation of the non-checklist measures, all in SQL, kept as a test oracle.

Until the measure items were stored (``app.measures.item_rules``), these sources computed local
dates and the team responsible inside each query. They are independent of the stored items,
so ``test_stored_items`` checks that both give the same counts on the seeded demo.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, DateTime, Float, Integer, and_, case, cast, exists, func, literal, or_
from sqlalchemy import select as sa_select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import String, col

from app.checklists.models import ChecklistInstance
from app.core.config import get_settings
from app.goals.models import Goal, GoalRating, GoalStatus, WhatMattersConversation
from app.measures.catalogue import (
    BundleCount,
    GoalReratingCount,
    PsfsChangeCount,
    ReadmissionCount,
    WhatMattersCount,
)
from app.measures.localtime import MonthStart, WeekStart
from app.measures.periods import Window
from app.measures.sources import (
    LEFT_OUT,
    Source,
    _instance_detail,
    done_by,
    fixed,
    fixed_days,
    fixed_list,
    flag,
)
from app.pathways.models import EventKind, EventStatus, Pathway, PathwayEvent, PathwayTeam, Patient

Teams = list[int] | None  # the old sources could narrow pathways to some teams first


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


def dated_detail(
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


def bundle_source(rule: BundleCount, window: Window, team_ids: Teams) -> Source:
    """An event's bundle of lists, dated and decided by its anchor list's window."""
    anchor: Any = aliased(ChecklistInstance, name="anchor")
    member: Any = aliased(ChecklistInstance, name="member")
    lists = (
        sa_select(member.event_id.label("event_id"), func.count().label("lists"))
        .where(col(member.definition_id).in_(fixed_list(rule.checklists)))
        .where(done_by(member, window.now))
        .where(member.performed_at <= member.window_end)
        .group_by(member.event_id)
    )
    if team_ids is not None:  # only the events of these teams' anchors
        chosen: Any = aliased(ChecklistInstance, name="chosen")
        anchors = (
            sa_select(chosen.event_id)
            .where(chosen.definition_id == fixed(rule.anchor, String))
            .where(chosen.due_date.between(*fixed_days(window)))
            .where(col(chosen.team_id).in_(team_ids))
        )
        lists = lists.where(col(member.event_id).in_(anchors))
    on_time = lists.subquery("on_time")
    closed = anchor.window_end < window.now
    query = (
        sa_select()
        .select_from(anchor)
        .outerjoin(on_time, on_time.c.event_id == anchor.event_id)
        .where(anchor.definition_id == fixed(rule.anchor, String))
        .where(col(anchor.status).not_in(LEFT_OUT))
        .where(col(anchor.event_cancelled).is_(False))
    )
    return Source(
        team_id=anchor.team_id,
        week=anchor.due_week,
        month=anchor.due_month,
        numerator=flag(and_(closed, func.coalesce(on_time.c.lists, 0) >= rule.required)),
        denominator=flag(closed),
        pending=flag(~closed),
        query=query,
        detail=_instance_detail(anchor),
        due_day=anchor.due_date,
    )


def responsible(query: Any, pathway_id: Any, moment: Any, *, by_date: bool) -> tuple[Any, Any]:
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


def of_teams(query: Any, pathway_id: Any, team_ids: Teams) -> Any:
    """Keep the pathways that some of these teams were ever responsible for (a pre-filter)."""
    if team_ids is None:
        return query
    ever = sa_select(col(PathwayTeam.pathway_id)).where(col(PathwayTeam.team_id).in_(team_ids))
    return query.where(or_(col(Patient.team_id).in_(team_ids), pathway_id.in_(ever)))


def dated(source_day: Any, window: Window, **fields: Any) -> Source:
    """A source whose local due date is a computed expression."""
    return Source(
        week=WeekStart(source_day) if window.by_week else None,
        month=MonthStart(source_day) if window.by_month else None,
        due_day=source_day,
        **fields,
    )


def readmission_source(rule: ReadmissionCount, window: Window, team_ids: Teams) -> Source:
    """Discharges followed for some days: readmitted or not once the days have passed."""
    days = rule.follow_days

    def discharges(alias: Any) -> Any:
        """The active discharges whose following days end in the window."""
        first, last = window.first_day - timedelta(days), window.last_day - timedelta(days)
        return (
            sa_select()
            .select_from(alias)
            .where(alias.kind == EventKind.hospital_discharge.value)
            .where(alias.occurred_on.between(fixed(first, Date), fixed(last, Date)))
            .where(alias.status == EventStatus.active.value)
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
    readmitted = readmissions.c.discharge_id.is_not(None)
    due = PlusDays(discharge.occurred_on, days)
    # A pathway that ended before the following days did leaves the discharge out, unless
    # the patient was readmitted (DESIGN.md §10).
    ended_early = and_(col(Pathway.ended_on).is_not(None), col(Pathway.ended_on) < due)
    query = (
        discharges(discharge)
        .join(Pathway, col(Pathway.id) == discharge.pathway_id)
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .outerjoin(readmissions, readmissions.c.discharge_id == discharge.id)
        .where(readmitted | ~ended_early)
    )
    query = of_teams(query, discharge.pathway_id, team_ids)
    query, team = responsible(query, discharge.pathway_id, followed_until(discharge), by_date=False)
    passed = discharge.occurred_at < window.shifted_back(days)
    status = case((readmitted, "readmitted"), (passed, "not_readmitted"), else_="open")
    return dated(
        due,
        window,
        team_id=team,
        numerator=flag(and_(passed, readmitted)),
        denominator=flag(passed),
        pending=flag(~passed),
        query=query,
        detail=dated_detail(
            discharge.id,
            discharge.pathway_id,
            "hospital_discharge",
            status,
            due,
            window_start=discharge.occurred_at,
        ),
    )


def what_matters_source(rule: WhatMattersCount, window: Window, team_ids: Teams) -> Source:
    """Pathways started: an answered conversation within some days of the start."""
    days = rule.within_days
    first, last = window.first_day - timedelta(days), window.last_day - timedelta(days)
    talk = WhatMattersConversation
    held_pathways = (
        sa_select(col(talk.pathway_id).label("pathway_id"))
        .join(Pathway, col(Pathway.id) == col(talk.pathway_id))
        .where(col(Pathway.started_on).between(fixed(first, Date), fixed(last, Date)))
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
        .where(col(Pathway.started_on).between(fixed(first, Date), fixed(last, Date)))
        .where(held | ~ended_early)
    )
    query = of_teams(query, col(Pathway.id), team_ids)
    query, team = responsible(query, col(Pathway.id), due, by_date=True)
    status = case((held, "documented"), (closed, "missed"), else_="open")
    return dated(
        due,
        window,
        team_id=team,
        numerator=flag(held),
        denominator=flag(held | closed),
        pending=flag(~(held | closed)),
        query=query,
        detail=dated_detail(Pathway.id, Pathway.id, "what_matters", status, due),
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
        .where(base.rated_on.between(fixed(first, Date), fixed(last, Date)))
        .where(~exists(earlier))
        .subquery("baseline")
    )


def rerating_source(rule: GoalReratingCount, window: Window, team_ids: Teams) -> Source:
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
    query = of_teams(query, col(Pathway.id), team_ids)
    query, team = responsible(query, col(Pathway.id), due, by_date=True)
    status = case((rerated, "rerated"), (closed, "missed"), else_="open")
    return dated(
        due,
        window,
        team_id=team,
        numerator=flag(rerated),
        denominator=flag(rerated | closed),
        pending=flag(~(rerated | closed)),
        query=query,
        detail=dated_detail(Goal.id, Pathway.id, "goal_rerating", status, due),
    )


def psfs_source(rule: PsfsChangeCount, window: Window, team_ids: Teams) -> Source:
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
        .where(rating.rated_on >= fixed(window.first_day, Date))
        .where(rating.rated_on <= fixed(min(window.last_day, window.today), Date))
        .where(rating.created_at <= window.now)
        .group_by(col(Goal.pathway_id), rating.rated_on)
        .subquery("round")
    )
    improved = rounds.c.change >= get_settings().psfs_mic_mean * rounds.c.goals
    if rule.result == "improved":
        numerator = flag(improved)
    else:
        numerator = cast(rounds.c.change, Float) / rounds.c.goals
    query = (
        sa_select()
        .select_from(rounds)
        .join(Pathway, col(Pathway.id) == rounds.c.pathway_id)
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
    )
    query = of_teams(query, col(Pathway.id), team_ids)
    query, team = responsible(query, col(Pathway.id), rounds.c.rated_on, by_date=True)
    return dated(
        rounds.c.rated_on,
        window,
        team_id=team,
        numerator=numerator,
        denominator=literal(1, Integer),
        pending=literal(0, Integer),
        query=query,
        detail=dated_detail(
            Pathway.id,
            Pathway.id,
            "psfs_change",
            case((improved, "improved"), else_="not_improved"),
            rounds.c.rated_on,
        ),
    )


REFERENCE_SOURCES = {
    BundleCount: bundle_source,
    ReadmissionCount: readmission_source,
    WhatMattersCount: what_matters_source,
    GoalReratingCount: rerating_source,
    PsfsChangeCount: psfs_source,
}

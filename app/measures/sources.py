"""Item sources over checklists and events: one row per counted item, its team, date, counts.

Checklist items carry their stored local due date, week, month, team and whether their event
was cancelled; events carry their stored local date. Goals and conversations have dates
already; only who was responsible at a local moment is computed in SQL (see ``localtime``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
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
from sqlalchemy.orm import aliased
from sqlmodel import String, col

from app.checklists.models import ChecklistAnswer, ChecklistInstance, InstanceStatus
from app.measures.catalogue import (
    BundleCount,
    ChecklistCount,
    ReadmissionCount,
)
from app.measures.localtime import LocalDate, LocalTimestamp, MonthStart, PlusDays, WeekStart
from app.measures.periods import Window
from app.pathways.models import EventKind, EventStatus, Pathway, PathwayEvent, PathwayTeam, Patient

LEFT_OUT = (InstanceStatus.not_applicable.value, InstanceStatus.cancelled.value)
Teams = list[int] | None


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


def fixed(value: Any, type_: Any) -> Any:
    """A value written into the SQL text rather than bound.

    The measures' queries differ only in such values (checklist ids, date ranges); bound, they
    would share one prepared statement on PostgreSQL, whose generic plan cannot see how
    selective they are.
    """
    return literal(value, type_, literal_execute=True)


def fixed_list(values: Sequence[str]) -> Any:
    """Several values written into the SQL text (see ``fixed``)."""
    return bindparam(None, list(values), expanding=True, literal_execute=True)


def fixed_days(window: Window) -> tuple[Any, Any]:
    """A window's first and last local day, written into the SQL text (see ``fixed``)."""
    return fixed(window.first_day, Date), fixed(window.last_day, Date)


def flag(condition: Any) -> Any:
    """1 when a condition holds, else 0."""
    return case((condition, 1), else_=0)


def done_by(instance: Any, now: datetime) -> Any:
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


def checklist_source(rule: ChecklistCount, window: Window, team_ids: Teams) -> Source:
    """Checklist instances: decided when done, left out, or their window has closed."""
    del team_ids  # the caller filters on the stored team
    ci: Any = aliased(ChecklistInstance, name="ci")
    done = done_by(ci, window.now)
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
        .where(col(ci.definition_id).in_(fixed_list(rule.checklists)))
        .where(col(ci.status).not_in(LEFT_OUT))
        .where(col(ci.event_cancelled).is_(False))
    )
    return Source(
        team_id=ci.team_id,
        week=ci.due_week,
        month=ci.due_month,
        numerator=flag(met),  # met implies done, which implies counted
        denominator=flag(counted),
        pending=flag(~counted),
        query=query,
        detail=_instance_detail(ci),
        due_day=ci.due_date,
    )


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
    query = (
        discharges(discharge)
        .join(Pathway, col(Pathway.id) == discharge.pathway_id)
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .outerjoin(readmissions, readmissions.c.discharge_id == discharge.id)
    )
    query = of_teams(query, discharge.pathway_id, team_ids)
    query, team = responsible(query, discharge.pathway_id, followed_until(discharge), by_date=False)
    readmitted = readmissions.c.discharge_id.is_not(None)
    passed = discharge.occurred_at < window.shifted_back(days)
    due = PlusDays(discharge.occurred_on, days)
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

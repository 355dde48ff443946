"""Item sources: one row per counted item, with its team, local due date and three counts.

Checklist instances carry their stored local due date, week, month, team and whether their
event was cancelled. Every other item a measure counts (readmissions, "what matters", re-ratings,
PSFS change, bundles) is stored with the same facts in ``measure_item`` (see ``item_rules``).
Both are counted as of ``now``, so a chart can be recomputed for any past moment.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Date,
    Float,
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
from app.core.config import get_settings
from app.measures.catalogue import (
    BundleCount,
    ChecklistCount,
    FollowUpCount,
    GoalReratingCount,
    MeasureDefinition,
    PsfsChangeCount,
    ReadmissionCount,
    WhatMattersCount,
)
from app.measures.localtime import MonthStart, WeekStart
from app.measures.models import MeasureItem
from app.measures.periods import Window
from app.risks.models import FollowUp, FollowUpStatus

LEFT_OUT = (InstanceStatus.not_applicable.value, InstanceStatus.cancelled.value)
# What the list behind a point calls a stored item, and its status once met or once decided unmet.
ITEM_KINDS = {
    BundleCount: "checklist_bundle",
    ReadmissionCount: "hospital_discharge",
    WhatMattersCount: "what_matters",
    GoalReratingCount: "goal_rerating",
    PsfsChangeCount: "psfs_change",
}
ITEM_STATUSES = {
    BundleCount: ("bundle_complete", "bundle_incomplete"),
    ReadmissionCount: ("readmitted", "not_readmitted"),
    WhatMattersCount: ("documented", "missed"),
    GoalReratingCount: ("rerated", "missed"),
}


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
    detail: dict[str, Any]  # per-item columns for the list behind a point
    due_day: Any  # the local due date, which places the item in its day, week and month


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


def checklist_source(rule: ChecklistCount, window: Window) -> Source:
    """Checklist instances: decided when done, left out, or their window has closed."""
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


def follow_up_source(rule: FollowUpCount, window: Window) -> Source:
    """Follow-ups of risks, counted like checklists: decided when done, not needed, cancelled
    or their window has closed; not needed and cancelled ones leave the denominator."""
    fu: Any = aliased(FollowUp, name="fu")
    entered = func.coalesce(fu.recorded_at, fu.done_at)
    done = and_(fu.status == FollowUpStatus.done.value, entered <= window.now)
    counted = done | (fu.window_end < window.now)
    met = and_(done, fu.done_at <= fu.window_end)
    query = (
        sa_select()
        .select_from(fu)
        .where(
            col(fu.status).not_in((FollowUpStatus.not_needed.value, FollowUpStatus.cancelled.value))
        )
    )
    if rule.rules is not None:
        query = query.where(col(fu.rule_id).in_(fixed_list(rule.rules)))
    return Source(
        team_id=fu.team_id,
        week=fu.due_week,
        month=fu.due_month,
        numerator=flag(met),
        denominator=flag(counted),
        pending=flag(~counted),
        query=query,
        detail={
            "item_id": fu.id,
            "pathway_id": fu.pathway_id,
            "what": fu.rule_id,
            "status": fu.status,
            "due_date": fu.due_date,
            "window_start": fu.window_start,
            "window_end": fu.window_end,
            "done_at": fu.done_at,
        },
        due_day=fu.due_date,
    )


def stored_source(measure: MeasureDefinition, window: Window) -> Source:
    """Stored measure items (``item_rules``): visible, met and decided as of ``window.now``."""
    mi: Any = aliased(MeasureItem, name="mi")
    now = window.now
    met = and_(mi.met_at.is_not(None), mi.met_at <= now)
    closed = mi.closes_at < now
    decided = or_(met, closed)
    rule = measure.count
    if isinstance(rule, PsfsChangeCount):
        improved = mi.value >= get_settings().psfs_mic_mean
        numerator: Any = (
            flag(and_(met, improved))
            if rule.result == "improved"
            else (case((met, mi.value), else_=literal(0.0, Float)))
        )
        status: Any = case((improved, "improved"), else_="not_improved")
    else:
        numerator = flag(met)
        met_label, unmet_label = ITEM_STATUSES[type(rule)]
        status = case((met, met_label), (closed, unmet_label), else_="open")
    query = (
        sa_select()
        .select_from(mi)
        .where(mi.measure_id == fixed(measure.id, String))
        .where(or_(mi.counted_from.is_(None), mi.counted_from <= now))
    )
    return Source(
        team_id=mi.team_id,
        week=WeekStart(mi.due_date),
        month=MonthStart(mi.due_date),
        numerator=numerator,
        denominator=flag(decided),
        pending=flag(~decided),
        query=query,
        detail={
            "item_id": mi.subject_id,
            "pathway_id": mi.pathway_id,
            "what": literal(ITEM_KINDS[type(rule)], String),
            "status": status,
            "due_date": mi.due_date,
            "window_start": mi.opened_at,
            "window_end": mi.closes_at,
            "done_at": mi.met_at,
        },
        due_day=mi.due_date,
    )

"""Item sources over pathways and goals: "what matters" conversations, re-ratings, PSFS change."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, Float, Integer, and_, case, cast, exists, func, literal
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.core.config import get_settings
from app.goals.models import Goal, GoalRating, GoalStatus, WhatMattersConversation
from app.measures.catalogue import GoalReratingCount, PsfsChangeCount, WhatMattersCount
from app.measures.localtime import PlusDays
from app.measures.periods import Window
from app.measures.sources import (
    Source,
    Teams,
    dated,
    dated_detail,
    fixed,
    flag,
    of_teams,
    responsible,
)
from app.pathways.models import Pathway, Patient


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

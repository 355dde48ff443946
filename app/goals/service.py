"""PSFS goals and ratings, and the 'what matters' page and lists built from them.

The checks on what users enter live in ``validation``, who may see what in ``access``, and
recording and correcting conversations in ``conversations`` (importable from here too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.checklists.models import ChecklistInstance
from app.core.config import get_settings
from app.core.i18n import _
from app.core.templating import local_date
from app.goals import psfs
from app.goals.access import audit_access, visible_goal, visible_pathway
from app.goals.conversations import get_conversation as get_conversation  # kept importable here
from app.goals.conversations import participant_choices as participant_choices
from app.goals.conversations import record_conversation as record_conversation
from app.goals.conversations import update_conversation as update_conversation
from app.goals.errors import InvalidInput, StateConflict, VersionConflict
from app.goals.models import Goal, GoalRating, GoalStatus, WhatMattersConversation
from app.goals.validation import goal_values, local_today, rating_problems, too_long
from app.goals.views import (
    ConversationView,
    GoalView,
    PathwayRow,
    WhatMatters,
    WhatMattersPage,
    conversation_view,
    goal_view,
)
from app.org.scope import Viewer
from app.pathways.models import Pathway, Patient


def _ratings_by_goal(session: Session, goal_ids: Sequence[int]) -> dict[int, list[GoalRating]]:
    """All ratings of these goals, in one query."""
    by_goal: dict[int, list[GoalRating]] = {goal_id: [] for goal_id in goal_ids}
    if goal_ids:
        rows = session.exec(select(GoalRating).where(col(GoalRating.goal_id).in_(goal_ids))).all()
        for rating in rows:
            by_goal[rating.goal_id].append(rating)
    return by_goal


def _goal_views(session: Session, goals: Sequence[Goal]) -> list[GoalView]:
    """Views of these goals with their ratings."""
    ratings = _ratings_by_goal(session, [int(g.id or 0) for g in goals])
    mic = get_settings().psfs_mic_single
    return [goal_view(g, ratings[int(g.id or 0)], mic_single=mic) for g in goals]


def _build_page(session: Session, pathway: Pathway, patient: Patient) -> WhatMattersPage:
    """Load a pathway's conversations, goals and ratings into the page view."""
    conversations = session.exec(
        select(WhatMattersConversation)
        .where(WhatMattersConversation.pathway_id == pathway.id)
        .order_by(
            col(WhatMattersConversation.held_on).desc(), col(WhatMattersConversation.id).desc()
        )
    ).all()
    goals = session.exec(
        select(Goal).where(Goal.pathway_id == pathway.id).order_by(col(Goal.position), col(Goal.id))
    ).all()
    views = _goal_views(session, goals)
    settings = get_settings()
    active = tuple(v for v in views if v.status == GoalStatus.active.value)
    closed = sorted(
        (v for v in views if v.status != GoalStatus.active.value),
        key=lambda v: (v.updated_at, v.id),
        reverse=True,
    )
    choices = participant_choices()
    conversation_views = tuple(conversation_view(c, choices) for c in conversations)
    summary = WhatMatters(
        pathway_id=int(pathway.id or 0),
        patient_id=int(patient.id or 0),
        patient_label=patient.label,
        pathway_status=pathway.status,
        started_on=pathway.started_on,
        conversation=conversation_views[0] if conversation_views else None,
        goals=active,
        mean=psfs.mean_progress((g.progress for g in active), mic_mean=settings.psfs_mic_mean),
        mic_single=settings.psfs_mic_single,
        mic_mean=settings.psfs_mic_mean,
    )
    return WhatMattersPage(summary, conversation_views, tuple(closed), local_today())


def list_pathways(
    session: Session,
    *,
    viewer: Viewer,
    without_goals: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[PathwayRow]:
    """List open pathways of the viewer's teams with their patient label and goal count."""
    if not viewer.patient_team_ids:
        return []
    active = (
        select(Goal.pathway_id, func.count().label("n"))
        .where(Goal.status == GoalStatus.active.value)
        .group_by(col(Goal.pathway_id))
        .subquery()
    )
    active_count = func.coalesce(active.c.n, 0)
    statement = (
        select(Pathway, Patient, active_count)
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .join(active, active.c.pathway_id == Pathway.id, isouter=True)
        .where(col(Patient.team_id).in_(viewer.patient_team_ids), Pathway.status == "open")
        .order_by(col(Patient.label), col(Pathway.id))
    )
    if without_goals:
        statement = statement.where(active_count == 0)
    rows = session.exec(statement.limit(limit).offset(offset)).all()
    record(
        session,
        viewer=viewer,
        action=AuditAction.read,
        what="what matters pathway list",
        detail=f"{len(rows)} pathways",
    )
    return [
        PathwayRow(int(p.id or 0), int(pt.id or 0), pt.label, pt.team_id, p.started_on, int(n))
        for p, pt, n in rows
    ]


def what_matters_summary(session: Session, *, viewer: Viewer, pathway_id: int) -> WhatMatters:
    """The latest conversation's words and the active goals with their latest ratings."""
    pathway, patient = visible_pathway(session, viewer, pathway_id)
    page = _build_page(session, pathway, patient)
    audit_access(
        session, viewer, AuditAction.read, "what matters summary", patient, f"pathway {pathway_id}"
    )
    return page.summary


def what_matters_page(
    session: Session, *, viewer: Viewer, pathway_id: int, checklist_instance_id: int | None = None
) -> WhatMattersPage:
    """Everything about what matters on a pathway, and the checklist it was opened from."""
    pathway, patient = visible_pathway(session, viewer, pathway_id)
    page = _build_page(session, pathway, patient)
    audit_access(
        session, viewer, AuditAction.read, "what matters", patient, f"pathway {pathway_id}"
    )
    if checklist_instance_id is not None:
        instance = session.get(ChecklistInstance, checklist_instance_id)
        if instance is not None and instance.pathway_id == pathway_id:
            page = replace(page, opened_from=instance)
    return page


def list_conversations(
    session: Session, *, viewer: Viewer, pathway_id: int
) -> list[ConversationView]:
    """A pathway's conversations, newest first."""
    pathway, patient = visible_pathway(session, viewer, pathway_id)
    page = _build_page(session, pathway, patient)
    audit_access(
        session, viewer, AuditAction.read, "conversations", patient, f"pathway {pathway_id}"
    )
    return list(page.conversations)


def list_goals(
    session: Session, *, viewer: Viewer, pathway_id: int, status: str | None = None
) -> list[GoalView]:
    """A pathway's goals (optionally of one status) with their ratings and change."""
    pathway, patient = visible_pathway(session, viewer, pathway_id)
    statement = select(Goal).where(Goal.pathway_id == pathway.id)
    if status:
        statement = statement.where(Goal.status == status)
    goals = session.exec(statement.order_by(col(Goal.position), col(Goal.id))).all()
    audit_access(session, viewer, AuditAction.read, "goals", patient, f"pathway {pathway_id}")
    return _goal_views(session, goals)


def get_goal(session: Session, *, viewer: Viewer, goal_id: int) -> GoalView:
    """One goal with its ratings and change."""
    goal, _pathway, patient = visible_goal(session, viewer, goal_id)
    audit_access(session, viewer, AuditAction.read, "goal", patient, f"id {goal_id}")
    return _goal_views(session, [goal])[0]


def _add_goal(session: Session, viewer: Viewer, goal: Goal, baseline: GoalRating) -> Goal:
    """Store a goal and its baseline rating."""
    session.add(goal)
    session.flush()
    baseline.goal_id = int(goal.id or 0)
    baseline.recorded_by_id = viewer.user_id
    session.add(baseline)
    session.flush()
    return goal


def create_goal(session: Session, *, viewer: Viewer, pathway_id: int, **fields: Any) -> GoalView:
    """Add a PSFS goal with its baseline rating (at most five active goals per pathway)."""
    pathway, patient = visible_pathway(session, viewer, pathway_id, lock=True)
    taken = set(
        session.exec(
            select(Goal.position).where(
                Goal.pathway_id == pathway_id, Goal.status == GoalStatus.active.value
            )
        ).all()
    )
    if len(taken) >= psfs.MAX_ACTIVE_GOALS:
        raise StateConflict(
            _("There are already 5 active goals: achieve, change or drop one first."),
            field="activity",
        )
    values, baseline = goal_values(session, pathway, **fields)
    position = min(set(range(1, psfs.MAX_ACTIVE_GOALS + 1)) - taken)
    goal = _add_goal(
        session, viewer, Goal(pathway_id=pathway_id, position=position, **values), baseline
    )
    audit_access(session, viewer, AuditAction.create, "goal", patient, f"id {goal.id}")
    return _goal_views(session, [goal])[0]


def _open_goal(
    session: Session, viewer: Viewer, goal_id: int, version: int
) -> tuple[Goal, Pathway, Patient]:
    """Load an active goal for a change, refusing a stale version."""
    goal, pathway, patient = visible_goal(session, viewer, goal_id, lock=True)
    if goal.version != version:
        raise VersionConflict(_goal_views(session, [goal])[0])
    if goal.status != GoalStatus.active.value:
        raise StateConflict(_("This goal is no longer active."))
    return goal, pathway, patient


def _close_goal(session: Session, goal: Goal, status: GoalStatus, reason: str | None) -> None:
    """Give a goal its final status and reason, bumping its version."""
    goal.status = status.value
    goal.status_reason = reason or None
    goal.version += 1
    session.add(goal)
    session.flush()


def achieve_goal(
    session: Session, *, viewer: Viewer, goal_id: int, version: int, note: str | None = None
) -> GoalView:
    """Mark an active goal as achieved (its ratings stay)."""
    goal, _pathway, patient = _open_goal(session, viewer, goal_id, version)
    note = (note or "").strip()
    if message := too_long(_("Note"), note, 500):
        raise InvalidInput({"note": message})
    _close_goal(session, goal, GoalStatus.achieved, note)
    audit_access(session, viewer, AuditAction.update, "goal achieved", patient, f"id {goal_id}")
    return _goal_views(session, [goal])[0]


def drop_goal(
    session: Session, *, viewer: Viewer, goal_id: int, version: int, reason: str
) -> GoalView:
    """Drop an active goal with a reason (it stays in the history)."""
    goal, _pathway, patient = _open_goal(session, viewer, goal_id, version)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": _("Say why the goal is dropped.")})
    if message := too_long(_("Reason"), reason, 500):
        raise InvalidInput({"reason": message})
    _close_goal(session, goal, GoalStatus.dropped, reason)
    audit_access(session, viewer, AuditAction.update, "goal dropped", patient, f"id {goal_id}")
    return _goal_views(session, [goal])[0]


def change_goal(
    session: Session,
    *,
    viewer: Viewer,
    goal_id: int,
    version: int,
    reason: str | None = None,
    **fields: Any,
) -> GoalView:
    """Replace an active goal with a new one; the old one is kept with status 'changed'."""
    old, pathway, patient = _open_goal(session, viewer, goal_id, version)
    reason = (reason or "").strip()
    try:
        values, baseline = goal_values(session, pathway, **fields)
    except InvalidInput as exc:
        problems = exc.problems
    else:
        problems = {}
    if message := too_long(_("Reason"), reason, 500):
        problems["reason"] = message
    if problems:
        raise InvalidInput(problems)
    _close_goal(session, old, GoalStatus.changed, reason)
    new = Goal(pathway_id=old.pathway_id, position=old.position, replaces_id=old.id, **values)
    new = _add_goal(session, viewer, new, baseline)
    audit_access(
        session, viewer, AuditAction.update, "goal changed", patient, f"id {goal_id} -> {new.id}"
    )
    return _goal_views(session, [new])[0]


def rate_goal(
    session: Session,
    *,
    viewer: Viewer,
    goal_id: int,
    rating: int,
    rated_on: date | None = None,
    scale_direction: str = psfs.HIGHER_IS_BETTER,
) -> GoalRating:
    """Re-rate an active goal: one rating a day, never before the baseline or in the future."""
    goal, _pathway, patient = visible_goal(session, viewer, goal_id)
    if goal.status != GoalStatus.active.value:
        raise StateConflict(_("This goal is no longer active, so it cannot be re-rated."))
    today = local_today()
    rated_on = rated_on or today
    problems = rating_problems(rating, scale_direction)
    existing = _ratings_by_goal(session, [goal_id])[goal_id]
    baseline = next((r for r in existing if r.is_baseline), None) or min(
        existing, key=lambda r: r.rated_on, default=None
    )
    if rated_on > today:
        problems["rated_on"] = _("A rating cannot be dated in the future.")
    elif baseline is not None and rated_on < baseline.rated_on:
        problems["rated_on"] = _(
            "A re-rating cannot be dated before the baseline rating ({date})."
        ).format(date=local_date(baseline.rated_on))
    if problems:
        raise InvalidInput(problems)
    duplicate = _("This goal already has a rating on {date}; ratings are never overwritten.")
    if any(r.rated_on == rated_on for r in existing):
        raise StateConflict(duplicate.format(date=local_date(rated_on)), field="rated_on")
    new = GoalRating(
        goal_id=goal_id,
        rated_on=rated_on,
        rating=rating,
        scale_direction=scale_direction,
        recorded_by_id=viewer.user_id,
    )
    try:
        with session.begin_nested():
            session.add(new)
    except IntegrityError:
        raise StateConflict(duplicate.format(date=local_date(rated_on)), field="rated_on") from None
    audit_access(session, viewer, AuditAction.create, "goal rating", patient, f"goal {goal_id}")
    return new


def list_ratings(session: Session, *, viewer: Viewer, goal_id: int) -> list[GoalRating]:
    """A goal's ratings, oldest first."""
    _goal, _pathway, patient = visible_goal(session, viewer, goal_id)
    audit_access(session, viewer, AuditAction.read, "goal ratings", patient, f"goal {goal_id}")
    return sorted(_ratings_by_goal(session, [goal_id])[goal_id], key=lambda r: r.rated_on)

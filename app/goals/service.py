"""'What matters' conversations, PSFS goals and ratings: the rules, access checks and audit."""

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
from app.core.db import utcnow
from app.core.i18n import _
from app.core.templating import local_date
from app.goals import psfs
from app.goals.errors import InvalidInput, NotVisible, StateConflict, VersionConflict
from app.goals.models import Goal, GoalRating, GoalStatus, WhatMattersConversation
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

PARTICIPANT_CODES = (
    "patient",
    "next_of_kin",
    "nurse",
    "aide",
    "gp",
    "physiotherapist",
    "occupational_therapist",
)


def local_today() -> date:
    """Today's date in the local time zone."""
    return utcnow().astimezone(get_settings().zone).date()


def participant_choices() -> list[tuple[str, str]]:
    """The fixed list of who can take part in a conversation, with translated labels."""
    labels = {
        "patient": _("The patient"),
        "next_of_kin": _("Next of kin"),
        "nurse": _("Nurse"),
        "aide": _("Health care worker"),
        "gp": _("GP"),
        "physiotherapist": _("Physiotherapist"),
        "occupational_therapist": _("Occupational therapist"),
    }
    return [(code, labels[code]) for code in PARTICIPANT_CODES]


def _visible_pathway(
    session: Session, viewer: Viewer, pathway_id: int, *, lock: bool = False
) -> tuple[Pathway, Patient]:
    """Load a pathway and its patient if the viewer works with the patient's team."""
    statement = (
        select(Pathway, Patient)
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .where(Pathway.id == pathway_id)
    )
    if lock:
        statement = statement.with_for_update(of=Pathway)  # type: ignore[arg-type]
    row = session.exec(statement).first()
    if row is None or not viewer.may_see_patients_of(row[1].team_id):
        raise NotVisible(_("The pathway was not found."))
    return row[0], row[1]


def _visible_goal(
    session: Session, viewer: Viewer, goal_id: int, *, lock: bool = False
) -> tuple[Goal, Pathway, Patient]:
    """Load a goal the viewer may see (optionally locked for a change)."""
    statement = select(Goal).where(Goal.id == goal_id).execution_options(populate_existing=True)
    goal = session.exec(statement.with_for_update() if lock else statement).first()
    try:
        if goal is None:
            raise NotVisible("")
        pathway, patient = _visible_pathway(session, viewer, goal.pathway_id)
    except NotVisible:
        raise NotVisible(_("The goal was not found.")) from None
    return goal, pathway, patient


def _visible_conversation(
    session: Session, viewer: Viewer, conversation_id: int, *, lock: bool = False
) -> tuple[WhatMattersConversation, Patient]:
    """Load a conversation the viewer may see (optionally locked for a change)."""
    statement = select(WhatMattersConversation).where(WhatMattersConversation.id == conversation_id)
    statement = statement.execution_options(populate_existing=True)
    conversation = session.exec(statement.with_for_update() if lock else statement).first()
    try:
        if conversation is None:
            raise NotVisible("")
        _pathway, patient = _visible_pathway(session, viewer, conversation.pathway_id)
    except NotVisible:
        raise NotVisible(_("The conversation was not found.")) from None
    return conversation, patient


def _audit(
    session: Session, viewer: Viewer, action: AuditAction, what: str, patient: Patient, detail: str
) -> None:
    """Record one access to the patient's 'what matters' data."""
    record(session, viewer=viewer, action=action, what=what, patient_id=patient.id, detail=detail)


def _too_long(label: str, value: str, limit: int) -> str | None:
    """The message for a text over its limit, or None."""
    if len(value) <= limit:
        return None
    return _("'{label}' can be at most {limit} characters long (it is {length}).").format(
        label=label, limit=limit, length=len(value)
    )


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


def _latest_conversation_id(session: Session, pathway_id: int) -> int | None:
    """The id of the pathway's latest conversation, if any."""
    return session.exec(
        select(WhatMattersConversation.id)
        .where(WhatMattersConversation.pathway_id == pathway_id)
        .order_by(
            col(WhatMattersConversation.held_on).desc(), col(WhatMattersConversation.id).desc()
        )
    ).first()


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
    pathway, patient = _visible_pathway(session, viewer, pathway_id)
    page = _build_page(session, pathway, patient)
    _audit(
        session, viewer, AuditAction.read, "what matters summary", patient, f"pathway {pathway_id}"
    )
    return page.summary


def what_matters_page(
    session: Session, *, viewer: Viewer, pathway_id: int, checklist_instance_id: int | None = None
) -> WhatMattersPage:
    """Everything about what matters on a pathway, and the checklist it was opened from."""
    pathway, patient = _visible_pathway(session, viewer, pathway_id)
    page = _build_page(session, pathway, patient)
    _audit(session, viewer, AuditAction.read, "what matters", patient, f"pathway {pathway_id}")
    if checklist_instance_id is not None:
        instance = session.get(ChecklistInstance, checklist_instance_id)
        if instance is not None and instance.pathway_id == pathway_id:
            page = replace(page, opened_from=instance)
    return page


def list_conversations(
    session: Session, *, viewer: Viewer, pathway_id: int
) -> list[ConversationView]:
    """A pathway's conversations, newest first."""
    pathway, patient = _visible_pathway(session, viewer, pathway_id)
    page = _build_page(session, pathway, patient)
    _audit(session, viewer, AuditAction.read, "conversations", patient, f"pathway {pathway_id}")
    return list(page.conversations)


def get_conversation(session: Session, *, viewer: Viewer, conversation_id: int) -> ConversationView:
    """One conversation."""
    conversation, patient = _visible_conversation(session, viewer, conversation_id)
    _audit(session, viewer, AuditAction.read, "conversation", patient, f"id {conversation_id}")
    return conversation_view(conversation, participant_choices())


def list_goals(
    session: Session, *, viewer: Viewer, pathway_id: int, status: str | None = None
) -> list[GoalView]:
    """A pathway's goals (optionally of one status) with their ratings and change."""
    pathway, patient = _visible_pathway(session, viewer, pathway_id)
    statement = select(Goal).where(Goal.pathway_id == pathway.id)
    if status:
        statement = statement.where(Goal.status == status)
    goals = session.exec(statement.order_by(col(Goal.position), col(Goal.id))).all()
    _audit(session, viewer, AuditAction.read, "goals", patient, f"pathway {pathway_id}")
    return _goal_views(session, goals)


def get_goal(session: Session, *, viewer: Viewer, goal_id: int) -> GoalView:
    """One goal with its ratings and change."""
    goal, _pathway, patient = _visible_goal(session, viewer, goal_id)
    _audit(session, viewer, AuditAction.read, "goal", patient, f"id {goal_id}")
    return _goal_views(session, [goal])[0]


def _conversation_values(
    session: Session,
    pathway: Pathway,
    *,
    held_on: date | None,
    participants: Sequence[str],
    participants_other: str | None,
    patient_words: str | None,
    could_not_answer: bool,
    not_answered_reason: str | None,
    checklist_instance_id: int | None,
) -> dict[str, Any]:
    """Check a conversation's fields and return the values to store."""
    problems: dict[str, str] = {}
    today = local_today()
    held_on = held_on or today
    if held_on > today:
        problems["held_on"] = _("The conversation cannot be dated in the future.")
    unknown = [p for p in participants if p not in PARTICIPANT_CODES]
    if unknown:
        problems["participants"] = _("'{name}' is not one of the choices.").format(name=unknown[0])
    other = (participants_other or "").strip()
    words = (patient_words or "").strip()
    reason = (not_answered_reason or "").strip()
    for field, label, value, limit in (
        ("participants_other", _("Others who took part"), other, 200),
        ("patient_words", _("What matters, in the patient's own words"), words, 4000),
        ("not_answered_reason", _("Why not"), reason, 500),
    ):
        if message := _too_long(label, value, limit):
            problems[field] = message
    if could_not_answer and not reason:
        problems["not_answered_reason"] = _("Say why the patient could not or would not answer.")
    if not could_not_answer and not words:
        problems["patient_words"] = _(
            "Write what matters in the patient's own words, or tick 'did not answer'."
        )
    if checklist_instance_id is not None:
        instance = session.get(ChecklistInstance, checklist_instance_id)
        if instance is None or instance.pathway_id != pathway.id:
            problems["checklist_instance_id"] = _("The checklist does not belong to this pathway.")
    if problems:
        raise InvalidInput(problems)
    chosen = [code for code in PARTICIPANT_CODES if code in participants]
    return {
        "held_on": held_on,
        "participants": chosen + ([other] if other else []),
        "patient_words": words or None,
        "could_not_answer": could_not_answer,
        "not_answered_reason": reason if could_not_answer else None,
        "checklist_instance_id": checklist_instance_id,
    }


def record_conversation(
    session: Session, *, viewer: Viewer, pathway_id: int, **fields: Any
) -> ConversationView:
    """Record a 'what matters' conversation (or that the patient did not answer)."""
    pathway, patient = _visible_pathway(session, viewer, pathway_id)
    values = _conversation_values(session, pathway, **fields)
    conversation = WhatMattersConversation(
        pathway_id=pathway_id, recorded_by_id=viewer.user_id, **values
    )
    session.add(conversation)
    session.flush()
    _audit(session, viewer, AuditAction.create, "conversation", patient, f"id {conversation.id}")
    return conversation_view(conversation, participant_choices())


def update_conversation(
    session: Session, *, viewer: Viewer, conversation_id: int, version: int, **fields: Any
) -> ConversationView:
    """Correct a conversation, refusing when someone else changed it since ``version``."""
    conversation, patient = _visible_conversation(session, viewer, conversation_id, lock=True)
    if conversation.version != version:
        raise VersionConflict(conversation_view(conversation, participant_choices()))
    pathway = session.get(Pathway, conversation.pathway_id)
    assert pathway is not None
    for name, value in _conversation_values(session, pathway, **fields).items():
        setattr(conversation, name, value)
    conversation.version += 1
    session.add(conversation)
    session.flush()
    _audit(session, viewer, AuditAction.update, "conversation", patient, f"id {conversation_id}")
    return conversation_view(conversation, participant_choices())


def _rating_problems(rating: object, scale_direction: str, field: str = "rating") -> dict[str, str]:
    """Messages for a rating outside 0–10 or an unknown scale direction."""
    problems: dict[str, str] = {}
    if not psfs.is_valid_rating(rating):
        problems[field] = _("The rating must be a whole number from 0 to 10.")
    if scale_direction not in psfs.SCALE_DIRECTIONS:
        problems["scale_direction"] = _("Choose which end of the scale means 'as before'.")
    return problems


def _goal_values(
    session: Session,
    pathway: Pathway,
    *,
    activity: str,
    baseline_rating: int,
    rated_on: date | None = None,
    scale_direction: str = psfs.HIGHER_IS_BETTER,
    target_rating: int | None = None,
    target_date: date | None = None,
    plan: str | None = None,
    conversation_id: int | None = None,
) -> tuple[dict[str, Any], GoalRating]:
    """Check a new goal's fields; return its values and its baseline rating."""
    today = local_today()
    rated_on = rated_on or today
    activity, plan = (activity or "").strip(), (plan or "").strip()
    problems = _rating_problems(baseline_rating, scale_direction, "baseline_rating")
    if not activity:
        problems["activity"] = _("Write the activity in the patient's own words.")
    elif message := _too_long(_("Activity"), activity, 500):
        problems["activity"] = message
    if rated_on > today:
        problems["rated_on"] = _("A rating cannot be dated in the future.")
    if target_rating is not None and not psfs.is_valid_rating(target_rating):
        problems["target_rating"] = _("The rating must be a whole number from 0 to 10.")
    if target_date is not None and target_date < rated_on:
        problems["target_date"] = _("The target date cannot be before the baseline rating.")
    if message := _too_long(_("Who or what helps"), plan, 2000):
        problems["plan"] = message
    if conversation_id is not None:
        conversation = session.get(WhatMattersConversation, conversation_id)
        if conversation is None or conversation.pathway_id != pathway.id:
            problems["conversation_id"] = _("The conversation does not belong to this pathway.")
    if problems:
        raise InvalidInput(problems)
    values = {
        "activity": activity,
        "target_rating": target_rating,
        "target_date": target_date,
        "plan": plan or None,
        "conversation_id": conversation_id
        or _latest_conversation_id(session, int(pathway.id or 0)),
    }
    baseline = GoalRating(
        goal_id=0,
        rated_on=rated_on,
        rating=baseline_rating,
        scale_direction=scale_direction,
        is_baseline=True,
    )
    return values, baseline


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
    pathway, patient = _visible_pathway(session, viewer, pathway_id, lock=True)
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
    values, baseline = _goal_values(session, pathway, **fields)
    position = min(set(range(1, psfs.MAX_ACTIVE_GOALS + 1)) - taken)
    goal = _add_goal(
        session, viewer, Goal(pathway_id=pathway_id, position=position, **values), baseline
    )
    _audit(session, viewer, AuditAction.create, "goal", patient, f"id {goal.id}")
    return _goal_views(session, [goal])[0]


def _open_goal(
    session: Session, viewer: Viewer, goal_id: int, version: int
) -> tuple[Goal, Pathway, Patient]:
    """Load an active goal for a change, refusing a stale version."""
    goal, pathway, patient = _visible_goal(session, viewer, goal_id, lock=True)
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
    if message := _too_long(_("Note"), note, 500):
        raise InvalidInput({"note": message})
    _close_goal(session, goal, GoalStatus.achieved, note)
    _audit(session, viewer, AuditAction.update, "goal achieved", patient, f"id {goal_id}")
    return _goal_views(session, [goal])[0]


def drop_goal(
    session: Session, *, viewer: Viewer, goal_id: int, version: int, reason: str
) -> GoalView:
    """Drop an active goal with a reason (it stays in the history)."""
    goal, _pathway, patient = _open_goal(session, viewer, goal_id, version)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": _("Say why the goal is dropped.")})
    if message := _too_long(_("Reason"), reason, 500):
        raise InvalidInput({"reason": message})
    _close_goal(session, goal, GoalStatus.dropped, reason)
    _audit(session, viewer, AuditAction.update, "goal dropped", patient, f"id {goal_id}")
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
        values, baseline = _goal_values(session, pathway, **fields)
    except InvalidInput as exc:
        problems = exc.problems
    else:
        problems = {}
    if message := _too_long(_("Reason"), reason, 500):
        problems["reason"] = message
    if problems:
        raise InvalidInput(problems)
    _close_goal(session, old, GoalStatus.changed, reason)
    new = Goal(pathway_id=old.pathway_id, position=old.position, replaces_id=old.id, **values)
    new = _add_goal(session, viewer, new, baseline)
    _audit(
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
    goal, _pathway, patient = _visible_goal(session, viewer, goal_id)
    if goal.status != GoalStatus.active.value:
        raise StateConflict(_("This goal is no longer active, so it cannot be re-rated."))
    today = local_today()
    rated_on = rated_on or today
    problems = _rating_problems(rating, scale_direction)
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
    _audit(session, viewer, AuditAction.create, "goal rating", patient, f"goal {goal_id}")
    return new


def list_ratings(session: Session, *, viewer: Viewer, goal_id: int) -> list[GoalRating]:
    """A goal's ratings, oldest first."""
    _goal, _pathway, patient = _visible_goal(session, viewer, goal_id)
    _audit(session, viewer, AuditAction.read, "goal ratings", patient, f"goal {goal_id}")
    return sorted(_ratings_by_goal(session, [goal_id])[goal_id], key=lambda r: r.rated_on)

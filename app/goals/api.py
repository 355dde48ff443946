"""JSON API for 'what matters' conversations, PSFS goals and their ratings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from app.audit.patient_data import PATIENT_DATA
from app.core.deps import CurrentViewer, SessionDep
from app.goals import psfs
from app.goals.errors import GoalsError, InvalidInput, VersionConflict
from app.goals.forms import (
    ConversationIn,
    ConversationUpdate,
    GoalAchieve,
    GoalChange,
    GoalDrop,
    GoalIn,
    RatingIn,
)
from app.goals.models import GoalRating, GoalStatus
from app.goals.schemas import (
    ConversationConflict,
    ConversationPublic,
    GoalConflict,
    GoalPublic,
    MeanPublic,
    PathwayPublic,
    Problem,
    RatingPublic,
    WhatMattersPublic,
)
from app.goals.service import (
    achieve_goal,
    change_goal,
    create_goal,
    drop_goal,
    get_conversation,
    get_goal,
    list_conversations,
    list_goals,
    list_pathways,
    list_ratings,
    rate_goal,
    record_conversation,
    update_conversation,
    what_matters_summary,
)
from app.goals.views import ConversationView, GoalView, WhatMatters

router = APIRouter(prefix="/api/v1", tags=["goals"], dependencies=[PATIENT_DATA])


Responses = dict[int | str, dict[str, Any]]
NOT_VISIBLE: Responses = {404: {"model": Problem, "description": "Not found or not yours"}}
INVALID: Responses = {422: {"model": Problem, "description": "A field is not valid"}}
GOAL_CONFLICT: Responses = {
    409: {"model": GoalConflict, "description": "Stale version or not allowed now"}
}
CONVERSATION_CONFLICT: Responses = {
    409: {"model": ConversationConflict, "description": "Stale version"}
}


def _rating_public(goal_id: int, point: psfs.RatingPoint | None) -> RatingPublic | None:
    """The API shape of a rating point."""
    if point is None:
        return None
    return RatingPublic(
        goal_id=goal_id,
        rated_on=point.rated_on,
        rating=point.rating,
        scale_direction=point.direction,
        score=point.score,
        is_baseline=point.is_baseline,
    )


def goal_public(view: GoalView) -> GoalPublic:
    """The API shape of a goal."""
    progress = view.progress
    return GoalPublic(
        id=view.id,
        pathway_id=view.pathway_id,
        conversation_id=view.conversation_id,
        replaces_id=view.replaces_id,
        position=view.position,
        activity=view.activity,
        status=view.status,
        status_reason=view.status_reason,
        target_rating=view.target_rating,
        target_date=view.target_date,
        plan=view.plan,
        version=view.version,
        scale_direction=view.scale_direction,
        baseline=_rating_public(view.id, progress.baseline),
        latest=_rating_public(view.id, progress.latest),
        change=progress.change,
        change_flag=progress.flag,
        ratings=[r for r in (_rating_public(view.id, p) for p in progress.points) if r],
    )


def conversation_public(view: ConversationView) -> ConversationPublic:
    """The API shape of a conversation."""
    return ConversationPublic(
        id=view.id,
        pathway_id=view.pathway_id,
        checklist_instance_id=view.checklist_instance_id,
        held_on=view.held_on,
        participants=list(view.participant_codes),
        participants_other=view.participants_other,
        patient_words=view.patient_words,
        could_not_answer=view.could_not_answer,
        not_answered_reason=view.not_answered_reason,
        version=view.version,
    )


def _stored_rating(rating: GoalRating) -> RatingPublic:
    """The API shape of a stored rating."""
    point = psfs.RatingPoint(rating.rated_on, rating.rating, rating.scale_direction)
    public = _rating_public(rating.goal_id, point)
    assert public is not None
    return public.model_copy(update={"is_baseline": rating.is_baseline})


def _error(exc: GoalsError) -> JSONResponse:
    """Turn a refused request into its JSON answer (with the current value on a conflict)."""
    body: dict[str, Any] = {"detail": str(exc)}
    if isinstance(exc, InvalidInput):
        body["errors"] = [
            {"loc": ["body", field], "msg": message, "type": "value_error"}
            for field, message in exc.problems.items()
        ]
    if isinstance(exc, VersionConflict):
        current = exc.current
        body["current"] = (
            goal_public(current) if isinstance(current, GoalView) else conversation_public(current)
        ).model_dump(mode="json")
    return JSONResponse(body, status_code=exc.status_code)


def _summary_public(summary: WhatMatters) -> WhatMattersPublic:
    """The API shape of the 'what matters' summary."""
    mean = summary.mean
    return WhatMattersPublic(
        pathway_id=summary.pathway_id,
        patient_id=summary.patient_id,
        patient_label=summary.patient_label,
        conversation=conversation_public(summary.conversation) if summary.conversation else None,
        ask_again=summary.ask_again,
        goals=[goal_public(g) for g in summary.goals],
        mean=MeanPublic(
            goals_counted=mean.goals_counted,
            baseline_mean=mean.baseline_mean,
            latest_mean=mean.latest_mean,
            change=mean.change,
            flag=mean.flag,
        ),
        mic_single=summary.mic_single,
        mic_mean=summary.mic_mean,
    )


@router.get("/what-matters/pathways")
def read_what_matters_pathways(
    session: SessionDep,
    viewer: CurrentViewer,
    without_goals: bool = Query(default=False, description="Only pathways with no active goal."),
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> list[PathwayPublic]:
    """List open pathways of your teams with the patient label and number of active goals."""
    rows = list_pathways(
        session, viewer=viewer, without_goals=without_goals, limit=limit, offset=offset
    )
    return [PathwayPublic(**row.__dict__) for row in rows]


@router.get(
    "/pathways/{pathway_id}/what-matters", responses=NOT_VISIBLE, response_model=WhatMattersPublic
)
def read_what_matters(
    pathway_id: int, session: SessionDep, viewer: CurrentViewer
) -> WhatMattersPublic | Response:
    """Return the latest conversation's words and the active goals with their change."""
    try:
        summary = what_matters_summary(session, viewer=viewer, pathway_id=pathway_id)
    except GoalsError as exc:
        return _error(exc)
    return _summary_public(summary)


@router.get(
    "/pathways/{pathway_id}/conversations",
    responses=NOT_VISIBLE,
    response_model=list[ConversationPublic],
)
def read_conversations(
    pathway_id: int, session: SessionDep, viewer: CurrentViewer
) -> list[ConversationPublic] | Response:
    """List a pathway's conversations, newest first."""
    try:
        views = list_conversations(session, viewer=viewer, pathway_id=pathway_id)
    except GoalsError as exc:
        return _error(exc)
    return [conversation_public(v) for v in views]


@router.post(
    "/pathways/{pathway_id}/conversations",
    status_code=201,
    responses={**NOT_VISIBLE, **INVALID},
    response_model=ConversationPublic,
)
def create_conversation(
    pathway_id: int, body: ConversationIn, session: SessionDep, viewer: CurrentViewer
) -> ConversationPublic | Response:
    """Record a conversation (or that the patient could not or would not answer, and why)."""
    try:
        view = record_conversation(
            session, viewer=viewer, pathway_id=pathway_id, **body.model_dump()
        )
    except GoalsError as exc:
        return _error(exc)
    return conversation_public(view)


@router.get(
    "/conversations/{conversation_id}", responses=NOT_VISIBLE, response_model=ConversationPublic
)
def read_conversation(
    conversation_id: int, session: SessionDep, viewer: CurrentViewer
) -> ConversationPublic | Response:
    """Return one conversation."""
    try:
        view = get_conversation(session, viewer=viewer, conversation_id=conversation_id)
    except GoalsError as exc:
        return _error(exc)
    return conversation_public(view)


@router.put(
    "/conversations/{conversation_id}",
    responses={**NOT_VISIBLE, **INVALID, **CONVERSATION_CONFLICT},
    response_model=ConversationPublic,
)
def update_conversation_by_id(
    conversation_id: int, body: ConversationUpdate, session: SessionDep, viewer: CurrentViewer
) -> ConversationPublic | Response:
    """Correct a conversation; a stale version gets 409 with what is stored now."""
    fields = body.model_dump(exclude={"version"})
    try:
        view = update_conversation(
            session,
            viewer=viewer,
            conversation_id=conversation_id,
            version=body.version,
            **fields,
        )
    except GoalsError as exc:
        return _error(exc)
    return conversation_public(view)


@router.get("/pathways/{pathway_id}/goals", responses=NOT_VISIBLE, response_model=list[GoalPublic])
def read_goals(
    pathway_id: int,
    session: SessionDep,
    viewer: CurrentViewer,
    status: GoalStatus | None = Query(default=None, description="Only goals with this status."),
) -> list[GoalPublic] | Response:
    """List a pathway's goals with their ratings and change since baseline."""
    try:
        views = list_goals(
            session, viewer=viewer, pathway_id=pathway_id, status=status.value if status else None
        )
    except GoalsError as exc:
        return _error(exc)
    return [goal_public(v) for v in views]


@router.post(
    "/pathways/{pathway_id}/goals",
    status_code=201,
    responses={**NOT_VISIBLE, **INVALID, **GOAL_CONFLICT},
    response_model=GoalPublic,
)
def create_goal_on_pathway(
    pathway_id: int, body: GoalIn, session: SessionDep, viewer: CurrentViewer
) -> GoalPublic | Response:
    """Add a goal with its baseline rating; a 6th active goal gets 409."""
    try:
        view = create_goal(session, viewer=viewer, pathway_id=pathway_id, **body.model_dump())
    except GoalsError as exc:
        return _error(exc)
    return goal_public(view)


@router.get("/goals/{goal_id}", responses=NOT_VISIBLE, response_model=GoalPublic)
def read_goal(goal_id: int, session: SessionDep, viewer: CurrentViewer) -> GoalPublic | Response:
    """Return one goal with its ratings."""
    try:
        view = get_goal(session, viewer=viewer, goal_id=goal_id)
    except GoalsError as exc:
        return _error(exc)
    return goal_public(view)


@router.post(
    "/goals/{goal_id}/achieve",
    responses={**NOT_VISIBLE, **INVALID, **GOAL_CONFLICT},
    response_model=GoalPublic,
)
def create_goal_achievement(
    goal_id: int, body: GoalAchieve, session: SessionDep, viewer: CurrentViewer
) -> GoalPublic | Response:
    """Mark an active goal as achieved."""
    try:
        view = achieve_goal(
            session, viewer=viewer, goal_id=goal_id, version=body.version, note=body.note
        )
    except GoalsError as exc:
        return _error(exc)
    return goal_public(view)


@router.post(
    "/goals/{goal_id}/change",
    status_code=201,
    responses={**NOT_VISIBLE, **INVALID, **GOAL_CONFLICT},
    response_model=GoalPublic,
)
def create_goal_change(
    goal_id: int, body: GoalChange, session: SessionDep, viewer: CurrentViewer
) -> GoalPublic | Response:
    """Replace an active goal with a new one (returned); the old one keeps status 'changed'."""
    fields = body.model_dump(exclude={"version", "reason"})
    try:
        view = change_goal(
            session,
            viewer=viewer,
            goal_id=goal_id,
            version=body.version,
            reason=body.reason,
            **fields,
        )
    except GoalsError as exc:
        return _error(exc)
    return goal_public(view)


@router.post(
    "/goals/{goal_id}/drop",
    responses={**NOT_VISIBLE, **INVALID, **GOAL_CONFLICT},
    response_model=GoalPublic,
)
def create_goal_drop(
    goal_id: int, body: GoalDrop, session: SessionDep, viewer: CurrentViewer
) -> GoalPublic | Response:
    """Drop an active goal with a reason; it stays in the history."""
    try:
        view = drop_goal(
            session, viewer=viewer, goal_id=goal_id, version=body.version, reason=body.reason
        )
    except GoalsError as exc:
        return _error(exc)
    return goal_public(view)


@router.get("/goals/{goal_id}/ratings", responses=NOT_VISIBLE, response_model=list[RatingPublic])
def read_ratings(
    goal_id: int, session: SessionDep, viewer: CurrentViewer
) -> list[RatingPublic] | Response:
    """List a goal's ratings, oldest first."""
    try:
        ratings = list_ratings(session, viewer=viewer, goal_id=goal_id)
    except GoalsError as exc:
        return _error(exc)
    return [_stored_rating(r) for r in ratings]


@router.post(
    "/goals/{goal_id}/ratings",
    status_code=201,
    responses={**NOT_VISIBLE, **INVALID, **GOAL_CONFLICT},
    response_model=RatingPublic,
)
def create_rating(
    goal_id: int, body: RatingIn, session: SessionDep, viewer: CurrentViewer
) -> RatingPublic | Response:
    """Re-rate a goal (one rating a day; not before the baseline, not in the future)."""
    try:
        rating = rate_goal(session, viewer=viewer, goal_id=goal_id, **body.model_dump())
    except GoalsError as exc:
        return _error(exc)
    return _stored_rating(rating)

"""What pages and the API show of conversations, goals and pathways, and how it is built."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from app.checklists.models import ChecklistInstance
from app.goals import psfs
from app.goals.models import Goal, GoalRating, WhatMattersConversation


@dataclass(frozen=True)
class ConversationView:
    """A conversation as pages and the API show it."""

    id: int
    pathway_id: int
    checklist_instance_id: int | None
    held_on: date
    participant_codes: tuple[str, ...]
    participants_other: str
    participant_names: tuple[str, ...]
    patient_words: str | None
    could_not_answer: bool
    not_answered_reason: str | None
    version: int


@dataclass(frozen=True)
class GoalView:
    """A goal with its ratings, change since baseline and sparkline."""

    id: int
    pathway_id: int
    conversation_id: int | None
    replaces_id: int | None
    position: int
    activity: str
    status: str
    status_reason: str | None
    target_rating: int | None
    target_date: date | None
    plan: str | None
    version: int
    updated_at: datetime
    scale_direction: str
    progress: psfs.GoalProgress
    sparkline: psfs.Sparkline

    @property
    def target_score(self) -> int | None:
        """The target on the standard scale (entered on the baseline's form)."""
        if self.target_rating is None:
            return None
        return psfs.function_score(self.target_rating, self.scale_direction)

    @property
    def target_reached(self) -> bool:
        """Whether the latest rating reaches the target."""
        latest, target = self.progress.latest, self.target_score
        return latest is not None and target is not None and latest.score >= target


@dataclass(frozen=True)
class WhatMatters:
    """What the banner shows: the latest conversation and the active goals."""

    pathway_id: int
    patient_id: int
    patient_label: str
    pathway_status: str
    started_on: date
    conversation: ConversationView | None
    goals: tuple[GoalView, ...]
    mean: psfs.MeanProgress
    mic_single: float
    mic_mean: float
    max_goals: int = psfs.MAX_ACTIVE_GOALS

    @property
    def ask_again(self) -> bool:
        """Whether the question is still to be (re-)asked."""
        return self.conversation is None or self.conversation.could_not_answer

    @property
    def can_add_goal(self) -> bool:
        """Whether there is room for another active goal."""
        return len(self.goals) < self.max_goals


@dataclass(frozen=True)
class WhatMattersPage:
    """The whole page: the summary, every conversation and the closed goals."""

    summary: WhatMatters
    conversations: tuple[ConversationView, ...]
    closed_goals: tuple[GoalView, ...]
    today: date
    opened_from: ChecklistInstance | None = None


@dataclass(frozen=True)
class PathwayRow:
    """An open pathway of the viewer's teams, for picking one."""

    pathway_id: int
    patient_id: int
    patient_label: str
    team_id: int
    started_on: date
    active_goals: int


def conversation_view(
    conversation: WhatMattersConversation, choices: Sequence[tuple[str, str]]
) -> ConversationView:
    """Turn a stored conversation into its view (known participants translated)."""
    labels = dict(choices)
    stored = [str(p) for p in (conversation.participants or [])]
    codes = tuple(p for p in stored if p in labels)
    others = [p for p in stored if p not in labels]
    return ConversationView(
        id=int(conversation.id or 0),
        pathway_id=conversation.pathway_id,
        checklist_instance_id=conversation.checklist_instance_id,
        held_on=conversation.held_on,
        participant_codes=codes,
        participants_other=", ".join(others),
        participant_names=tuple(labels[c] for c in codes) + tuple(others),
        patient_words=conversation.patient_words,
        could_not_answer=conversation.could_not_answer,
        not_answered_reason=conversation.not_answered_reason,
        version=conversation.version,
    )


def goal_view(goal: Goal, ratings: Sequence[GoalRating], *, mic_single: float) -> GoalView:
    """Turn a stored goal and its ratings into its view."""
    points = [
        psfs.RatingPoint(r.rated_on, r.rating, r.scale_direction, r.is_baseline) for r in ratings
    ]
    progress = psfs.goal_progress(points, mic_single=mic_single)
    direction = progress.baseline.direction if progress.baseline else psfs.HIGHER_IS_BETTER
    target = (
        psfs.function_score(goal.target_rating, direction)
        if goal.target_rating is not None
        else None
    )
    return GoalView(
        id=int(goal.id or 0),
        pathway_id=goal.pathway_id,
        conversation_id=goal.conversation_id,
        replaces_id=goal.replaces_id,
        position=goal.position,
        activity=goal.activity,
        status=goal.status,
        status_reason=goal.status_reason,
        target_rating=goal.target_rating,
        target_date=goal.target_date,
        plan=goal.plan,
        version=goal.version,
        updated_at=goal.updated_at,
        scale_direction=direction,
        progress=progress,
        sparkline=psfs.sparkline(progress.points, target_score=target),
    )

"""Shapes of the goals JSON API's answers: goals, ratings, conversations and problems."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

from app.goals import psfs


class Problem(BaseModel):
    """An error: one sentence in the user's language, and for 422 the fields at fault."""

    detail: str
    errors: list[dict[str, Any]] | None = None


class RatingPublic(BaseModel):
    """A dated rating as entered, with its score on the standard scale (10 = as before)."""

    goal_id: int
    rated_on: date
    rating: int
    scale_direction: str
    score: int
    is_baseline: bool


class GoalPublic(BaseModel):
    """A PSFS goal with its ratings and its change since baseline (positive = better)."""

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
    scale_direction: str
    baseline: RatingPublic | None
    latest: RatingPublic | None
    change: int | None
    change_flag: psfs.ChangeFlag
    ratings: list[RatingPublic]


class ConversationPublic(BaseModel):
    """A 'what matters' conversation."""

    id: int
    pathway_id: int
    checklist_instance_id: int | None
    held_on: date
    participants: list[str]
    participants_other: str
    patient_words: str | None
    could_not_answer: bool
    not_answered_reason: str | None
    version: int


class GoalConflict(Problem):
    """Someone else changed the goal first; ``current`` is what is stored now."""

    current: GoalPublic | None = None


class ConversationConflict(Problem):
    """Someone else changed the conversation first; ``current`` is what is stored now."""

    current: ConversationPublic | None = None


class MeanPublic(BaseModel):
    """The PSFS mean at baseline and now, over the goals rated at least twice."""

    goals_counted: int
    baseline_mean: float | None
    latest_mean: float | None
    change: float | None
    flag: psfs.ChangeFlag


class WhatMattersPublic(BaseModel):
    """The latest conversation and the active goals with their latest ratings."""

    pathway_id: int
    patient_id: int
    patient_label: str
    conversation: ConversationPublic | None
    ask_again: bool
    goals: list[GoalPublic]
    mean: MeanPublic
    mic_single: float
    mic_mean: float


class PathwayPublic(BaseModel):
    """An open pathway of your teams."""

    pathway_id: int
    patient_id: int
    patient_label: str
    team_id: int
    started_on: date
    active_goals: int

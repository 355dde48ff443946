"""'What matters to you?' conversations and PSFS goals with their dated ratings."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.core.tables import Timestamped, Versioned, sql_in


class GoalStatus(StrEnum):
    """A goal is worked on until achieved, changed (replaced) or dropped."""

    active = "active"
    achieved = "achieved"
    changed = "changed"
    dropped = "dropped"


class ScaleDirection(StrEnum):
    """PSFS forms differ: 10 = 'as before' (standard) or 0 = 'as before' (reversed)."""

    higher_is_better = "higher_is_better"
    lower_is_better = "lower_is_better"


class WhatMattersConversation(Versioned, table=True):
    """A 'Hva er viktig for deg?' conversation, the patient's words kept verbatim."""

    __tablename__ = "what_matters_conversation"
    __table_args__ = (
        CheckConstraint(
            "(could_not_answer AND not_answered_reason IS NOT NULL) OR NOT could_not_answer",
            name="not_answered_has_reason",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    pathway_id: int = Field(foreign_key="pathway.id", index=True, ondelete="CASCADE")
    checklist_instance_id: int | None = Field(
        default=None, foreign_key="checklist_instance.id", ondelete="SET NULL"
    )
    held_on: date
    participants: Any = Field(default_factory=list, sa_type=JSON)
    patient_words: str | None = Field(default=None, max_length=4000)
    could_not_answer: bool = Field(default=False)
    not_answered_reason: str | None = Field(default=None, max_length=500)
    recorded_by_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")


class Goal(Versioned, table=True):
    """A PSFS activity the patient finds important and hard to do now."""

    __tablename__ = "goal"
    __table_args__ = (
        CheckConstraint(sql_in("status", tuple(s.value for s in GoalStatus)), name="status"),
        CheckConstraint("position BETWEEN 1 AND 5", name="position_1_to_5"),
        CheckConstraint(
            "target_rating IS NULL OR target_rating BETWEEN 0 AND 10", name="target_0_to_10"
        ),
        CheckConstraint(
            "status <> 'dropped' OR status_reason IS NOT NULL", name="dropped_has_reason"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    pathway_id: int = Field(foreign_key="pathway.id", index=True, ondelete="CASCADE")
    conversation_id: int | None = Field(
        default=None, foreign_key="what_matters_conversation.id", ondelete="SET NULL"
    )
    replaces_id: int | None = Field(default=None, foreign_key="goal.id", ondelete="SET NULL")
    position: int
    activity: str = Field(max_length=500)
    status: str = Field(default=GoalStatus.active.value, max_length=20)
    status_reason: str | None = Field(default=None, max_length=500)
    target_rating: int | None = Field(default=None)
    target_date: date | None = Field(default=None)
    plan: str | None = Field(default=None, max_length=2000)


class GoalRating(Timestamped, table=True):
    """A dated PSFS rating of one goal, 0–10, with the scale direction it was taken on."""

    __tablename__ = "goal_rating"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 0 AND 10", name="rating_0_to_10"),
        CheckConstraint(
            sql_in("scale_direction", tuple(d.value for d in ScaleDirection)),
            name="scale_direction_known",
        ),
        UniqueConstraint("goal_id", "rated_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", index=True, ondelete="CASCADE")
    rated_on: date
    rating: int
    scale_direction: str = Field(default=ScaleDirection.higher_is_better.value, max_length=20)
    is_baseline: bool = Field(default=False)
    recorded_by_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")


class GoalRatingCorrection(SQLModel, table=True):
    """A rating entered wrong and corrected: the old value kept, with who, when and why."""

    __tablename__ = "goal_rating_correction"
    __table_args__ = (
        CheckConstraint("old_rating BETWEEN 0 AND 10", name="old_rating_0_to_10"),
        CheckConstraint("new_rating BETWEEN 0 AND 10", name="new_rating_0_to_10"),
    )

    id: int | None = Field(default=None, primary_key=True)
    rating_id: int = Field(foreign_key="goal_rating.id", index=True, ondelete="CASCADE")
    old_rating: int
    new_rating: int
    reason: str = Field(max_length=500)
    corrected_by_id: int | None = Field(
        default=None, foreign_key="app_user.id", ondelete="SET NULL"
    )
    corrected_at: datetime = Field(sa_type=UTCDateTime, nullable=False)

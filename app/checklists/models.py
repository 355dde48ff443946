"""Checklist instances scheduled on pathways, and the answers nurses give."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.core.tables import Timestamped, Versioned, sql_in


class InstanceStatus(StrEnum):
    """Stored statuses; ``missed`` is derived from the window and never stored."""

    due = "due"
    in_progress = "in_progress"
    completed = "completed"
    not_applicable = "not_applicable"
    cancelled = "cancelled"


class ChecklistInstance(Versioned, table=True):
    """One checklist due for one pathway, with its window and what became of it."""

    __tablename__ = "checklist_instance"
    __table_args__ = (
        CheckConstraint(
            sql_in("status", tuple(s.value for s in InstanceStatus)), name="status_known"
        ),
        CheckConstraint("window_end >= window_start", name="window_ordered"),
        CheckConstraint(
            "status <> 'not_applicable' OR not_applicable_reason IS NOT NULL",
            name="not_applicable_has_reason",
        ),
        CheckConstraint(
            "status <> 'completed' OR performed_at IS NOT NULL", name="completed_has_time"
        ),
        CheckConstraint("occurrence >= 0", name="occurrence_not_negative"),
        UniqueConstraint("pathway_id", "definition_id", "event_id", "occurrence"),
        Index("ix_checklist_instance_team_id_due_date", "team_id", "due_date"),
        Index("ix_checklist_instance_team_id_status", "team_id", "status"),
        # My day: one team's open checklists of the next weeks, read from the index alone,
        # and the pathways a nurse completed a checklist of.
        Index(
            "ix_checklist_instance_my_day",
            "team_id",
            "status",
            "due_date",
            "window_start",
            "window_end",
            "pathway_id",
        ),
        Index("ix_checklist_instance_completed_by_id_pathway_id", "completed_by_id", "pathway_id"),
        # Serves every measure: one checklist's items in a date range, with the columns the
        # counting reads carried in the index so the table itself is not visited.
        Index(
            "ix_checklist_instance_measure",
            "definition_id",
            "due_date",
            "team_id",
            "status",
            "event_cancelled",
            "window_end",
            "performed_at",
            "recorded_at",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    pathway_id: int = Field(foreign_key="pathway.id", index=True, ondelete="CASCADE")
    event_id: int | None = Field(
        default=None, foreign_key="pathway_event.id", index=True, ondelete="SET NULL"
    )
    team_id: int = Field(foreign_key="team.id", ondelete="RESTRICT")
    definition_id: str = Field(max_length=64)
    definition_version: int
    variant: str | None = Field(default=None, max_length=64)
    occurrence: int = Field(default=0)
    status: str = Field(default=InstanceStatus.due.value, max_length=20)
    window_start: datetime = Field(sa_type=UTCDateTime, nullable=False)
    window_end: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # The local (Europe/Oslo) date the window ends, and its ISO-week Monday and month start,
    # computed once in Python so that SQL on both databases groups plain dates.
    due_date: date
    due_week: date
    due_month: date
    performed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_by_id: int | None = Field(
        default=None, foreign_key="app_user.id", ondelete="SET NULL"
    )
    not_applicable_reason: str | None = Field(default=None, max_length=500)
    # The idempotency key of the request that closed it: a queued completion sent again from
    # a tablet that was offline is a replay, not a refusal.
    closing_key: str | None = Field(default=None, max_length=80, unique=True)
    # Set when the triggering event is cancelled: the work done stays, but leaves the measures.
    event_cancelled: bool = Field(default=False)


class ChecklistAnswer(Versioned, table=True):
    """One answer to one item of one checklist instance."""

    __tablename__ = "checklist_answer"
    __table_args__ = (UniqueConstraint("instance_id", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    instance_id: int = Field(foreign_key="checklist_instance.id", index=True, ondelete="CASCADE")
    item_id: str = Field(max_length=64)
    value: Any = Field(default=None, sa_type=JSON)
    answered_by_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    answered_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class ChecklistAnswerRevision(SQLModel, table=True):
    """Every saved version of an answer, never changed: the history, and the idempotency keys
    that make a retried save safe however late it arrives."""

    __tablename__ = "checklist_answer_revision"
    __table_args__ = (
        Index("ix_checklist_answer_revision_instance_id_item_id", "instance_id", "item_id"),
        UniqueConstraint("answer_id", "version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = Field(foreign_key="checklist_answer.id", ondelete="CASCADE")
    instance_id: int = Field(foreign_key="checklist_instance.id", ondelete="CASCADE")
    item_id: str = Field(max_length=64)
    version: int
    value: Any = Field(default=None, sa_type=JSON)
    answered_by_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    answered_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    idempotency_key: str | None = Field(default=None, max_length=80, unique=True)


class VariantAdoption(Timestamped, table=True):
    """An organisation's choice of a local variant (None: the standard list) from a local date.

    The adoption in force on the day an instance is scheduled decides its variant; instances
    already created keep the variant they were made with.
    """

    __tablename__ = "variant_adoption"
    __table_args__ = (UniqueConstraint("organisation_id", "checklist_id", "starts_on"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    checklist_id: str = Field(max_length=64)
    variant: str | None = Field(default=None, max_length=64)
    starts_on: date
    adopted_by_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")


class ChecklistStatusChange(SQLModel, table=True):
    """Each completion, not-applicable marking and reopening of an instance, never changed:
    who, when and why, so every version of a checklist can be told apart."""

    __tablename__ = "checklist_status_change"
    __table_args__ = (
        CheckConstraint(
            sql_in("action", ("completed", "not_applicable", "reopened")), name="action_known"
        ),
        CheckConstraint("action <> 'reopened' OR reason IS NOT NULL", name="reopened_has_reason"),
    )

    id: int | None = Field(default=None, primary_key=True)
    instance_id: int = Field(foreign_key="checklist_instance.id", index=True, ondelete="CASCADE")
    action: str = Field(max_length=20)
    # The instance as it stood when it was closed (performed_at) or before it was reopened.
    performed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    happened_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    reason: str | None = Field(default=None, max_length=500)

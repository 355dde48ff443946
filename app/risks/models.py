"""Follow-ups: the action a risk found in a checklist calls for, scheduled like a checklist."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field

from app.core.db import UTCDateTime
from app.core.tables import Versioned, sql_in


class FollowUpStatus(StrEnum):
    """Stored statuses; ``missed`` is derived from the window and never stored."""

    open = "open"
    done = "done"
    not_needed = "not_needed"
    cancelled = "cancelled"


class CancelCause(StrEnum):
    """Why a follow-up was cancelled: its answer was corrected away, its pathway ended, or the
    event that called for its checklist was cancelled."""

    answer_changed = "answer_changed"
    pathway_ended = "pathway_ended"
    event_cancelled = "event_cancelled"


class FollowUp(Versioned, table=True):
    """One follow-up action for one risk found in one checklist of one pathway."""

    __tablename__ = "follow_up"
    __table_args__ = (
        CheckConstraint(
            sql_in("status", tuple(s.value for s in FollowUpStatus)), name="status_known"
        ),
        CheckConstraint("window_end >= window_start", name="window_ordered"),
        CheckConstraint(
            "status <> 'not_needed' OR not_needed_reason IS NOT NULL", name="not_needed_has_reason"
        ),
        CheckConstraint("status <> 'done' OR done_at IS NOT NULL", name="done_has_time"),
        UniqueConstraint("instance_id", "rule_id"),
        Index("ix_follow_up_team_id_status", "team_id", "status"),
        # Serves the measure: one rule's follow-ups in a date range, counted off the index.
        Index(
            "ix_follow_up_measure",
            "rule_id",
            "due_date",
            "team_id",
            "status",
            "window_end",
            "done_at",
            "recorded_at",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    pathway_id: int = Field(foreign_key="pathway.id", index=True, ondelete="CASCADE")
    instance_id: int = Field(foreign_key="checklist_instance.id", index=True, ondelete="CASCADE")
    team_id: int = Field(foreign_key="team.id", ondelete="RESTRICT")
    rule_id: str = Field(max_length=64)
    owner: str = Field(max_length=20)
    status: str = Field(default=FollowUpStatus.open.value, max_length=20)
    window_start: datetime = Field(sa_type=UTCDateTime, nullable=False)
    window_end: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Local (Europe/Oslo) date the window ends, with its ISO-week Monday and month start.
    due_date: date
    due_week: date
    due_month: date
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_by_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    not_needed_reason: str | None = Field(default=None, max_length=500)
    cancel_cause: str | None = Field(default=None, max_length=20)

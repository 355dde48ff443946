"""Who turned the weekly digest off, and which digests went to whom (so none goes twice)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow


class DigestOptOut(SQLModel, table=True):
    """A user who does not want the weekly digest by e-mail (no row: they get it)."""

    __tablename__ = "digest_opt_out"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class DigestDelivery(SQLModel, table=True):
    """One team's digest of one week, e-mailed to one person."""

    __tablename__ = "digest_delivery"
    __table_args__ = (UniqueConstraint("team_id", "week_start", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", ondelete="CASCADE")
    week_start: date
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)

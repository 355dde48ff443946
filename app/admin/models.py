"""One-time sign-in links: a random token shown once, stored only as its hash."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime


class Invitation(SQLModel, table=True):
    """A link to `/welcome/<token>` where a person chooses their own password, once."""

    __tablename__ = "invitation"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # No foreign key: who issued a link stays known after their account is gone.
    created_by_user_id: int | None = Field(default=None)

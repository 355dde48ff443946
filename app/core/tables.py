"""Shared column families: timestamps and optimistic-locking versions."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow


class Timestamped(SQLModel):
    """Adds ``created_at`` and ``updated_at`` (UTC, set by the application)."""

    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=UTCDateTime,
        nullable=False,
        sa_column_kwargs={"onupdate": utcnow},
    )


class Versioned(Timestamped):
    """Adds a ``version`` that every change bumps, so concurrent edits are detected."""

    version: int = Field(default=1, nullable=False)


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """Return a SQL check expression restricting a column to a fixed set of values."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"

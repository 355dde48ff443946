"""Tables for hospital events in: organisation-bound API tokens and the encounters received."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.core.tables import Versioned, sql_in


class ApiToken(SQLModel, table=True):
    """A system's key to send hospital events for one organisation: only its hash is kept."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    # The first characters, shown in lists so that a token can be told apart; not a secret.
    prefix: str = Field(max_length=12)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # No foreign keys: who created or revoked a token stays known after their account is gone.
    created_by_user_id: int | None = Field(default=None)
    revoked_by_user_id: int | None = Field(default=None)


class IncomingState(StrEnum):
    """Where a received encounter stands."""

    waiting = "waiting"  # no patient found: waits in the team's review list
    recorded = "recorded"  # its events are on a patient's pathway
    cancelled = "cancelled"  # the hospital said entered-in-error
    dismissed = "dismissed"  # a nurse said it is not one of ours


class IncomingEncounter(Versioned, table=True):
    """A hospital encounter received for an organisation, known by the sender's identifier."""

    __tablename__ = "incoming_encounter"
    __table_args__ = (
        UniqueConstraint(
            "organisation_id",
            "identifier_system",
            "identifier_value",
            name="uq_incoming_encounter_identifier",
        ),
        CheckConstraint(sql_in("state", tuple(s.value for s in IncomingState)), name="state"),
        CheckConstraint(
            "period_end IS NULL OR period_start IS NULL OR period_end >= period_start",
            name="ends_after_start",
        ),
        Index("ix_incoming_encounter_organisation_id_state", "organisation_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", ondelete="CASCADE")
    identifier_system: str = Field(max_length=200)
    identifier_value: str = Field(max_length=100)
    # The patient as the sender names them: a local reference (never a national id number).
    subject_system: str | None = Field(default=None, max_length=200)
    subject_value: str = Field(max_length=40)
    status: str = Field(max_length=20)
    period_start: datetime | None = Field(default=None, sa_type=UTCDateTime)
    period_end: datetime | None = Field(default=None, sa_type=UTCDateTime)
    state: str = Field(default=IncomingState.waiting.value, max_length=10)
    patient_id: int | None = Field(
        default=None, foreign_key="patient.id", index=True, ondelete="SET NULL"
    )
    admission_event_id: int | None = Field(
        default=None, foreign_key="pathway_event.id", ondelete="SET NULL"
    )
    discharge_event_id: int | None = Field(
        default=None, foreign_key="pathway_event.id", ondelete="SET NULL"
    )
    token_id: int | None = Field(default=None, foreign_key="api_token.id", ondelete="SET NULL")
    problem: str | None = Field(default=None, max_length=300)

"""Pseudonymous patients, their pathways at home, who is responsible, and what happened."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint, event
from sqlmodel import Field

from app.core.db import UTCDateTime
from app.core.tables import Timestamped, Versioned, sql_in


class EventKind(StrEnum):
    """Pathway events that trigger checklists."""

    hospital_admission = "hospital_admission"
    hospital_discharge = "hospital_discharge"
    homecare_start = "homecare_start"
    home_visit = "home_visit"
    halfyear_review = "halfyear_review"
    pathway_end = "pathway_end"


class EventStatus(StrEnum):
    """An event stands until someone cancels it (recorded by mistake)."""

    active = "active"
    cancelled = "cancelled"


class EndReason(StrEnum):
    """Why a pathway ended."""

    died = "died"
    nursing_home = "nursing_home"
    moved_away = "moved_away"
    no_longer_needs_care = "no_longer_needs_care"
    other = "other"


class PathwayStatus(StrEnum):
    """Whether the episode of care at home is still going on."""

    open = "open"
    closed = "closed"


SEARCH_KEY_LENGTH = 60
# Byte order on both databases, so that a prefix is a plain range scan of the index.
SearchKey = String(SEARCH_KEY_LENGTH).with_variant(
    String(SEARCH_KEY_LENGTH, collation="C"), "postgresql"
)


def search_key(text: str | None) -> str | None:
    """What a label or reference is found by: its letters and digits, case and accents folded
    ("K.O. 1938" and "ko 1938" are both "ko1938")."""
    if not text:
        return None
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in folded if ch.isalnum())[:SEARCH_KEY_LENGTH] or None


class Patient(Timestamped, table=True):
    """A pseudonymous patient: a display label, never a national identity number."""

    __tablename__ = "patient"
    __table_args__ = (
        UniqueConstraint("team_id", "local_reference"),
        CheckConstraint(
            "birth_year IS NULL OR birth_year BETWEEN 1890 AND 2100", name="birth_year"
        ),
        Index("ix_patient_team_id_label_key", "team_id", "label_key"),
        Index("ix_patient_team_id_reference_key", "team_id", "reference_key"),
        Index("ix_patient_team_id_birth_year", "team_id", "birth_year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True, ondelete="RESTRICT")
    label: str = Field(max_length=40)
    birth_year: int | None = Field(default=None)
    local_reference: str | None = Field(default=None, max_length=40)
    # Kept by the mapper events below from the label and the reference.
    label_key: str = Field(default="", sa_type=SearchKey, nullable=False)
    reference_key: str | None = Field(default=None, sa_type=SearchKey)


@event.listens_for(Patient, "before_insert")
@event.listens_for(Patient, "before_update")
def _keep_search_keys(_mapper: Any, _connection: Any, patient: Patient) -> None:
    """Derive the search keys from the label and the local reference on every write."""
    patient.label_key = search_key(patient.label) or ""
    patient.reference_key = search_key(patient.local_reference)


class Pathway(Versioned, table=True):
    """One episode of care at home for a patient."""

    __tablename__ = "pathway"
    __table_args__ = (
        CheckConstraint(sql_in("status", tuple(s.value for s in PathwayStatus)), name="status"),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ends_after_start"),
        CheckConstraint(
            "end_reason IS NULL OR " + sql_in("end_reason", tuple(r.value for r in EndReason)),
            name="end_reason_known",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True, ondelete="CASCADE")
    status: str = Field(default=PathwayStatus.open.value, max_length=10)
    started_on: date
    ended_on: date | None = Field(default=None)
    end_reason: str | None = Field(default=None, max_length=30)


class PathwayTeam(Timestamped, table=True):
    """Which team is responsible for a pathway, from when until when."""

    __tablename__ = "pathway_team"
    __table_args__ = (
        CheckConstraint("until_at IS NULL OR until_at > from_at", name="until_after_from"),
        Index("ix_pathway_team_team_id_from_at", "team_id", "from_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    pathway_id: int = Field(foreign_key="pathway.id", index=True, ondelete="CASCADE")
    team_id: int = Field(foreign_key="team.id", ondelete="RESTRICT")
    from_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    until_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PathwayEvent(Versioned, table=True):
    """Something that happened on a pathway (admission, discharge, visit...)."""

    __tablename__ = "pathway_event"
    __table_args__ = (
        CheckConstraint(sql_in("kind", tuple(k.value for k in EventKind)), name="kind_known"),
        CheckConstraint(sql_in("status", tuple(s.value for s in EventStatus)), name="status"),
        Index("ix_pathway_event_pathway_id_occurred_at", "pathway_id", "occurred_at"),
        Index("ix_pathway_event_kind_occurred_on", "kind", "occurred_on", "team_id", "status"),
        Index("ix_pathway_event_recorded_by_id_pathway_id", "recorded_by_id", "pathway_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    pathway_id: int = Field(foreign_key="pathway.id", ondelete="CASCADE")
    kind: str = Field(max_length=30)
    status: str = Field(default=EventStatus.active.value, max_length=10)
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # The local (Europe/Oslo) date it happened and the team responsible then, stored once so
    # that measures over events group plain dates in SQL, as for checklist windows.
    occurred_on: date
    team_id: int = Field(foreign_key="team.id", ondelete="RESTRICT")
    recorded_by_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    note: str | None = Field(default=None, max_length=1000)
    cancel_reason: str | None = Field(default=None, max_length=500)

"""Audit entries: append-only records of every access to patient data."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow
from app.core.tables import sql_in


class AuditAction(StrEnum):
    """What was done."""

    read = "read"
    create = "create"
    update = "update"
    delete = "delete"
    export = "export"
    erase = "erase"
    sign_in = "sign_in"
    sign_in_failed = "sign_in_failed"
    sign_out = "sign_out"


class AuditEntry(SQLModel, table=True):
    """Who (user, role, organisation) did what to which patient's data, when, from where."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        CheckConstraint(sql_in("action", tuple(a.value for a in AuditAction)), name="action"),
        Index("ix_audit_entry_patient_id_at", "patient_id", "at"),
        Index("ix_audit_entry_user_id_at", "user_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # No foreign keys: the log must outlive erased patients and removed users.
    user_id: int | None = Field(default=None)
    user_email: str | None = Field(default=None, max_length=254)
    role: str | None = Field(default=None, max_length=20)
    organisation_id: int | None = Field(default=None)
    patient_id: int | None = Field(default=None)
    action: str = Field(max_length=20)
    what: str = Field(max_length=200)
    detail: str | None = Field(default=None, max_length=1000)
    ip_address: str | None = Field(default=None, max_length=64)

"""Writing the audit log, in the same transaction as the access it records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

import app.audit.guard  # noqa: F401  (makes the log append-only)
from app.audit.models import AuditAction, AuditEntry
from app.core.db import utcnow

if TYPE_CHECKING:
    from app.org.scope import Viewer

# How many entries this session has written, kept in ``session.info`` (see audit_mark).
_WRITTEN = "hph_audit_entries_written"


def record(
    session: Session,
    *,
    viewer: Viewer | None,
    action: AuditAction,
    what: str,
    patient_id: int | None = None,
    detail: str | None = None,
    ip_address: str | None = None,
    user_email: str | None = None,
) -> AuditEntry:
    """Append one audit entry; it commits or rolls back with the access it describes."""
    entry = AuditEntry(
        at=utcnow(),
        user_id=viewer.user_id if viewer else None,
        user_email=viewer.email if viewer else user_email,
        role=viewer.primary_role if viewer else None,
        organisation_id=viewer.primary_organisation_id if viewer else None,
        patient_id=patient_id,
        action=action.value,
        what=what[:200],
        detail=detail[:1000] if detail else None,
        ip_address=ip_address or (viewer.ip_address if viewer else None),
    )
    session.add(entry)
    session.flush()
    session.info[_WRITTEN] = session.info.get(_WRITTEN, 0) + 1
    return entry


def audit_mark(session: Session) -> int:
    """A mark of how much this session has audited so far, for ``audited_since``."""
    return int(session.info.get(_WRITTEN, 0))


def audited_since(session: Session, mark: int) -> bool:
    """Whether the session has written an audit entry since the mark."""
    return audit_mark(session) > mark


def entries_for_patient(session: Session, *, patient_id: int, limit: int = 500) -> list[AuditEntry]:
    """Who has read or written this patient's data, newest first (the caller checked access)."""
    return list(
        session.exec(
            select(AuditEntry)
            .where(AuditEntry.patient_id == patient_id)
            .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
            .limit(limit)
        ).all()
    )

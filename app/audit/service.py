"""Writing the audit log, in the same transaction as the access it records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from app.audit.models import AuditAction, AuditEntry
from app.core.db import utcnow

if TYPE_CHECKING:
    from app.org.scope import Viewer


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
    return entry

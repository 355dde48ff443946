"""The audit of administrative changes: who changed what, with the values before and after."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from app.audit.models import AuditAction, AuditEntry
from app.core.db import utcnow
from app.org.scope import Viewer

COMMAND_LINE = "hph command"


def audit_change(
    session: Session,
    *,
    actor: Viewer | None,
    action: AuditAction,
    what: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    by: str | None = None,
) -> None:
    """Add one audit entry for a change (not flushed: a bulk import adds thousands at once).

    Without a viewer the change was made at the command line, or (``by``) by a person who is
    not signed in yet: the one choosing a password behind their link.
    """
    detail = json.dumps({"before": before, "after": after}, ensure_ascii=False, default=str)
    session.add(
        AuditEntry(
            at=utcnow(),
            user_id=actor.user_id if actor else None,
            user_email=actor.email if actor else (by or COMMAND_LINE),
            role=actor.primary_role if actor else None,
            organisation_id=actor.primary_organisation_id if actor else None,
            action=action.value,
            what=f"admin: {what}"[:200],
            detail=detail[:1000],
            ip_address=actor.ip_address if actor else None,
        )
    )


def values(row: Any, *names: str) -> dict[str, Any]:
    """The named fields of a row, for an audit entry's before or after."""
    return {name: getattr(row, name) for name in names}

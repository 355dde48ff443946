"""Reopening a completed checklist with a reason; every completion and reopening is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.checklists.models import ChecklistInstance, ChecklistStatusChange, InstanceStatus
from app.checklists.service import ChecklistView, _load
from app.core.db import utcnow
from app.core.i18n import _
from app.org.models import User
from app.org.scope import Viewer

REASON_LIMIT = 500


class ReopenRefused(Exception):
    """The checklist cannot be reopened: not completed, no reason, or not yours to reopen."""


class ReopenNotAllowed(Exception):
    """Only the nurse who completed the checklist, or its team, may reopen it (403)."""

    def __init__(self) -> None:
        super().__init__(_("Only the nurse who completed the checklist or its team can reopen it."))


class ChecklistChanged(Exception):
    """The checklist changed after the version the user saw (409)."""

    def __init__(self) -> None:
        super().__init__(_("Someone changed the checklist meanwhile. Reload it and try again."))


@dataclass
class StatusChangeView:
    """One completion or reopening, with the name of who did it."""

    change: ChecklistStatusChange
    user_name: str | None


def record_status_change(
    session: Session,
    *,
    viewer: Viewer,
    instance: ChecklistInstance,
    action: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> ChecklistStatusChange:
    """Keep one completion, not-applicable marking or reopening of an instance."""
    change = ChecklistStatusChange(
        instance_id=int(instance.id or 0),
        action=action,
        performed_at=instance.performed_at,
        happened_at=now or utcnow(),
        user_id=viewer.user_id,
        reason=reason,
    )
    session.add(change)
    return change


def may_reopen(viewer: Viewer, instance: ChecklistInstance) -> bool:
    """The nurse who completed it, or someone working with its team's patients."""
    return instance.completed_by_id == viewer.user_id or viewer.may_see_patients_of(
        instance.team_id
    )


def reopen_checklist(
    session: Session,
    *,
    viewer: Viewer,
    instance_id: int,
    reason: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> ChecklistView:
    """Reopen a completed checklist for correction; the answers stay, the measures recompute."""
    now = now or utcnow()
    reason = (reason or "").strip()
    view = _load(session, viewer=viewer, instance_id=instance_id, for_change=True)
    instance = view.instance
    if instance.status != InstanceStatus.completed.value:
        raise ReopenRefused(_("Only a completed checklist can be reopened."))
    if not may_reopen(viewer, instance):
        raise ReopenNotAllowed()
    if expected_version is not None and expected_version != instance.version:
        raise ChecklistChanged()
    if not reason:
        raise ReopenRefused(_("Say why the checklist is reopened."))
    reason = reason[:REASON_LIMIT]
    record_status_change(
        session, viewer=viewer, instance=instance, action="reopened", reason=reason, now=now
    )
    instance.status = InstanceStatus.in_progress.value
    instance.performed_at = None
    instance.recorded_at = None
    instance.completed_by_id = None
    instance.version += 1
    session.add(instance)
    session.flush()
    record(
        session,
        viewer=viewer,
        action=AuditAction.update,
        what=f"checklist {view.definition.id} reopened",
        patient_id=view.patient.id,
        detail=f"instance {instance.id}: {reason}",
    )
    return view


def status_history(session: Session, *, instance_id: int) -> list[StatusChangeView]:
    """Every completion and reopening of an instance, oldest first, with names."""
    rows = session.exec(
        select(ChecklistStatusChange, User)
        .join(User, col(User.id) == col(ChecklistStatusChange.user_id), isouter=True)
        .where(ChecklistStatusChange.instance_id == instance_id)
        .order_by(col(ChecklistStatusChange.happened_at), col(ChecklistStatusChange.id))
    ).all()
    return [StatusChangeView(change, user.display_name if user else None) for change, user in rows]


def completed_by_name(session: Session, instance: ChecklistInstance) -> str | None:
    """The name of the person who completed the checklist, if it is completed."""
    if instance.completed_by_id is None:
        return None
    user = session.get(User, instance.completed_by_id)
    return user.display_name if user else None

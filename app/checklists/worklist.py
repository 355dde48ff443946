"""The nurse's day: checklists due today, overdue and coming up, for the nurse's teams."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.checklists.models import ChecklistInstance, InstanceStatus
from app.core.config import get_settings
from app.core.db import utcnow
from app.org.scope import Viewer
from app.pathways.models import Pathway, Patient

UPCOMING_DAYS = 7
OVERDUE_DAYS = 14


@dataclass(frozen=True)
class WorkItem:
    """One open checklist on the nurse's list."""

    instance_id: int
    definition_id: str
    status: str
    window_start: datetime
    window_end: datetime
    due_date: date
    patient_id: int
    patient_label: str


@dataclass(frozen=True)
class MyDay:
    """The nurse's list, split the way the day is planned."""

    today: date
    overdue: list[WorkItem]
    open_now: list[WorkItem]
    coming_up: list[WorkItem]


SORT_KEYS = {
    "due": lambda item: (item.window_end, item.instance_id),
    "patient": lambda item: (item.patient_label, item.window_end),
    "checklist": lambda item: (item.definition_id, item.window_end),
}


def my_day(
    session: Session, *, viewer: Viewer, now: datetime | None = None, sort: str = "due"
) -> MyDay:
    """Return open checklists of the nurse's teams around today, in one query."""
    now = now or utcnow()
    today = now.astimezone(get_settings().zone).date()
    if not viewer.patient_team_ids:
        return MyDay(today=today, overdue=[], open_now=[], coming_up=[])
    rows = session.exec(
        select(ChecklistInstance, Patient.id, Patient.label)
        .join(Pathway, col(Pathway.id) == col(ChecklistInstance.pathway_id))
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .where(col(ChecklistInstance.team_id).in_(viewer.patient_team_ids))
        .where(
            col(ChecklistInstance.status).in_(
                [InstanceStatus.due.value, InstanceStatus.in_progress.value]
            )
        )
        .where(col(ChecklistInstance.due_date) >= today - timedelta(days=OVERDUE_DAYS))
        .where(col(ChecklistInstance.window_start) <= now + timedelta(days=UPCOMING_DAYS))
        .order_by(col(ChecklistInstance.window_end), col(ChecklistInstance.id))
    ).all()
    overdue, open_now, coming_up = [], [], []
    for instance, patient_id, label in rows:
        item = WorkItem(
            instance_id=int(instance.id or 0),
            definition_id=instance.definition_id,
            status=instance.status,
            window_start=instance.window_start,
            window_end=instance.window_end,
            due_date=instance.due_date,
            patient_id=int(patient_id or 0),
            patient_label=label,
        )
        if instance.window_end < now:
            overdue.append(item)
        elif instance.window_start <= now:
            open_now.append(item)
        else:
            coming_up.append(item)
    record(
        session,
        viewer=viewer,
        action=AuditAction.read,
        what="my day",
        detail=f"{len(rows)} open checklists",
    )
    key = SORT_KEYS.get(sort, SORT_KEYS["due"])
    return MyDay(
        today=today,
        overdue=sorted(overdue, key=key),
        open_now=sorted(open_now, key=key),
        coming_up=sorted(coming_up, key=key),
    )

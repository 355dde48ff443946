"""Who may open which pathway, goal or conversation, and the audit record of each access."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.core.i18n import _
from app.goals.errors import NotVisible
from app.goals.models import Goal, WhatMattersConversation
from app.org.scope import Viewer
from app.pathways.models import Pathway, Patient


def visible_pathway(
    session: Session, viewer: Viewer, pathway_id: int, *, lock: bool = False
) -> tuple[Pathway, Patient]:
    """Load a pathway and its patient if the viewer works with the patient's team."""
    statement = (
        select(Pathway, Patient)
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .where(Pathway.id == pathway_id)
    )
    if lock:
        statement = statement.with_for_update(of=Pathway)  # type: ignore[arg-type]
    row = session.exec(statement).first()
    if row is None or not viewer.may_see_patients_of(row[1].team_id):
        raise NotVisible(_("The pathway was not found."))
    return row[0], row[1]


Owned = TypeVar("Owned", Goal, WhatMattersConversation)


def _visible_row(
    session: Session, viewer: Viewer, model: type[Owned], row_id: int, *, lock: bool, missing: str
) -> tuple[Owned, Pathway, Patient]:
    """Load a row of a pathway the viewer may see (optionally locked); ``missing`` otherwise."""
    statement = select(model).where(model.id == row_id).execution_options(populate_existing=True)
    row = session.exec(statement.with_for_update() if lock else statement).first()
    try:
        if row is None:
            raise NotVisible("")
        pathway, patient = visible_pathway(session, viewer, row.pathway_id)
    except NotVisible:
        raise NotVisible(missing) from None
    return row, pathway, patient


def visible_goal(
    session: Session, viewer: Viewer, goal_id: int, *, lock: bool = False
) -> tuple[Goal, Pathway, Patient]:
    """Load a goal the viewer may see (optionally locked for a change)."""
    return _visible_row(
        session, viewer, Goal, goal_id, lock=lock, missing=_("The goal was not found.")
    )


def visible_conversation(
    session: Session, viewer: Viewer, conversation_id: int, *, lock: bool = False
) -> tuple[WhatMattersConversation, Patient]:
    """Load a conversation the viewer may see (optionally locked for a change)."""
    missing = _("The conversation was not found.")
    conversation, _pathway, patient = _visible_row(
        session, viewer, WhatMattersConversation, conversation_id, lock=lock, missing=missing
    )
    return conversation, patient


def audit_access(
    session: Session, viewer: Viewer, action: AuditAction, what: str, patient: Patient, detail: str
) -> None:
    """Record one access to the patient's 'what matters' data."""
    record(session, viewer=viewer, action=action, what=what, patient_id=patient.id, detail=detail)

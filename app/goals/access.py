"""Who may open which pathway, goal or conversation, and the audit record of each access."""

from __future__ import annotations

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


def visible_goal(
    session: Session, viewer: Viewer, goal_id: int, *, lock: bool = False
) -> tuple[Goal, Pathway, Patient]:
    """Load a goal the viewer may see (optionally locked for a change)."""
    statement = select(Goal).where(Goal.id == goal_id).execution_options(populate_existing=True)
    goal = session.exec(statement.with_for_update() if lock else statement).first()
    try:
        if goal is None:
            raise NotVisible("")
        pathway, patient = visible_pathway(session, viewer, goal.pathway_id)
    except NotVisible:
        raise NotVisible(_("The goal was not found.")) from None
    return goal, pathway, patient


def visible_conversation(
    session: Session, viewer: Viewer, conversation_id: int, *, lock: bool = False
) -> tuple[WhatMattersConversation, Patient]:
    """Load a conversation the viewer may see (optionally locked for a change)."""
    statement = select(WhatMattersConversation).where(WhatMattersConversation.id == conversation_id)
    statement = statement.execution_options(populate_existing=True)
    conversation = session.exec(statement.with_for_update() if lock else statement).first()
    try:
        if conversation is None:
            raise NotVisible("")
        _pathway, patient = visible_pathway(session, viewer, conversation.pathway_id)
    except NotVisible:
        raise NotVisible(_("The conversation was not found.")) from None
    return conversation, patient


def audit_access(
    session: Session, viewer: Viewer, action: AuditAction, what: str, patient: Patient, detail: str
) -> None:
    """Record one access to the patient's 'what matters' data."""
    record(session, viewer=viewer, action=action, what=what, patient_id=patient.id, detail=detail)

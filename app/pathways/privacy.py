"""A patient's rights: see everything stored about them, see who looked, and be erased."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, SQLModel, col, select

from app.audit.models import AuditAction
from app.audit.service import entries_for_patient, record
from app.checklists.models import ChecklistAnswer, ChecklistAnswerRevision, ChecklistInstance
from app.core.db import utcnow
from app.core.i18n import _
from app.goals.models import Goal, GoalRating, WhatMattersConversation
from app.org.scope import Viewer
from app.pathways.models import Pathway, PathwayEvent, PathwayTeam, Patient
from app.pathways.service import PatientRejected, get_patient
from app.risks.models import FollowUp


def _rows(rows: list[Any]) -> list[dict[str, Any]]:
    return [row.model_dump(mode="json") for row in rows]


def _where_in(session: Session, model: type[SQLModel], column: str, ids: list[int]) -> list[Any]:
    if not ids:
        return []
    return list(session.exec(select(model).where(col(getattr(model, column)).in_(ids))).all())


def export_patient(session: Session, *, viewer: Viewer, patient_id: int) -> dict[str, Any]:
    """Everything stored about one patient, as JSON-ready data (the export is audited)."""
    patient = get_patient(session, viewer=viewer, patient_id=patient_id)
    pathways = _where_in(session, Pathway, "patient_id", [int(patient.id or 0)])
    pathway_ids = [int(p.id or 0) for p in pathways]
    instances = _where_in(session, ChecklistInstance, "pathway_id", pathway_ids)
    instance_ids = [int(i.id or 0) for i in instances]
    goals = _where_in(session, Goal, "pathway_id", pathway_ids)
    document = {
        "exported_at": utcnow().isoformat(),
        "patient": patient.model_dump(mode="json"),
        "pathways": _rows(pathways),
        "responsible_teams": _rows(_where_in(session, PathwayTeam, "pathway_id", pathway_ids)),
        "events": _rows(_where_in(session, PathwayEvent, "pathway_id", pathway_ids)),
        "checklists": _rows(instances),
        "answers": _rows(_where_in(session, ChecklistAnswer, "instance_id", instance_ids)),
        "answer_history": _rows(
            _where_in(session, ChecklistAnswerRevision, "instance_id", instance_ids)
        ),
        "what_matters": _rows(
            _where_in(session, WhatMattersConversation, "pathway_id", pathway_ids)
        ),
        "goals": _rows(goals),
        "follow_ups": _rows(_where_in(session, FollowUp, "pathway_id", pathway_ids)),
        "goal_ratings": _rows(
            _where_in(session, GoalRating, "goal_id", [int(g.id or 0) for g in goals])
        ),
        "access_log": [
            {
                "at": e.at.isoformat(),
                "user": e.user_email,
                "role": e.role,
                "action": e.action,
                "what": e.what,
            }
            for e in entries_for_patient(session, patient_id=int(patient.id or 0))
        ],
    }
    record(
        session,
        viewer=viewer,
        action=AuditAction.export,
        what="patient export",
        patient_id=patient.id,
    )
    return document


def may_erase(viewer: Viewer, patient: Patient) -> bool:
    """Whether the viewer is an improvement-team member of the patient's team."""
    return "team" in {g.role for g in viewer.grants if patient.team_id in g.team_ids}


def erase_patient(session: Session, *, viewer: Viewer, patient_id: int, confirm_label: str) -> int:
    """Erase a patient and everything about them on request; the erasure itself is audited."""
    patient = get_patient(session, viewer=viewer, patient_id=patient_id)
    if not may_erase(viewer, patient):
        raise PatientRejected(_("Only an improvement-team member of the patient's team can erase."))
    if confirm_label.strip() != patient.label:
        raise PatientRejected(_("Type the patient's label exactly to confirm the erasure."))
    erased_id = int(patient.id or 0)
    session.delete(patient)
    session.flush()
    record(
        session,
        viewer=viewer,
        action=AuditAction.erase,
        what="patient erased on request",
        patient_id=erased_id,
    )
    return erased_id

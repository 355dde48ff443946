"""Patients and pathways, always filtered to the viewer's teams and written to the audit log."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.core.i18n import _
from app.org.scope import Viewer
from app.pathways.models import Pathway, PathwayStatus, Patient


class PatientNotFound(LookupError):
    """The patient does not exist or lies outside the viewer's teams (the same to them)."""

    def __init__(self) -> None:
        super().__init__(_("The patient was not found."))


def list_patients(
    session: Session,
    *,
    viewer: Viewer,
    team_id: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[tuple[Patient, int]]:
    """Return patients of the viewer's teams with their number of open pathways."""
    team_ids = viewer.patient_team_ids
    if team_id is not None:
        team_ids = team_ids & {team_id}
    if not team_ids:
        return []
    open_pathways = (
        select(Pathway.patient_id, func.count().label("open_count"))
        .where(Pathway.status == PathwayStatus.open.value)
        .group_by(col(Pathway.patient_id))
        .subquery()
    )
    rows = session.exec(
        select(Patient, func.coalesce(open_pathways.c.open_count, 0))
        .join(open_pathways, open_pathways.c.patient_id == Patient.id, isouter=True)
        .where(col(Patient.team_id).in_(team_ids))
        .order_by(col(Patient.label), col(Patient.id))
        .limit(limit)
        .offset(offset)
    ).all()
    record(
        session,
        viewer=viewer,
        action=AuditAction.read,
        what="patient list",
        detail=f"{len(rows)} patients; teams {sorted(team_ids)}",
    )
    return [(patient, int(n)) for patient, n in rows]


def get_patient(session: Session, *, viewer: Viewer, patient_id: int) -> Patient:
    """Return one patient of the viewer's teams, logging the read; otherwise PatientNotFound."""
    patient = session.get(Patient, patient_id)
    if patient is None or not viewer.may_see_patients_of(patient.team_id):
        raise PatientNotFound()
    record(session, viewer=viewer, action=AuditAction.read, what="patient", patient_id=patient.id)
    return patient

"""Patients and pathways, always filtered to the viewer's teams and written to the audit log."""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.i18n import _
from app.org.scope import Viewer
from app.pathways.models import Pathway, PathwayStatus, PathwayTeam, Patient


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


class PatientRejected(ValueError):
    """The patient cannot be registered as given; the message says why (HTTP 422)."""


NATIONAL_ID = re.compile(r"\d{6}\s?\d{5}")


def register_patient(
    session: Session,
    *,
    viewer: Viewer,
    team_id: int,
    label: str,
    birth_year: int | None = None,
    local_reference: str | None = None,
) -> Patient:
    """Register a pseudonymous patient on one of the viewer's teams."""
    label = (label or "").strip()
    if not viewer.may_see_patients_of(team_id):
        raise PatientRejected(_("You can only register patients on your own teams."))
    if not 2 <= len(label) <= 40:
        raise PatientRejected(
            _("The label must have 2 to 40 characters, e.g. initials and birth year.")
        )
    for text in (label, local_reference or ""):
        if NATIONAL_ID.search(text):
            raise PatientRejected(
                _("Never store a national identity number: use initials and birth year.")
            )
    this_year = utcnow().year
    if birth_year is not None and not 1890 <= birth_year <= this_year:
        raise PatientRejected(
            _("Birth year must be between 1890 and {year}.").format(year=this_year)
        )
    if local_reference:
        clash = session.exec(
            select(Patient.id)
            .where(Patient.team_id == team_id)
            .where(Patient.local_reference == local_reference.strip())
        ).first()
        if clash is not None:
            raise PatientRejected(_("Another patient of the team has this local reference."))
    patient = Patient(
        team_id=team_id,
        label=label,
        birth_year=birth_year,
        local_reference=(local_reference or "").strip() or None,
    )
    session.add(patient)
    session.flush()
    record(session, viewer=viewer, action=AuditAction.create, what="patient", patient_id=patient.id)
    return patient


def open_pathway(session: Session, *, viewer: Viewer, patient_id: int, started_on: date) -> Pathway:
    """Open a pathway for a patient, with the patient's team responsible from its start."""
    patient = get_patient(session, viewer=viewer, patient_id=patient_id)
    today = utcnow().astimezone(get_settings().zone).date()
    if started_on > today:
        raise PatientRejected(_("A pathway cannot start in the future."))
    already = session.exec(
        select(Pathway.id)
        .where(Pathway.patient_id == patient.id)
        .where(Pathway.status == PathwayStatus.open.value)
    ).first()
    if already is not None:
        raise PatientRejected(_("The patient already has an open pathway."))
    pathway = Pathway(patient_id=int(patient.id or 0), started_on=started_on)
    session.add(pathway)
    session.flush()
    start = datetime.combine(started_on, datetime.min.time(), get_settings().zone)
    session.add(
        PathwayTeam(pathway_id=int(pathway.id or 0), team_id=patient.team_id, from_at=start)
    )
    session.flush()
    record(
        session,
        viewer=viewer,
        action=AuditAction.create,
        what="pathway",
        patient_id=patient.id,
        detail=f"pathway {pathway.id}",
    )
    return pathway


def patient_pathways(session: Session, *, patient_id: int) -> list[Pathway]:
    """A patient's pathways, newest first (the caller has checked access)."""
    return list(
        session.exec(
            select(Pathway)
            .where(Pathway.patient_id == patient_id)
            .order_by(col(Pathway.started_on).desc(), col(Pathway.id).desc())
        ).all()
    )

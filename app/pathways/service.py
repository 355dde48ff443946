"""Patients and pathways, always filtered to the viewer's teams and written to the audit log."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.i18n import _
from app.org.scope import Viewer
from app.pathways.models import Pathway, PathwayStatus, PathwayTeam, Patient, search_key


class PatientNotFound(LookupError):
    """The patient does not exist or lies outside the viewer's teams (the same to them)."""

    def __init__(self) -> None:
        super().__init__(_("The patient was not found."))


@dataclass(frozen=True)
class PatientPage:
    """One page of a patient search, with how many match in all (never silently cut)."""

    rows: list[tuple[Patient, int]]
    total: int
    page: int
    per_page: int
    query: str

    @property
    def pages(self) -> int:
        """How many pages the matches fill (at least one)."""
        return max(1, -(-self.total // self.per_page))


def _search_terms(query: str) -> tuple[list[int], str | None]:
    """Split a search into birth years (four digits) and one key for labels and references."""
    years = [int(t) for t in query.split() if len(t) == 4 and t.isdecimal() and t.isascii()]
    rest = " ".join(t for t in query.split() if not (len(t) == 4 and t.isdecimal()))
    return years, search_key(rest)


def _matching(query: str, team_ids: list[int]) -> list[Any]:
    """The conditions a search puts on the patients of some teams: every year, and the key as
    a prefix of the label or the local reference. Each branch starts with the team, so each is
    a range on its own (team, key) index, never a scan of the team's patients."""
    years, key = _search_terms(query)
    in_teams = col(Patient.team_id).in_(team_ids)
    conditions: list[Any] = [col(Patient.birth_year) == year for year in years]
    if not key:
        return [in_teams, *conditions]
    end = key + "\U0010ffff"
    by_label = and_(in_teams, col(Patient.label_key) >= key, col(Patient.label_key) < end)
    by_reference = and_(
        in_teams, col(Patient.reference_key) >= key, col(Patient.reference_key) < end
    )
    return [or_(by_label, by_reference), *conditions]


def _open_pathways(session: Session, patient_ids: list[int]) -> dict[int, int]:
    """How many open pathways each of these patients has (only the page's patients)."""
    if not patient_ids:
        return {}
    rows = session.exec(
        select(col(Pathway.patient_id), func.count())
        .where(col(Pathway.patient_id).in_(patient_ids))
        .where(Pathway.status == PathwayStatus.open.value)
        .group_by(col(Pathway.patient_id))
    ).all()
    return {int(patient_id): int(n) for patient_id, n in rows}


def _search(
    session: Session,
    *,
    viewer: Viewer,
    query: str,
    team_id: int | None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[Patient, int]], int]:
    """Matching patients of the viewer's teams from an offset, and how many match in all."""
    team_ids = viewer.patient_team_ids
    if team_id is not None:
        team_ids = team_ids & {team_id}
    if not team_ids:
        return [], 0
    conditions = _matching(query, sorted(team_ids))
    total = int(session.exec(select(func.count()).select_from(Patient).where(*conditions)).one())
    patients = session.exec(
        select(Patient)
        .where(*conditions)
        .order_by(col(Patient.label_key), col(Patient.id))
        .limit(limit)
        .offset(offset)
    ).all()
    open_counts = _open_pathways(session, [int(p.id or 0) for p in patients])
    rows = [(patient, open_counts.get(int(patient.id or 0), 0)) for patient in patients]
    record(
        session,
        viewer=viewer,
        action=AuditAction.read,
        what="patient list",
        detail=f"{len(rows)} of {total} patients from {offset}; teams {sorted(team_ids)}",
    )
    return rows, total


def find_patients(
    session: Session,
    *,
    viewer: Viewer,
    query: str = "",
    team_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> PatientPage:
    """Find patients of the viewer's teams by label, local reference or birth year, a page at
    a time, with their number of open pathways."""
    query = " ".join((query or "").split())[:100]
    page = max(1, page)
    rows, total = _search(
        session,
        viewer=viewer,
        query=query,
        team_id=team_id,
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    return PatientPage(rows=rows, total=total, page=page, per_page=per_page, query=query)


def list_patients(
    session: Session,
    *,
    viewer: Viewer,
    team_id: int | None = None,
    limit: int = 200,
    offset: int = 0,
    query: str = "",
) -> tuple[list[tuple[Patient, int]], int]:
    """Patients of the viewer's teams from an offset, and how many match in all (the API)."""
    query = " ".join((query or "").split())[:100]
    return _search(session, viewer=viewer, query=query, team_id=team_id, limit=limit, offset=offset)


def same_label_patients(session: Session, *, team_id: int, label: str) -> list[Patient]:
    """Patients of a team whose label reads the same (is this the same person?)."""
    key = search_key(label)
    if not key:
        return []
    return list(
        session.exec(
            select(Patient)
            .where(Patient.team_id == team_id)
            .where(Patient.label_key == key)
            .order_by(col(Patient.id))
        ).all()
    )


def get_patient(session: Session, *, viewer: Viewer, patient_id: int) -> Patient:
    """Return one patient of the viewer's teams, logging the read; otherwise PatientNotFound."""
    patient = session.get(Patient, patient_id)
    if patient is None or not viewer.may_see_patients_of(patient.team_id):
        raise PatientNotFound()
    record(session, viewer=viewer, action=AuditAction.read, what="patient", patient_id=patient.id)
    return patient


class PatientRejected(ValueError):
    """The patient cannot be registered as given; the message says why (HTTP 422)."""


class SameLabel(Exception):
    """Another patient of the team has this label: is it the same person? (HTTP 409)"""

    def __init__(self, existing: list[int]) -> None:
        super().__init__(
            _(
                "Another patient of the team has this label. Is this the same person? If not, "
                "register again and say it is someone else."
            )
        )
        self.existing = existing


NATIONAL_ID = re.compile(r"\d{6}\s?\d{5}")
LABEL_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)\s*$")


def birth_year_in(label: str) -> int | None:
    """The birth year a label ends with ("K.O. 1938" is born in 1938), so it is asked once."""
    found = LABEL_YEAR.search(label or "")
    return int(found.group(1)) if found else None


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
    if birth_year is None:
        birth_year = birth_year_in(label)
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

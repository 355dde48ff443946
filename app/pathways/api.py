"""JSON API for patients (more of the pathway arrives with the checklist work)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from app.core.deps import CurrentViewer, SessionDep
from app.pathways.service import PatientNotFound, get_patient, list_patients

router = APIRouter(prefix="/api/v1", tags=["patients"])


class PatientPublic(BaseModel):
    """A pseudonymous patient as the API shows them."""

    id: int
    team_id: int
    label: str
    birth_year: int | None
    local_reference: str | None
    open_pathways: int | None = None


@router.get("/patients")
def read_patients(
    session: SessionDep,
    viewer: CurrentViewer,
    team_id: int | None = None,
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> list[PatientPublic]:
    """List the patients of the teams you work in (none for coordinators and administrators)."""
    rows = list_patients(session, viewer=viewer, team_id=team_id, limit=limit, offset=offset)
    return [
        PatientPublic(
            id=int(p.id or 0),
            team_id=p.team_id,
            label=p.label,
            birth_year=p.birth_year,
            local_reference=p.local_reference,
            open_pathways=n,
        )
        for p, n in rows
    ]


@router.get("/patients/{patient_id}", responses={404: {"description": "Not found or not yours"}})
def read_patient(patient_id: int, session: SessionDep, viewer: CurrentViewer) -> PatientPublic:
    """Return one patient of your teams."""
    try:
        p = get_patient(session, viewer=viewer, patient_id=patient_id)
    except PatientNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    return PatientPublic(
        id=int(p.id or 0),
        team_id=p.team_id,
        label=p.label,
        birth_year=p.birth_year,
        local_reference=p.local_reference,
    )

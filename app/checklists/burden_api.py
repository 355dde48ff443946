"""JSON API for the burden of checklists in a network (coordinators and administrators)."""

from __future__ import annotations

from fastapi import APIRouter

from app.audit.patient_data import NO_PATIENT_DATA
from app.checklists.burden import ChecklistBurden, checklist_burden
from app.core.analysis_limit import ANALYSIS
from app.core.deps import ERROR_RESPONSES, CurrentViewer, SessionDep

router = APIRouter(prefix="/api/v1", tags=["checklists"], dependencies=[NO_PATIENT_DATA])


@router.get(
    "/networks/{network_id}/checklist-burden", responses=ERROR_RESPONSES, dependencies=[ANALYSIS]
)
def read_checklist_burden(
    network_id: int, session: SessionDep, viewer: CurrentViewer
) -> list[ChecklistBurden]:
    """Per checklist, version and item: not relevant, left empty, never differing, time taken."""
    return checklist_burden(session, viewer=viewer, network_id=network_id)

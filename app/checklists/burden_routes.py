"""The page showing the burden of checklists in a network (coordinators and administrators)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.audit.patient_data import NO_PATIENT_DATA
from app.checklists.burden import MIN_FOR_SAMENESS, checklist_burden
from app.core.analysis_limit import ANALYSIS
from app.core.config import get_settings
from app.core.deps import CurrentViewer, SessionDep
from app.core.templating import render
from app.org.models import LearningNetwork

router = APIRouter(include_in_schema=False, dependencies=[NO_PATIENT_DATA])


@router.get("/networks/{network_id}/checklist-burden", dependencies=[ANALYSIS])
def read_checklist_burden_page(
    network_id: int, request: Request, session: SessionDep, viewer: CurrentViewer
) -> Response:
    """A table per checklist version of its items' burden."""
    burden = checklist_burden(session, viewer=viewer, network_id=network_id)
    network = session.get(LearningNetwork, network_id)
    context = {
        "viewer": viewer,
        "network": network,
        "burden": burden,
        "min_for_sameness": MIN_FOR_SAMENESS,
        "threshold": get_settings().suppression_threshold,
    }
    return render(request, "checklists/burden.html", context)

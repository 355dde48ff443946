"""The GP review summary page, printable, for the nurses and team of the patient's team."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.audit.patient_data import PATIENT_DATA
from app.core.db import utcnow
from app.core.deps import SessionDep, require_roles
from app.core.templating import render
from app.gp.service import gp_summary
from app.org.models import Role
from app.org.scope import Viewer

router = APIRouter(include_in_schema=False, dependencies=[PATIENT_DATA])
PatientWorker = Annotated[Viewer, Depends(require_roles(Role.nurse.value, Role.team.value))]


@router.get("/pathways/{pathway_id}/gp-summary")
def gp_summary_page(
    pathway_id: int, request: Request, session: SessionDep, viewer: PatientWorker
) -> Response:
    """One page for the GP review (HPH 3): medicines, open follow-ups and goals."""
    summary = gp_summary(session, viewer=viewer, pathway_id=pathway_id)
    return render(
        request, "gp/summary.html", {"viewer": viewer, "summary": summary, "now": utcnow()}
    )

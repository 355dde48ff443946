"""Nurse pages: my day and the patient list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.checklists.worklist import my_day
from app.core.deps import SessionDep, require_roles
from app.core.templating import render
from app.org.models import Role
from app.org.scope import Viewer
from app.pathways.service import list_patients

router = APIRouter(include_in_schema=False)
PatientWorker = Annotated[Viewer, Depends(require_roles(Role.nurse.value, Role.team.value))]


@router.get("/my-day")
def read_my_day(request: Request, session: SessionDep, viewer: PatientWorker) -> Response:
    """Show what is due today, overdue and coming up for the nurse's teams."""
    day = my_day(session, viewer=viewer)
    return render(request, "pathways/my_day.html", {"viewer": viewer, "day": day})


@router.get("/patients")
def read_patients_page(request: Request, session: SessionDep, viewer: PatientWorker) -> Response:
    """List the patients of the user's teams."""
    rows = list_patients(session, viewer=viewer)
    return render(request, "pathways/patients.html", {"viewer": viewer, "rows": rows})

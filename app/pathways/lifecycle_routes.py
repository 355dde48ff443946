"""Patient-page forms for a pathway's life: move it to another team, end it, reopen it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.audit.patient_data import PATIENT_DATA
from app.core.deps import SessionDep, require_roles
from app.core.i18n import _
from app.core.text import named_problem, text_problems
from app.org.models import Role
from app.org.scope import Viewer
from app.pathways.events import EventRejected, get_pathway
from app.pathways.forms import EventNote
from app.pathways.lifecycle import (
    PathwayConflict,
    end_pathway,
    reopen_pathway,
    transfer_pathway,
)
from app.pathways.routes import local_input, patient_page

router = APIRouter(include_in_schema=False, dependencies=[PATIENT_DATA])
PatientWorker = Annotated[Viewer, Depends(require_roles(Role.nurse.value, Role.team.value))]


def _moment(text: str) -> datetime:
    """A datetime-local form value as an aware moment, or a clear refusal."""
    when = local_input(text)
    if when is None:
        raise EventRejected(_("Write the time as date and time, e.g. 2026-03-02 14:30."))
    return when


@router.post("/pathways/{pathway_id}/transfer")
def create_transfer_page(
    pathway_id: int,
    request: Request,
    session: SessionDep,
    viewer: PatientWorker,
    team_id: Annotated[str, Form()] = "",
    effective_at: Annotated[str, Form()] = "",
    version: Annotated[int, Form()] = 0,
) -> Response:
    """Move the pathway to another team from a moment."""
    _pathway, patient = get_pathway(session, viewer=viewer, pathway_id=pathway_id)
    patient_id = int(patient.id or 0)
    try:
        if not team_id.isdecimal() or not team_id.isascii():
            raise EventRejected(_("Choose the team that takes over."))
        transfer_pathway(
            session,
            viewer=viewer,
            pathway_id=pathway_id,
            team_id=int(team_id),
            effective_at=_moment(effective_at),
            expected_version=version,
        )
    except (EventRejected, PathwayConflict) as exc:
        return patient_page(
            request,
            session,
            viewer,
            patient_id,
            status_code=422,
            lifecycle_error=str(exc),
            lifecycle_form={"pathway_id": pathway_id, "team_id": team_id, "at": effective_at},
        )
    # The patient now belongs to the new team; whoever moved it may no longer see them.
    if viewer.may_see_patients_of(int(team_id)):
        return RedirectResponse(f"/patients/{patient_id}", status_code=303)
    return RedirectResponse("/patients", status_code=303)


@router.post("/pathways/{pathway_id}/end")
def create_end_page(
    pathway_id: int,
    request: Request,
    session: SessionDep,
    viewer: PatientWorker,
    reason: Annotated[str, Form()] = "",
    ended_at: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=100_000)] = "",
    version: Annotated[int, Form()] = 0,
) -> Response:
    """End the pathway with a reason."""
    _pathway, patient = get_pathway(session, viewer=viewer, pathway_id=pathway_id)
    patient_id = int(patient.id or 0)
    try:
        problems = text_problems(EventNote, {"note": note.strip() or None})
        if problem := named_problem(problems, {"note": _("Note")}):
            raise EventRejected(problem)
        end_pathway(
            session,
            viewer=viewer,
            pathway_id=pathway_id,
            ended_at=_moment(ended_at),
            reason=reason,
            note=note.strip() or None,
            expected_version=version,
        )
    except (EventRejected, PathwayConflict) as exc:
        return patient_page(
            request,
            session,
            viewer,
            patient_id,
            status_code=422,
            lifecycle_error=str(exc),
            lifecycle_form={
                "pathway_id": pathway_id,
                "reason": reason,
                "at": ended_at,
                "note": note,
            },
        )
    return RedirectResponse(f"/patients/{patient_id}", status_code=303)


@router.post("/pathways/{pathway_id}/reopen")
def create_reopening_page(
    pathway_id: int,
    request: Request,
    session: SessionDep,
    viewer: PatientWorker,
    reason: Annotated[str, Form()] = "",
    version: Annotated[int, Form()] = 0,
) -> Response:
    """Reopen an ended pathway, with the reason."""
    _pathway, patient = get_pathway(session, viewer=viewer, pathway_id=pathway_id)
    patient_id = int(patient.id or 0)
    try:
        reopen_pathway(
            session, viewer=viewer, pathway_id=pathway_id, reason=reason, expected_version=version
        )
    except (EventRejected, PathwayConflict) as exc:
        return patient_page(
            request,
            session,
            viewer,
            patient_id,
            status_code=422,
            lifecycle_error=str(exc),
            lifecycle_form={"pathway_id": pathway_id, "reason": reason},
        )
    return RedirectResponse(f"/patients/{patient_id}", status_code=303)

"""Nurse pages for incoming hospital events ("Innkommende hendelser"): link or register."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from app.audit.patient_data import PATIENT_DATA
from app.core.db import utcnow
from app.core.deps import SessionDep, require_roles
from app.core.i18n import _
from app.core.templating import render
from app.core.text import OneLineText, named_problem, text_problems
from app.fhir.ingest_review import (
    IncomingChanged,
    IncomingRefused,
    dismiss,
    get_incoming,
    link_patient,
    register_and_link,
    teams_for,
    waiting_list,
)
from app.org.models import Role
from app.org.scope import Viewer
from app.pathways.service import PatientRejected, find_patients

router = APIRouter(include_in_schema=False, dependencies=[PATIENT_DATA])
PatientWorker = Annotated[Viewer, Depends(require_roles(Role.nurse.value, Role.team.value))]
FormText = Annotated[str, Form()]
LIST = "/incoming"


def register_labels() -> dict[str, str]:
    """The register form's field names as the page shows them."""
    return {"label": _("Label (initials and birth year)")}


def _number(value: str) -> int | None:
    """A posted whole number, or None when it is not one."""
    value = value.strip()
    return int(value) if value.isdecimal() and len(value) < 10 else None


@router.get(LIST)
def read_incoming(request: Request, session: SessionDep, viewer: PatientWorker) -> Response:
    """The hospital events no patient was found for, waiting for a nurse."""
    items = waiting_list(session, viewer=viewer)
    return render(
        request, "fhir/incoming.html", {"items": items, "done": request.query_params.get("done")}
    )


def _item_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    incoming_id: int,
    *,
    q: str = "",
    form: dict[str, Any] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """One waiting encounter with patients to link it to and a form to register one."""
    item = get_incoming(session, viewer=viewer, incoming_id=incoming_id)
    teams = teams_for(session, viewer=viewer, organisation_id=int(item.organisation.id or 0))
    team_ids = {int(t.id or 0) for t in teams}
    found = find_patients(session, viewer=viewer, query=q[:100], per_page=20) if teams else None
    candidates = [p for p, _n in found.rows if p.team_id in team_ids] if found else []
    return render(
        request,
        "fhir/incoming_item.html",
        {
            "item": item,
            "teams": teams,
            "candidates": candidates,
            "q": q[:100],
            "form": form or {},
            "error": error,
        },
        status_code=status_code,
    )


@router.get(LIST + "/{incoming_id}")
def read_incoming_item(
    incoming_id: int,
    request: Request,
    session: SessionDep,
    viewer: PatientWorker,
    q: str = Query(default="", max_length=100),
) -> Response:
    """One waiting hospital event: find its patient, or register them."""
    return _item_page(request, session, viewer, incoming_id, q=q)


def _refused(
    request: Request,
    session: Session,
    viewer: Viewer,
    incoming_id: int,
    exc: Exception,
    form: dict[str, Any],
) -> Response:
    """The page again with one sentence on why (409 when someone else was first)."""
    status = 409 if isinstance(exc, IncomingChanged) else 422
    return _item_page(
        request, session, viewer, incoming_id, form=form, error=str(exc), status_code=status
    )


@router.post(LIST + "/{incoming_id}/link")
def link_incoming(
    incoming_id: int,
    request: Request,
    session: SessionDep,
    viewer: PatientWorker,
    patient_id: FormText = "",
    version: FormText = "",
) -> Response:
    """Link a waiting hospital event to a patient and record it on their pathway."""
    form = {"patient_id": patient_id[:20]}
    chosen, seen = _number(patient_id), _number(version)
    try:
        if chosen is None or seen is None:
            raise IncomingRefused(_("Choose the patient the hospital event belongs to."))
        link_patient(
            session,
            viewer=viewer,
            incoming_id=incoming_id,
            patient_id=chosen,
            version=seen,
            now=utcnow(),
        )
    except (IncomingRefused, IncomingChanged) as exc:
        return _refused(request, session, viewer, incoming_id, exc, form)
    return RedirectResponse(f"{LIST}?done=linked", status_code=303)


class IncomingPatient(BaseModel):
    """The patient a nurse registers for a hospital event (the local reference comes with it)."""

    label: Annotated[OneLineText, Field(max_length=40)]


@router.post(LIST + "/{incoming_id}/register")
def register_incoming(
    incoming_id: int,
    request: Request,
    session: SessionDep,
    viewer: PatientWorker,
    team_id: FormText = "",
    label: FormText = "",
    version: FormText = "",
) -> Response:
    """Register the hospital event's patient, open a pathway and record the event on it."""
    form = {"team_id": _number(team_id), "label": label}
    team, seen = _number(team_id), _number(version)
    try:
        if team is None or seen is None:
            raise IncomingRefused(_("Choose the team the patient belongs to."))
        problem = named_problem(text_problems(IncomingPatient, {"label": label}), register_labels())
        if problem:
            raise IncomingRefused(problem)
        with session.begin_nested():
            register_and_link(
                session,
                viewer=viewer,
                incoming_id=incoming_id,
                team_id=team,
                label=label,
                version=seen,
                now=utcnow(),
            )
    except (IncomingRefused, IncomingChanged, PatientRejected) as exc:
        return _refused(request, session, viewer, incoming_id, exc, form)
    return RedirectResponse(f"{LIST}?done=registered", status_code=303)


@router.post(LIST + "/{incoming_id}/dismiss")
def dismiss_incoming(
    incoming_id: int,
    request: Request,
    session: SessionDep,
    viewer: PatientWorker,
    version: FormText = "",
) -> Response:
    """Take a hospital event off the list: the patient is not one of ours."""
    seen = _number(version)
    try:
        if seen is None:
            raise IncomingChanged()
        dismiss(session, viewer=viewer, incoming_id=incoming_id, version=seen)
    except IncomingChanged as exc:
        return _refused(request, session, viewer, incoming_id, exc, {})
    return RedirectResponse(f"{LIST}?done=dismissed", status_code=303)

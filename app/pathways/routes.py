"""Nurse pages: my day, the patient list and the patient page with its pathway timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.audit.patient_data import PATIENT_DATA
from app.checklists.day_plan import SORTS, WHEN, WHO
from app.checklists.service import effective_status
from app.checklists.worklist import (
    TEAM_COOKIE,
    chosen_team,
    my_day,
    remember_team,
    team_choices,
)
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.deps import SessionDep, require_roles
from app.core.i18n import _
from app.core.templating import render
from app.core.text import named_problem, text_problems
from app.goals.service import what_matters_summary
from app.org.models import Role
from app.org.scope import Viewer
from app.pathways.events import (
    EventConflict,
    EventRejected,
    cancel_event,
    correct_event,
    get_pathway,
    pathway_events,
    record_event,
)
from app.pathways.forms import CancelReason, ErasureConfirmation, EventNote, PatientText
from app.pathways.lifecycle import end_reason_labels, responsibility_history, transfer_targets
from app.pathways.models import EventKind
from app.pathways.privacy import erase_patient, may_erase
from app.pathways.service import (
    PatientRejected,
    find_patients,
    get_patient,
    open_pathway,
    patient_pathways,
    register_patient,
    same_label_patients,
)
from app.pathways.timeline import pathway_instances, timeline
from app.risks.service import open_follow_ups, pathway_follow_ups

router = APIRouter(include_in_schema=False, dependencies=[PATIENT_DATA])
PatientWorker = Annotated[Viewer, Depends(require_roles(Role.nurse.value, Role.team.value))]


def event_kind_labels() -> dict[str, str]:
    """Event kinds in the current language, in pathway order."""
    return {
        EventKind.hospital_admission.value: _("Hospital admission"),
        EventKind.hospital_discharge.value: _("Discharge from hospital"),
        EventKind.homecare_start.value: _("Home care starts"),
        EventKind.home_visit.value: _("Home visit"),
        EventKind.halfyear_review.value: _("Half-yearly review"),
        EventKind.pathway_end.value: _("Pathway ends"),
    }


def patient_field_labels() -> dict[str, str]:
    """The patient form's fields as the page names them."""
    return {"label": _("Label"), "local_reference": _("Local reference")}


def local_input(text: str) -> datetime | None:
    """A datetime-local form value as a UTC-aware moment (None when unreadable)."""
    try:
        return datetime.fromisoformat(text).replace(tzinfo=get_settings().zone)
    except ValueError:
        return None


@router.get("/my-day")
def read_my_day(
    request: Request,
    session: SessionDep,
    viewer: PatientWorker,
    sort: str = "due",
    team: str | None = None,
    who: str = "mine",
    when: str = "all",
    page: str = "1",
) -> Response:
    """Show one page of the nurse's open checklists by patient: hers or the team's, and when.

    Query parameters (stable, cached by the offline copy): ``who`` mine|team, ``when``
    all|overdue|today|week, ``team`` a team id or all (remembered), ``sort`` due|patient,
    ``page`` from 1.
    """
    sort = sort if sort in SORTS else "due"
    who = who if who in WHO else "mine"
    when = when if when in WHEN else "all"
    number = int(page) if page.isdecimal() and page.isascii() and len(page) < 7 else 1
    teams = team_choices(session, viewer.patient_team_ids)
    team_id = chosen_team(teams, team, request.cookies.get(TEAM_COOKIE))
    day = my_day(
        session, viewer=viewer, sort=sort, team_id=team_id, who=who, when=when, page=number
    )
    query = {"who": who, "when": when, "sort": sort}
    follow_ups = open_follow_ups(
        session, viewer=viewer, team_ids=viewer.patient_team_ids if team_id is None else {team_id}
    )
    context = {
        "viewer": viewer,
        "day": day,
        "teams": teams,
        "team_id": team_id,
        "query": query,
        "follow_ups": follow_ups,
    }
    response = render(request, "pathways/my_day.html", context)
    if team is not None and len(teams) > 1:
        remember_team(response, team_id)
    return response


@router.get("/patients")
def read_patients_page(
    request: Request, session: SessionDep, viewer: PatientWorker, q: str = "", page: str = "1"
) -> Response:
    """Find the patients of the user's teams (by label, reference or birth year), paged."""
    number = int(page) if page.isdecimal() and page.isascii() and len(page) < 7 else 1
    return _patients_page(request, session, viewer, query=q, page=number)


def _patients_page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    *,
    status_code: int = 200,
    query: str = "",
    page: int = 1,
    **extra: Any,
) -> Response:
    """Render the patient list (one page of a search) and the registration form."""
    found = find_patients(session, viewer=viewer, query=query, page=page)
    teams = team_choices(session, viewer.patient_team_ids)
    picked = chosen_team(teams, None, request.cookies.get(TEAM_COOKIE))
    context = {
        "viewer": viewer,
        "found": found,
        "teams": teams,
        "form": {"team_id": picked},
        "error": None,
        "same_label": [],
        "hx_block": "results",
    }
    context.update(extra)
    return render(request, "pathways/patients.html", context, status_code=status_code)


@router.post("/patients")
def create_patient_page(
    request: Request,
    session: SessionDep,
    viewer: PatientWorker,
    team_id: Annotated[int, Form()],
    label: Annotated[str, Form()] = "",
    local_reference: Annotated[str, Form()] = "",
    started_on: Annotated[str, Form()] = "",
    same_label_checked: Annotated[str, Form()] = "",
) -> Response:
    """Register a patient and open their pathway in one step (asking first when another
    patient of the team has the same label)."""
    form = {
        "label": label,
        "local_reference": local_reference,
        "started_on": started_on,
        "team_id": team_id,
    }
    typed = {"label": label, "local_reference": local_reference or None}
    if problem := named_problem(text_problems(PatientText, typed), patient_field_labels()):
        return _patients_page(request, session, viewer, status_code=422, form=form, error=problem)
    try:
        start = datetime.fromisoformat(started_on).date() if started_on else utcnow().date()
    except ValueError:
        return _patients_page(
            request,
            session,
            viewer,
            status_code=422,
            form=form,
            error=_("Write the start date as a date, e.g. 2026-03-02."),
        )
    if not same_label_checked and viewer.may_see_patients_of(team_id):
        same = same_label_patients(session, team_id=team_id, label=label)
        if same:
            return _patients_page(
                request, session, viewer, status_code=409, form=form, same_label=same
            )
    try:
        patient = register_patient(
            session,
            viewer=viewer,
            team_id=team_id,
            label=label,
            local_reference=local_reference or None,
        )
        open_pathway(session, viewer=viewer, patient_id=int(patient.id or 0), started_on=start)
    except PatientRejected as exc:
        session.rollback()
        return _patients_page(request, session, viewer, status_code=422, form=form, error=str(exc))
    return RedirectResponse(f"/patients/{patient.id}", status_code=303)


def patient_page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    patient_id: int,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """Render the patient page: each pathway's timeline and forms, with any message."""
    patient = get_patient(session, viewer=viewer, patient_id=patient_id)
    pathways = []
    for pathway in patient_pathways(session, patient_id=int(patient.id or 0)):
        events = pathway_events(session, pathway_id=int(pathway.id or 0))
        instances = pathway_instances(session, pathway_id=int(pathway.id or 0))
        summary = what_matters_summary(session, viewer=viewer, pathway_id=int(pathway.id or 0))
        follow_ups = pathway_follow_ups(session, viewer=viewer, pathway=pathway, patient=patient)
        pathways.append(
            {
                "pathway": pathway,
                "responsible": responsibility_history(session, pathway_id=int(pathway.id or 0)),
                "entries": timeline(events, instances),
                "what_matters": summary,
                "follow_ups": follow_ups,
            }
        )
    now = utcnow()
    context = {
        "viewer": viewer,
        "patient": patient,
        "pathways": pathways,
        "event_kinds": event_kind_labels(),
        "end_reasons": end_reason_labels(),
        "transfer_targets": transfer_targets(session, viewer=viewer, team_id=patient.team_id),
        "lifecycle_error": None,
        "lifecycle_form": {},
        "effective_status": effective_status,
        "now_local": now.astimezone(get_settings().zone).strftime("%Y-%m-%dT%H:%M"),
        "event_error": None,
        "event_form": {},
        "cancel_form": {},
        "follow_up_error": None,
        "follow_up_form": {},
        "can_erase": may_erase(viewer, patient),
        "confirm_label": "",
    }
    context.update(extra)
    return render(request, "pathways/patient.html", context, status_code=status_code)


@router.get("/patients/{patient_id}")
def read_patient_page(
    patient_id: int, request: Request, session: SessionDep, viewer: PatientWorker
) -> Response:
    """The patient's pathway: events, checklists with their status, and what matters."""
    return patient_page(request, session, viewer, patient_id)


@router.post("/pathways/{pathway_id}/events")
def create_event_page(
    pathway_id: int,
    request: Request,
    session: SessionDep,
    viewer: PatientWorker,
    kind: Annotated[str, Form()] = "",
    occurred_at: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Record an event on the pathway; its checklists are scheduled at once."""
    _pathway, patient = get_pathway(session, viewer=viewer, pathway_id=pathway_id)
    when = local_input(occurred_at)
    try:
        problems = text_problems(EventNote, {"note": note.strip() or None})
        if problem := named_problem(problems, {"note": _("Note")}):
            raise EventRejected(problem)
        if when is None:
            raise EventRejected(
                _("Write when it happened as date and time, e.g. 2026-03-02 14:30.")
            )
        record_event(
            session,
            viewer=viewer,
            pathway_id=pathway_id,
            kind=kind,
            occurred_at=when,
            note=note.strip() or None,
        )
    except EventRejected as exc:
        return patient_page(
            request,
            session,
            viewer,
            int(patient.id or 0),
            status_code=422,
            event_error=str(exc),
            event_form={"kind": kind, "occurred_at": occurred_at, "note": note},
        )
    return RedirectResponse(f"/patients/{patient.id}", status_code=303)


@router.post("/events/{event_id}/correct")
def update_event_page(
    event_id: int,
    request: Request,
    session: SessionDep,
    viewer: PatientWorker,
    occurred_at: Annotated[str, Form()] = "",
    version: Annotated[int, Form()] = 0,
    patient_id: Annotated[int, Form()] = 0,
) -> Response:
    """Correct when an event happened."""
    when = local_input(occurred_at)
    try:
        if when is None:
            raise EventRejected(
                _("Write when it happened as date and time, e.g. 2026-03-02 14:30.")
            )
        correct_event(
            session, viewer=viewer, event_id=event_id, occurred_at=when, expected_version=version
        )
    except (EventRejected, EventConflict) as exc:
        return patient_page(
            request, session, viewer, patient_id, status_code=422, event_error=str(exc)
        )
    return RedirectResponse(f"/patients/{patient_id}", status_code=303)


@router.post("/events/{event_id}/cancel")
def cancel_event_page(
    event_id: int,
    request: Request,
    session: SessionDep,
    viewer: PatientWorker,
    reason: Annotated[str, Form()] = "",
    version: Annotated[int, Form()] = 0,
    patient_id: Annotated[int, Form()] = 0,
) -> Response:
    """Cancel an event recorded by mistake."""
    try:
        if problem := named_problem(
            text_problems(CancelReason, {"reason": reason}), {"reason": _("Reason")}
        ):
            raise EventRejected(problem)
        cancel_event(
            session, viewer=viewer, event_id=event_id, reason=reason, expected_version=version
        )
    except (EventRejected, EventConflict) as exc:
        return patient_page(
            request,
            session,
            viewer,
            patient_id,
            status_code=422,
            event_error=str(exc),
            cancel_form={"event_id": event_id, "reason": reason},
        )
    return RedirectResponse(f"/patients/{patient_id}", status_code=303)


@router.post("/patients/{patient_id}/erase")
def create_patient_erasure_page(
    patient_id: int,
    request: Request,
    session: SessionDep,
    viewer: PatientWorker,
    confirm_label: Annotated[str, Form()] = "",
) -> Response:
    """Erase a patient on request, after the label is typed to confirm."""
    try:
        typed = {"confirm_label": confirm_label}
        if problem := named_problem(
            text_problems(ErasureConfirmation, typed), {"confirm_label": _("Label")}
        ):
            raise PatientRejected(problem)
        erase_patient(session, viewer=viewer, patient_id=patient_id, confirm_label=confirm_label)
    except PatientRejected as exc:
        return patient_page(
            request,
            session,
            viewer,
            patient_id,
            status_code=422,
            erase_error=str(exc),
            confirm_label=confirm_label,
        )
    return RedirectResponse("/patients", status_code=303)

"""JSON API for patients, pathways and events (the same services as the pages)."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

from app.audit.patient_data import PATIENT_DATA
from app.audit.service import entries_for_patient
from app.checklists.service import effective_status
from app.core.deps import ERROR_RESPONSES, CurrentViewer, SessionDep
from app.pathways.events import (
    cancel_event,
    correct_event,
    get_pathway,
    pathway_events,
    record_event,
)
from app.pathways.forms import CancelReason, ErasureConfirmation, EventNote, PatientText
from app.pathways.models import EventKind, Pathway, PathwayEvent
from app.pathways.privacy import erase_patient, export_patient
from app.pathways.service import (
    SameLabel,
    get_patient,
    list_patients,
    open_pathway,
    patient_pathways,
    register_patient,
    same_label_patients,
)
from app.pathways.timeline import pathway_instances

router = APIRouter(prefix="/api/v1", tags=["patients and pathways"], dependencies=[PATIENT_DATA])


class PatientPublic(BaseModel):
    """A pseudonymous patient as the API shows them."""

    id: int
    team_id: int
    label: str
    birth_year: int | None
    local_reference: str | None
    open_pathways: int | None = None


class PatientCreate(PatientText):
    """A new pseudonymous patient: initials and birth year, never a national identity number."""

    team_id: int
    birth_year: int | None = Field(default=None, ge=1890, le=2100)
    same_label_checked: bool = Field(
        default=False,
        description="Set when a patient of the team has the same label and this is someone "
        "else (otherwise 409 asks whether it is the same person).",
    )


class PathwayCreate(BaseModel):
    """Open a pathway from a date."""

    started_on: date


class EventPublic(BaseModel):
    """A pathway event."""

    id: int
    kind: str
    status: str
    occurred_at: datetime
    note: str | None
    cancel_reason: str | None
    version: int


class InstancePublic(BaseModel):
    """A scheduled checklist on a pathway."""

    id: int
    definition_id: str
    definition_version: int
    variant: str | None
    event_id: int | None
    occurrence: int
    status: str
    window_start: datetime
    window_end: datetime
    due_date: date
    performed_at: datetime | None
    recorded_at: datetime | None
    version: int


class PathwayPublic(BaseModel):
    """A pathway with its events and checklists."""

    id: int
    patient_id: int
    status: str
    started_on: date
    ended_on: date | None
    version: int
    events: list[EventPublic] = []
    checklists: list[InstancePublic] = []


class EventCreate(EventNote):
    """Record something that happened on the pathway."""

    kind: EventKind
    occurred_at: AwareDatetime = Field(description="When it happened, with a time-zone offset.")


class EventCorrection(BaseModel):
    """Move an event in time; `version` is the version you saw."""

    occurred_at: AwareDatetime
    version: int


class EventCancellation(CancelReason):
    """Cancel an event recorded by mistake; `version` is the version you saw."""

    version: int


class EventResult(BaseModel):
    """An event after a change, with how many checklists it touched."""

    event: EventPublic
    checklists_changed: int


def _patient(p, open_pathways: int | None = None) -> PatientPublic:  # type: ignore[no-untyped-def]
    return PatientPublic(
        id=int(p.id or 0),
        team_id=p.team_id,
        label=p.label,
        birth_year=p.birth_year,
        local_reference=p.local_reference,
        open_pathways=open_pathways,
    )


def _event(e: PathwayEvent) -> EventPublic:
    return EventPublic.model_validate(e, from_attributes=True)


def _pathway(session, pathway: Pathway, *, detail: bool) -> PathwayPublic:  # type: ignore[no-untyped-def]
    result = PathwayPublic.model_validate(pathway, from_attributes=True)
    if detail:
        result.events = [
            _event(e) for e in pathway_events(session, pathway_id=int(pathway.id or 0))
        ]
        result.checklists = [
            InstancePublic.model_validate(i, from_attributes=True).model_copy(
                update={"status": effective_status(i)}
            )
            for i in pathway_instances(session, pathway_id=int(pathway.id or 0))
        ]
    return result


@router.get(
    "/patients",
    responses={
        200: {
            "headers": {
                "X-Total-Count": {
                    "description": "How many patients match in all (the list is one page).",
                    "schema": {"type": "integer"},
                }
            }
        }
    },
)
def read_patients(
    response: Response,
    session: SessionDep,
    viewer: CurrentViewer,
    team_id: int | None = None,
    q: str = Query(
        default="",
        max_length=100,
        description="Find by label, local reference (prefix, case and punctuation ignored) "
        "or birth year (four digits).",
    ),
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=10_000_000),
) -> list[PatientPublic]:
    """List (or find) the patients of the teams you work in; `X-Total-Count` says how many
    match in all (none for coordinators and administrators)."""
    rows, total = list_patients(
        session, viewer=viewer, team_id=team_id, limit=limit, offset=offset, query=q
    )
    response.headers["X-Total-Count"] = str(total)
    return [_patient(p, n) for p, n in rows]


@router.post("/patients", status_code=201, responses=ERROR_RESPONSES)
def create_patient(
    body: PatientCreate, session: SessionDep, viewer: CurrentViewer
) -> PatientPublic:
    """Register a pseudonymous patient on one of your teams; a label that another patient of
    the team already has is refused (409) unless `same_label_checked` says it is someone else."""
    if not body.same_label_checked and viewer.may_see_patients_of(body.team_id):
        same = same_label_patients(session, team_id=body.team_id, label=body.label)
        if same:
            raise SameLabel([int(p.id or 0) for p in same])
    fields = body.model_dump(exclude={"same_label_checked"})
    return _patient(register_patient(session, viewer=viewer, **fields))


@router.get("/patients/{patient_id}", responses=ERROR_RESPONSES)
def read_patient(patient_id: int, session: SessionDep, viewer: CurrentViewer) -> PatientPublic:
    """Return one patient of your teams."""
    return _patient(get_patient(session, viewer=viewer, patient_id=patient_id))


@router.get("/patients/{patient_id}/pathways", responses=ERROR_RESPONSES)
def read_patient_pathways(
    patient_id: int, session: SessionDep, viewer: CurrentViewer
) -> list[PathwayPublic]:
    """List a patient's pathways, newest first."""
    patient = get_patient(session, viewer=viewer, patient_id=patient_id)
    return [
        _pathway(session, p, detail=False)
        for p in patient_pathways(session, patient_id=int(patient.id or 0))
    ]


@router.post("/patients/{patient_id}/pathways", status_code=201, responses=ERROR_RESPONSES)
def create_pathway(
    patient_id: int, body: PathwayCreate, session: SessionDep, viewer: CurrentViewer
) -> PathwayPublic:
    """Open a pathway for a patient."""
    pathway = open_pathway(
        session, viewer=viewer, patient_id=patient_id, started_on=body.started_on
    )
    return _pathway(session, pathway, detail=False)


@router.get("/pathways/{pathway_id}", responses=ERROR_RESPONSES)
def read_pathway(pathway_id: int, session: SessionDep, viewer: CurrentViewer) -> PathwayPublic:
    """Return a pathway with its events and scheduled checklists."""
    pathway, _patient_row = get_pathway(session, viewer=viewer, pathway_id=pathway_id)
    return _pathway(session, pathway, detail=True)


@router.post("/pathways/{pathway_id}/events", status_code=201, responses=ERROR_RESPONSES)
def create_event(
    pathway_id: int, body: EventCreate, session: SessionDep, viewer: CurrentViewer
) -> EventResult:
    """Record an event; the checklists it calls for are scheduled with their due windows."""
    event, instances = record_event(
        session,
        viewer=viewer,
        pathway_id=pathway_id,
        kind=body.kind.value,
        occurred_at=body.occurred_at,
        note=body.note,
    )
    return EventResult(event=_event(event), checklists_changed=len(instances))


@router.patch("/events/{event_id}", responses=ERROR_RESPONSES)
def update_event(
    event_id: int, body: EventCorrection, session: SessionDep, viewer: CurrentViewer
) -> EventResult:
    """Correct when an event happened; unfinished checklists are rescheduled, done work kept."""
    event, moved = correct_event(
        session,
        viewer=viewer,
        event_id=event_id,
        occurred_at=body.occurred_at,
        expected_version=body.version,
    )
    return EventResult(event=_event(event), checklists_changed=moved)


@router.post("/events/{event_id}/cancel", responses=ERROR_RESPONSES)
def cancel_event_route(
    event_id: int, body: EventCancellation, session: SessionDep, viewer: CurrentViewer
) -> EventResult:
    """Cancel an event recorded by mistake; its unfinished checklists are cancelled."""
    event, cancelled = cancel_event(
        session,
        viewer=viewer,
        event_id=event_id,
        reason=body.reason,
        expected_version=body.version,
    )
    return EventResult(event=_event(event), checklists_changed=cancelled)


class Erasure(ErasureConfirmation):
    """Confirm an erasure by typing the patient's label."""


class AccessLogEntry(BaseModel):
    """One access to the patient's data."""

    at: datetime
    user: str | None
    role: str | None
    action: str
    what: str


@router.get("/patients/{patient_id}/export", responses=ERROR_RESPONSES)
def read_patient_export(
    patient_id: int, session: SessionDep, viewer: CurrentViewer
) -> JSONResponse:
    """Everything stored about the patient, as a JSON download (audited as an export)."""
    document = export_patient(session, viewer=viewer, patient_id=patient_id)
    return JSONResponse(
        document,
        headers={"Content-Disposition": f'attachment; filename="patient-{patient_id}.json"'},
    )


@router.get("/patients/{patient_id}/access-log", responses=ERROR_RESPONSES)
def read_patient_access_log(
    patient_id: int, session: SessionDep, viewer: CurrentViewer
) -> list[AccessLogEntry]:
    """Who has read or written this patient's data, newest first."""
    patient = get_patient(session, viewer=viewer, patient_id=patient_id)
    return [
        AccessLogEntry(at=e.at, user=e.user_email, role=e.role, action=e.action, what=e.what)
        for e in entries_for_patient(session, patient_id=int(patient.id or 0))
    ]


@router.post("/patients/{patient_id}/erase", responses=ERROR_RESPONSES)
def create_patient_erasure(
    patient_id: int, body: Erasure, session: SessionDep, viewer: CurrentViewer
) -> dict[str, int]:
    """Erase the patient and all their data on request (team members of their team only)."""
    return {
        "erased_patient_id": erase_patient(
            session, viewer=viewer, patient_id=patient_id, confirm_label=body.confirm_label
        )
    }

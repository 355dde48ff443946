"""JSON API for a pathway's life: move it to another team, end it, reopen it."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, Field

from app.audit.patient_data import PATIENT_DATA
from app.core.deps import ERROR_RESPONSES, CurrentViewer, SessionDep
from app.core.text import OneLineText
from app.pathways.forms import EventNote
from app.pathways.lifecycle import end_pathway, reopen_pathway, transfer_pathway
from app.pathways.models import EndReason, Pathway, Patient

router = APIRouter(prefix="/api/v1", tags=["patients and pathways"], dependencies=[PATIENT_DATA])


class PathwayTransfer(BaseModel):
    """Move the pathway to another team from a moment; `version` is the pathway's version."""

    team_id: int
    effective_at: AwareDatetime = Field(
        description="From when the new team is responsible, with a time-zone offset. Items "
        "whose window ends after it belong to the new team; earlier ones stay."
    )
    version: int


class PathwayEnd(EventNote):
    """End the pathway with a reason; `version` is the pathway's version."""

    ended_at: AwareDatetime = Field(description="When the pathway ended, with a time-zone offset.")
    reason: EndReason
    version: int


class PathwayReopening(BaseModel):
    """Reopen an ended pathway; `version` is the pathway's version."""

    reason: OneLineText = Field(min_length=1, max_length=500)
    version: int


class PathwayChange(BaseModel):
    """A pathway after a change, with how many checklists the change touched."""

    id: int
    patient_id: int
    team_id: int
    status: str
    started_on: date
    ended_on: date | None
    end_reason: str | None
    version: int
    checklists_changed: int


def _changed(pathway: Pathway, team_id: int, changed: int) -> PathwayChange:
    return PathwayChange(
        id=int(pathway.id or 0),
        patient_id=pathway.patient_id,
        team_id=team_id,
        status=pathway.status,
        started_on=pathway.started_on,
        ended_on=pathway.ended_on,
        end_reason=pathway.end_reason,
        version=pathway.version,
        checklists_changed=changed,
    )


@router.post("/pathways/{pathway_id}/transfer", responses=ERROR_RESPONSES)
def create_pathway_transfer(
    pathway_id: int, body: PathwayTransfer, session: SessionDep, viewer: CurrentViewer
) -> PathwayChange:
    """Move a pathway to another team: what falls due after `effective_at` is the new team's."""
    pathway, moved = transfer_pathway(
        session,
        viewer=viewer,
        pathway_id=pathway_id,
        team_id=body.team_id,
        effective_at=body.effective_at,
        expected_version=body.version,
    )
    return _changed(pathway, body.team_id, moved)


@router.post("/pathways/{pathway_id}/end", responses=ERROR_RESPONSES)
def create_pathway_end(
    pathway_id: int, body: PathwayEnd, session: SessionDep, viewer: CurrentViewer
) -> PathwayChange:
    """End a pathway; unfinished checklists that would fall due after the end are cancelled."""
    pathway, cancelled = end_pathway(
        session,
        viewer=viewer,
        pathway_id=pathway_id,
        ended_at=body.ended_at,
        reason=body.reason.value,
        note=body.note,
        expected_version=body.version,
    )
    return _changed(pathway, _team_of(session, pathway), cancelled)


@router.post("/pathways/{pathway_id}/reopen", responses=ERROR_RESPONSES)
def create_pathway_reopening(
    pathway_id: int, body: PathwayReopening, session: SessionDep, viewer: CurrentViewer
) -> PathwayChange:
    """Reopen an ended pathway; the checklists its end cancelled come back."""
    pathway, restored = reopen_pathway(
        session,
        viewer=viewer,
        pathway_id=pathway_id,
        reason=body.reason,
        expected_version=body.version,
    )
    return _changed(pathway, _team_of(session, pathway), restored)


def _team_of(session: SessionDep, pathway: Pathway) -> int:
    """The team the pathway's patient belongs to now."""
    patient = session.get(Patient, pathway.patient_id)
    return patient.team_id if patient else 0

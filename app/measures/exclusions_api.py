"""JSON API of the points a team leaves out of its charts as known special causes."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from app.audit.patient_data import NO_PATIENT_DATA
from app.core.deps import CurrentViewer, SessionDep
from app.measures.api import FORBIDDEN, INVALID, NOT_FOUND, invalid_answer
from app.measures.exclusions import (
    ExclusionFields,
    ExclusionInvalid,
    exclude_point,
    list_exclusions,
    restore_point,
)
from app.measures.forms import ExclusionIn
from app.measures.models import PointExclusion
from app.measures.periods import period_label

router = APIRouter(prefix="/api/v1", tags=["measures"], dependencies=[NO_PATIENT_DATA])


class ExclusionOut(BaseModel):
    """A stored excluded point."""

    id: int
    team_id: int
    measure_key: str
    period: str
    reason: str


def _exclusion_out(exclusion: PointExclusion) -> ExclusionOut:
    """The API's view of an excluded point."""
    return ExclusionOut(
        id=int(exclusion.id or 0),
        team_id=exclusion.team_id,
        measure_key=exclusion.measure_key,
        period=period_label(exclusion.period_start, exclusion.period_type),
        reason=exclusion.reason,
    )


@router.get("/teams/{team_id}/exclusions", responses=FORBIDDEN)
def read_exclusions(team_id: int, session: SessionDep, viewer: CurrentViewer) -> list[ExclusionOut]:
    """List the points a team left out of its charts, newest period first."""
    return [_exclusion_out(e) for e in list_exclusions(session, viewer=viewer, team_id=team_id)]


@router.post("/teams/{team_id}/exclusions", status_code=201, responses={**FORBIDDEN, **INVALID})
def create_exclusion(
    team_id: int, body: ExclusionIn, session: SessionDep, viewer: CurrentViewer
) -> ExclusionOut:
    """Leave a point of a team's measure out of its chart as a known special cause (team role)."""
    try:
        exclusion = exclude_point(
            session, viewer=viewer, team_id=team_id, fields=ExclusionFields(**body.model_dump())
        )
    except ExclusionInvalid as exc:
        return invalid_answer(exc.problems)  # type: ignore[return-value]
    return _exclusion_out(exclusion)


@router.delete("/exclusions/{exclusion_id}", status_code=204, responses={**NOT_FOUND, **FORBIDDEN})
def delete_exclusion(exclusion_id: int, session: SessionDep, viewer: CurrentViewer) -> None:
    """Take an excluded point back into its chart (team role)."""
    restore_point(session, viewer=viewer, exclusion_id=exclusion_id)

"""JSON API of a team's tested changes (PDSA cycles) marked on its measures."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel

from app.audit.patient_data import NO_PATIENT_DATA
from app.core.deps import CurrentViewer, SessionDep
from app.measures.annotations import (
    AnnotationFields,
    AnnotationInvalid,
    create_annotation,
    delete_annotation,
    list_annotations,
    update_annotation,
)
from app.measures.api import FORBIDDEN, INVALID, NOT_FOUND, invalid_answer
from app.measures.forms import AnnotationText
from app.measures.models import Annotation

router = APIRouter(prefix="/api/v1", tags=["measures"], dependencies=[NO_PATIENT_DATA])


class AnnotationIn(AnnotationText):
    """A tested change: when, what, on which measure (none: all), and whether a phase starts."""

    happened_on: date
    starts_phase: bool = False


class AnnotationOut(BaseModel):
    """A stored tested change."""

    happened_on: date
    title: str
    description: str | None = None
    measure_key: str | None = None
    starts_phase: bool = False
    id: int
    team_id: int


def _annotation_out(annotation: Annotation) -> AnnotationOut:
    """The API's view of a tested change."""
    return AnnotationOut(
        id=int(annotation.id or 0),
        team_id=annotation.team_id,
        happened_on=annotation.happened_on,
        title=annotation.title,
        description=annotation.description,
        measure_key=annotation.measure_key,
        starts_phase=annotation.starts_phase,
    )


@router.get("/teams/{team_id}/annotations", responses=FORBIDDEN)
def read_annotations(
    team_id: int, session: SessionDep, viewer: CurrentViewer, measure_key: str | None = None
) -> list[AnnotationOut]:
    """List a team's tested changes, newest first (on one measure, with those on all)."""
    found = list_annotations(session, viewer=viewer, team_id=team_id, measure_key=measure_key)
    return [_annotation_out(a) for a in found]


@router.post("/teams/{team_id}/annotations", status_code=201, responses={**FORBIDDEN, **INVALID})
def create_team_annotation(
    team_id: int, body: AnnotationIn, session: SessionDep, viewer: CurrentViewer
) -> AnnotationOut:
    """Mark a tested change on a team's measure, or on all of them (team role)."""
    try:
        annotation = create_annotation(
            session, viewer=viewer, team_id=team_id, fields=AnnotationFields(**body.model_dump())
        )
    except AnnotationInvalid as exc:
        return invalid_answer(exc.problems)  # type: ignore[return-value]
    return _annotation_out(annotation)


@router.put("/annotations/{annotation_id}", responses={**NOT_FOUND, **FORBIDDEN, **INVALID})
def update_team_annotation(
    annotation_id: int, body: AnnotationIn, session: SessionDep, viewer: CurrentViewer
) -> AnnotationOut:
    """Correct a tested change (team role)."""
    try:
        annotation = update_annotation(
            session,
            viewer=viewer,
            annotation_id=annotation_id,
            fields=AnnotationFields(**body.model_dump()),
        )
    except AnnotationInvalid as exc:
        return invalid_answer(exc.problems)  # type: ignore[return-value]
    return _annotation_out(annotation)


@router.delete(
    "/annotations/{annotation_id}", status_code=204, responses={**NOT_FOUND, **FORBIDDEN}
)
def delete_team_annotation(annotation_id: int, session: SessionDep, viewer: CurrentViewer) -> None:
    """Remove a tested change (team role)."""
    delete_annotation(session, viewer=viewer, annotation_id=annotation_id)

"""JSON API of a team's manual measures and their values per period (by field or CSV)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel

from app.audit.patient_data import NO_PATIENT_DATA
from app.core.deps import CurrentViewer, SessionDep
from app.measures import manual, manual_csv
from app.measures.api import FORBIDDEN, INVALID, NOT_FOUND, invalid_answer
from app.measures.forms import ManualMeasureText
from app.measures.models import ManualMeasure, ManualMeasureValue
from app.measures.periods import period_label

router = APIRouter(prefix="/api/v1", tags=["measures"], dependencies=[NO_PATIENT_DATA])


class ManualMeasureIn(ManualMeasureText):
    """What defines a manual measure."""

    kind: Literal["proportion", "count", "mean"] = "proportion"
    period_type: Literal["week", "month"] = "week"
    direction: Literal["up", "down"] = "up"
    goal: float | None = None


class ManualMeasureOut(BaseModel):
    """A team's manual measure; ``measure_id`` is what charts and annotations use."""

    key: str
    title: str
    kind: Literal["proportion", "count", "mean"] = "proportion"
    period_type: Literal["week", "month"] = "week"
    direction: Literal["up", "down"] = "up"
    goal: float | None = None
    id: int
    team_id: int
    measure_id: str


class ManualValueIn(BaseModel):
    """One period's numbers."""

    numerator: float
    denominator: float | None = None


class ManualValueOut(BaseModel):
    """One period's numbers; hidden (None, ``suppressed``) when small, outside the team."""

    period: str
    period_start: date
    numerator: float | None
    denominator: float | None = None
    suppressed: bool = False


class UploadOut(BaseModel):
    """How many periods a CSV upload saved."""

    saved: int


def _manual_out(measure: ManualMeasure) -> ManualMeasureOut:
    """The API's view of a manual measure."""
    return ManualMeasureOut(
        id=int(measure.id or 0),
        team_id=measure.team_id,
        measure_id=manual.manual_id(measure),
        key=measure.key,
        title=measure.title,
        kind=measure.kind,  # type: ignore[arg-type]
        period_type=measure.period_type,  # type: ignore[arg-type]
        direction=measure.direction,  # type: ignore[arg-type]
        goal=measure.goal,
    )


def _value_out(value: ManualMeasureValue, period_type: str) -> ManualValueOut:
    """The API's view of one period's value."""
    return ManualValueOut(
        period=period_label(value.period_start, period_type),
        period_start=value.period_start,
        numerator=value.numerator,
        denominator=value.denominator,
    )


@router.get("/teams/{team_id}/manual-measures", responses=FORBIDDEN)
def read_manual_measures(
    team_id: int, session: SessionDep, viewer: CurrentViewer
) -> list[ManualMeasureOut]:
    """List a team's manual measures."""
    measures = manual.list_manual_measures(session, viewer=viewer, team_id=team_id)
    return [_manual_out(m) for m in measures]


@router.post(
    "/teams/{team_id}/manual-measures", status_code=201, responses={**FORBIDDEN, **INVALID}
)
def create_manual_measure(
    team_id: int, body: ManualMeasureIn, session: SessionDep, viewer: CurrentViewer
) -> ManualMeasureOut:
    """Define a manual measure for a team (team role)."""
    try:
        measure = manual.create_manual_measure(
            session, viewer=viewer, team_id=team_id, fields=manual.ManualFields(**body.model_dump())
        )
    except manual.ManualMeasureInvalid as exc:
        return invalid_answer(exc.problems)  # type: ignore[return-value]
    return _manual_out(measure)


@router.get("/manual-measures/{measure_id}", responses=NOT_FOUND)
def read_manual_measure(
    measure_id: int, session: SessionDep, viewer: CurrentViewer
) -> ManualMeasureOut:
    """Return one manual measure."""
    return _manual_out(manual.get_manual_measure(session, viewer=viewer, measure_id=measure_id))


@router.put("/manual-measures/{measure_id}", responses={**NOT_FOUND, **FORBIDDEN, **INVALID})
def update_manual_measure(
    measure_id: int, body: ManualMeasureIn, session: SessionDep, viewer: CurrentViewer
) -> ManualMeasureOut:
    """Change a manual measure's definition (team role)."""
    try:
        measure = manual.update_manual_measure(
            session,
            viewer=viewer,
            measure_id=measure_id,
            fields=manual.ManualFields(**body.model_dump()),
        )
    except manual.ManualMeasureInvalid as exc:
        return invalid_answer(exc.problems)  # type: ignore[return-value]
    return _manual_out(measure)


@router.delete(
    "/manual-measures/{measure_id}", status_code=204, responses={**NOT_FOUND, **FORBIDDEN}
)
def delete_manual_measure(measure_id: int, session: SessionDep, viewer: CurrentViewer) -> None:
    """Remove a manual measure and its values (team role)."""
    manual.delete_manual_measure(session, viewer=viewer, measure_id=measure_id)


@router.get("/manual-measures/{measure_id}/values", responses=NOT_FOUND)
def read_manual_values(
    measure_id: int, session: SessionDep, viewer: CurrentViewer
) -> list[ManualValueOut]:
    """List a manual measure's values, oldest first (small ones hidden outside the team)."""
    values = manual.shown_values(session, viewer=viewer, measure_id=measure_id)
    return [ManualValueOut(**value.__dict__) for value in values]


@router.put(
    "/manual-measures/{measure_id}/values/{period}",
    responses={**NOT_FOUND, **FORBIDDEN, **INVALID},
)
def update_manual_value(
    measure_id: int, period: str, body: ManualValueIn, session: SessionDep, viewer: CurrentViewer
) -> ManualValueOut:
    """Enter or correct one period's value (period like 2026-W05 or 2026-03; team role)."""
    try:
        value = manual.save_value(
            session,
            viewer=viewer,
            measure_id=measure_id,
            period=period,
            numerator=body.numerator,
            denominator=body.denominator,
        )
        measure = manual.get_manual_measure(session, viewer=viewer, measure_id=measure_id)
    except manual.ManualMeasureInvalid as exc:
        return invalid_answer(exc.problems)  # type: ignore[return-value]
    return _value_out(value, measure.period_type)


@router.delete(
    "/manual-measures/{measure_id}/values/{period}",
    status_code=204,
    responses={**NOT_FOUND, **FORBIDDEN},
)
def delete_manual_value(
    measure_id: int, period: str, session: SessionDep, viewer: CurrentViewer
) -> None:
    """Remove one period's value (team role)."""
    manual.delete_value(session, viewer=viewer, measure_id=measure_id, period=period)


@router.post(
    "/manual-measures/{measure_id}/values.csv", responses={**NOT_FOUND, **FORBIDDEN, **INVALID}
)
def upload_manual_values(
    measure_id: int,
    file: Annotated[UploadFile, File(description="CSV with period,numerator,denominator")],
    session: SessionDep,
    viewer: CurrentViewer,
) -> UploadOut:
    """Upload values as CSV; every problem is reported with its row, nothing saved until clean."""
    content = file.file.read(manual_csv.MAX_CSV_BYTES + 1)
    try:
        saved = manual_csv.upload_values_csv(
            session, viewer=viewer, measure_id=measure_id, content=content
        )
    except manual_csv.CsvInvalid as exc:
        return invalid_answer(exc.problems)  # type: ignore[return-value]
    return UploadOut(saved=saved)

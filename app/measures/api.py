"""JSON API of the measures room: measures, chart data, the items behind a point, manual
measures and their values, and tested changes (annotations)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, HTTPException, Query, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.core.db import utcnow
from app.core.deps import CurrentViewer, SessionDep
from app.core.i18n import _, current_language
from app.measures import manual, manual_csv
from app.measures.aggregate import Level
from app.measures.annotations import (
    AnnotationFields,
    AnnotationInvalid,
    create_annotation,
    delete_annotation,
    list_annotations,
    update_annotation,
)
from app.measures.chart_data import AnnotationMark, MeasurePoint
from app.measures.models import Annotation, ManualMeasure, ManualMeasureValue
from app.measures.periods import parse_period, period_label
from app.measures.service import (
    ItemBehind,
    MeasureChart,
    MeasureInfo,
    list_measures,
    measure_series,
    points_behind,
)

router = APIRouter(prefix="/api/v1", tags=["measures"])
Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: {"description": "No such measure, unit or item that you may see"}}
FORBIDDEN: Responses = {403: {"description": "Your role or teams do not reach this"}}
INVALID: Responses = {422: {"description": "What is wrong, in one sentence (and per field or row)"}}


class PartOut(BaseModel):
    """One phase of a chart: centre line, run analysis and findings in your language."""

    part: int
    label: str | None
    first_point: int
    last_point: int
    centre: float | None
    n_useful: int
    longest_run: int | None
    longest_run_max: int | None
    crossings: int | None
    crossings_min: int | None
    runs_signal: bool | None
    findings: list[str]


class ChartOut(BaseModel):
    """A measure's chart for one unit and period type."""

    measure: MeasureInfo
    level: Level
    unit_id: int
    unit_name: str
    period: str
    start: date
    end: date
    chart: str
    points: list[MeasurePoint]
    parts: list[PartOut]
    findings: list[str]
    annotations: list[AnnotationMark]


class ManualMeasureIn(BaseModel):
    """What defines a manual measure."""

    key: str = Field(max_length=80, examples=["falls-at-home"])
    title: str = Field(max_length=200)
    kind: Literal["proportion", "count", "mean"] = "proportion"
    period_type: Literal["week", "month"] = "week"
    direction: Literal["up", "down"] = "up"
    goal: float | None = None


class ManualMeasureOut(ManualMeasureIn):
    """A team's manual measure; ``measure_id`` is what charts and annotations use."""

    id: int
    team_id: int
    measure_id: str


class ManualValueIn(BaseModel):
    """One period's numbers."""

    numerator: float
    denominator: float | None = None


class ManualValueOut(ManualValueIn):
    """One period's stored numbers."""

    period: str
    period_start: date


class UploadOut(BaseModel):
    """How many periods a CSV upload saved."""

    saved: int


class AnnotationIn(BaseModel):
    """A tested change: when, what, on which measure (none: all), and whether a phase starts."""

    happened_on: date
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    measure_key: str | None = Field(default=None, max_length=80)
    starts_phase: bool = False


class AnnotationOut(AnnotationIn):
    """A stored tested change."""

    id: int
    team_id: int


def _invalid(problems: dict[str, str] | list[str]) -> JSONResponse:
    """A 422 answer with the first problem as ``detail`` and all of them as ``problems``."""
    first = next(iter(problems.values())) if isinstance(problems, dict) else problems[0]
    return JSONResponse({"detail": first, "problems": problems}, status_code=422)


def _chart_out(chart: MeasureChart, language: str) -> ChartOut:
    """The API's view of a computed chart, findings in one language."""
    parts = [
        PartOut(
            **part.model_dump(include=set(PartOut.model_fields) - {"findings"}),
            findings=[finding.text_in(language) for finding in part.findings],
        )
        for part in chart.parts
    ]
    return ChartOut(
        **chart.model_dump(exclude={"parts", "result", "measure", "points", "annotations"}),
        measure=chart.measure,
        points=chart.points,
        parts=parts,
        annotations=chart.annotations,
    )


@router.get("/measures")
def read_measures(
    session: SessionDep, viewer: CurrentViewer, team_id: int | None = None
) -> list[MeasureInfo]:
    """List the shared measures, and a team's manual measures when ``team_id`` is given."""
    return list_measures(session, viewer=viewer, team_id=team_id)


@router.get("/measures/{measure_id}/chart", responses={**NOT_FOUND, **FORBIDDEN, **INVALID})
def read_measure_chart(
    measure_id: str,
    session: SessionDep,
    viewer: CurrentViewer,
    level: Level = Level.team,
    unit_id: int = Query(default=0, description="Team, organisation or network id (0 for all)."),
    period: Literal["week", "month"] | None = None,
    start: date | None = None,
    end: date | None = None,
    chart: Literal["run", "p", "u", "c", "i"] | None = None,
    rules: Literal["anhoej", "ihi"] = "anhoej",
    as_of: datetime | None = Query(default=None, description="Count as of this moment."),
) -> ChartOut:
    """Return a measure's chart for one unit: points, phases, signals and findings."""
    now = as_of or utcnow()
    if now.tzinfo is None:
        raise HTTPException(status_code=422, detail=_("Give as_of with a time zone."))
    result = measure_series(
        session,
        viewer=viewer,
        measure_id=measure_id,
        level=level,
        unit_id=unit_id,
        period=period,
        start=start,
        end=end,
        now=now,
        chart=chart,
        rules=rules,
    )
    return _chart_out(result, current_language())


@router.get(
    "/measures/{measure_id}/teams/{team_id}/periods/{period}/items",
    responses={**NOT_FOUND, **FORBIDDEN, **INVALID},
)
def read_items_behind(
    measure_id: str,
    team_id: int,
    period: str,
    session: SessionDep,
    viewer: CurrentViewer,
    as_of: datetime | None = None,
) -> list[ItemBehind]:
    """List the items counted in one point of a team's chart (team members only; audited)."""
    try:
        period_type, start = parse_period(period)
    except ValueError as exc:
        raise HTTPException(
            status_code=422, detail=_("Write the period like 2026-W05 or 2026-03.")
        ) from exc
    return points_behind(
        session,
        viewer=viewer,
        measure_id=measure_id,
        team_id=team_id,
        period=period_type,
        period_start=start,
        now=as_of or utcnow(),
    )


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
        return _invalid(exc.problems)  # type: ignore[return-value]
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
        return _invalid(exc.problems)  # type: ignore[return-value]
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
    """List a manual measure's values, oldest period first."""
    measure = manual.get_manual_measure(session, viewer=viewer, measure_id=measure_id)
    values = manual.list_values(session, viewer=viewer, measure_id=measure_id)
    return [_value_out(v, measure.period_type) for v in values]


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
        return _invalid(exc.problems)  # type: ignore[return-value]
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
        return _invalid(exc.problems)  # type: ignore[return-value]
    return UploadOut(saved=saved)


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
        return _invalid(exc.problems)  # type: ignore[return-value]
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
        return _invalid(exc.problems)  # type: ignore[return-value]
    return _annotation_out(annotation)


@router.delete(
    "/annotations/{annotation_id}", status_code=204, responses={**NOT_FOUND, **FORBIDDEN}
)
def delete_team_annotation(annotation_id: int, session: SessionDep, viewer: CurrentViewer) -> None:
    """Remove a tested change (team role)."""
    delete_annotation(session, viewer=viewer, annotation_id=annotation_id)

"""JSON API of the measures room: measures, chart data and the items behind a point.

Manual measures are in ``manual_api``, tested changes in ``annotations_api``; both share the
answers declared here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.audit.patient_data import NO_PATIENT_DATA, PATIENT_DATA
from app.core.analysis_limit import ANALYSIS
from app.core.db import utcnow
from app.core.deps import CurrentViewer, SessionDep
from app.core.i18n import _, current_language
from app.measures.aggregate import Level
from app.measures.chart_data import AnnotationMark, MeasurePoint
from app.measures.periods import parse_period
from app.measures.service import (
    ItemBehind,
    MeasureChart,
    MeasureInfo,
    list_measures,
    measure_series,
    points_behind,
)

router = APIRouter(prefix="/api/v1", tags=["measures"], dependencies=[NO_PATIENT_DATA])
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
    rules: str = Field(description="The rule set the chart is read by: anhoej, ihi or mdc.")


def invalid_answer(problems: dict[str, str] | list[str]) -> JSONResponse:
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


@router.get(
    "/measures/{measure_id}/chart",
    responses={**NOT_FOUND, **FORBIDDEN, **INVALID},
    dependencies=[ANALYSIS],
)
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
    rules: Literal["anhoej", "ihi", "mdc"] = Query(
        default="anhoej",
        description="Rule set; mdc (Making Data Count) for SPC charts, a run chart keeps anhoej.",
    ),
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
    dependencies=[PATIENT_DATA],
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

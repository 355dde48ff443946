"""HTML pages of the measures room: a team's manual measures, their values and CSV upload,
and chart images."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from app.audit.patient_data import NO_PATIENT_DATA
from app.charts import chart_spec, render_svg
from app.core.analysis_limit import ANALYSIS
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.deps import CurrentViewer, Forbidden, SessionDep
from app.core.i18n import _, current_language
from app.core.templating import render
from app.measures import manual, manual_csv
from app.measures.aggregate import Level
from app.measures.forms import ManualMeasureForm, ValueForm
from app.measures.models import ManualMeasure
from app.measures.service import MeasureChart, measure_series
from app.org.models import Team
from app.org.scope import Viewer

router = APIRouter(include_in_schema=False, dependencies=[NO_PATIENT_DATA])
HTMX_CONFIG = (
    '{"responseHandling": [{"code": "204", "swap": false}, {"code": "[23]..", "swap": true},'
    ' {"code": "422", "swap": true}, {"code": "[45]..", "swap": false, "error": true}]}'
)


def _team(session: SessionDep, viewer: Viewer, team_id: int) -> Team:
    """A team whose measures the viewer may see (404 otherwise)."""
    team = session.get(Team, team_id)
    if team is None or team_id not in viewer.aggregate_team_ids:
        raise HTTPException(status_code=404, detail=_("There is no such team among yours."))
    return team


def _measure(session: SessionDep, viewer: Viewer, measure_id: int) -> ManualMeasure:
    """A manual measure the viewer may see (404 otherwise)."""
    return manual.get_manual_measure(session, viewer=viewer, measure_id=measure_id)


@router.get("/teams/{team_id}/manual-measures")
def read_manual_measures(
    request: Request, team_id: int, session: SessionDep, viewer: CurrentViewer
) -> Response:
    """List a team's own measures."""
    team = _team(session, viewer, team_id)
    measures = manual.list_manual_measures(session, viewer=viewer, team_id=team_id)
    context = {
        "team": team,
        "measures": measures,
        "may_write": team_id in manual.team_role_ids(viewer),
        "htmx_config": HTMX_CONFIG,
    }
    return render(request, "measures/manual_list.html", context)


@router.get("/teams/{team_id}/manual-measures/new")
def read_new_manual_measure(
    request: Request, team_id: int, session: SessionDep, viewer: CurrentViewer
) -> Response:
    """Show the form that defines a new manual measure."""
    team = _team(session, viewer, team_id)
    if team_id not in manual.team_role_ids(viewer):
        raise Forbidden(_("Only the team's improvement team may change its manual measures."))
    context = {"team": team, "form": ManualMeasureForm(), "errors": {}, "htmx_config": HTMX_CONFIG}
    return render(request, "measures/manual_new.html", context)


@router.post("/teams/{team_id}/manual-measures")
def create_manual_measure(
    request: Request,
    team_id: int,
    session: SessionDep,
    viewer: CurrentViewer,
    form: Annotated[ManualMeasureForm, Form()],
) -> Response:
    """Define a manual measure, or show the form again with what to fix."""
    team = _team(session, viewer, team_id)
    fields, errors = form.to_fields()
    if fields is not None:
        try:
            measure = manual.create_manual_measure(
                session, viewer=viewer, team_id=team_id, fields=fields
            )
        except manual.ManualMeasureInvalid as exc:
            errors = exc.problems
        else:
            return RedirectResponse(f"/manual-measures/{measure.id}", status_code=303)
    context = {"team": team, "form": form, "errors": errors, "htmx_config": HTMX_CONFIG}
    return render(request, "measures/manual_new.html", context, status_code=422)


def _values_context(
    session: SessionDep, viewer: Viewer, measure: ManualMeasure, **extra: Any
) -> dict[str, Any]:
    """Everything the values page shows."""
    values = manual.list_values(session, viewer=viewer, measure_id=int(measure.id or 0))
    chart = manual.manual_series(
        session,
        viewer=viewer,
        measure_id=manual.manual_id(measure),
        period=measure.period_type,
        start=min((v.period_start for v in values), default=None),
        end=None,
        now=utcnow(),
    )
    context: dict[str, Any] = {
        "measure": measure,
        "team": session.get(Team, measure.team_id),
        "values": list(
            reversed(manual.shown_values(session, viewer=viewer, measure_id=int(measure.id or 0)))
        ),
        "threshold": get_settings().suppression_threshold,
        "chart": chart,
        "may_write": measure.team_id in manual.team_role_ids(viewer),
        "form": ValueForm(),
        "errors": {},
        "csv_problems": [],
        "saved": None,
        "htmx_config": HTMX_CONFIG,
    }
    context.update(extra)
    return context


@router.get("/manual-measures/{measure_id}")
def read_manual_values(
    request: Request,
    measure_id: int,
    session: SessionDep,
    viewer: CurrentViewer,
    saved: int | None = None,
) -> Response:
    """Show a manual measure's values, the entry form, the CSV upload and the chart."""
    measure = _measure(session, viewer, measure_id)
    context = _values_context(session, viewer, measure, saved=saved)
    return render(request, "measures/manual_values.html", context)


@router.post("/manual-measures/{measure_id}/values")
def create_manual_value(
    request: Request,
    measure_id: int,
    session: SessionDep,
    viewer: CurrentViewer,
    form: Annotated[ValueForm, Form()],
) -> Response:
    """Save one period's value, or show the form again with what to fix."""
    measure = _measure(session, viewer, measure_id)
    numerator, denominator, errors = form.numbers()
    if not errors:
        try:
            manual.save_value(
                session,
                viewer=viewer,
                measure_id=measure_id,
                period=form.period,
                numerator=numerator,
                denominator=denominator,
            )
        except manual.ManualMeasureInvalid as exc:
            errors = exc.problems
        else:
            return RedirectResponse(f"/manual-measures/{measure_id}", status_code=303)
    context = _values_context(session, viewer, measure, form=form, errors=errors)
    return render(request, "measures/manual_values.html", context, status_code=422)


@router.post("/manual-measures/{measure_id}/upload")
def upload_manual_values(
    request: Request,
    measure_id: int,
    session: SessionDep,
    viewer: CurrentViewer,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Save a CSV file of values, or list every problem in it (nothing is saved then)."""
    measure = _measure(session, viewer, measure_id)
    content = file.file.read(manual_csv.MAX_CSV_BYTES + 1)
    try:
        saved = manual_csv.upload_values_csv(
            session, viewer=viewer, measure_id=measure_id, content=content
        )
    except manual_csv.CsvInvalid as exc:
        context = _values_context(session, viewer, measure, csv_problems=exc.problems)
        return render(request, "measures/manual_values.html", context, status_code=422)
    return RedirectResponse(f"/manual-measures/{measure_id}?saved={saved}", status_code=303)


@router.post("/manual-measures/{measure_id}/values/{period}/delete")
def delete_manual_value(
    measure_id: int, period: str, session: SessionDep, viewer: CurrentViewer
) -> Response:
    """Remove one period's value."""
    manual.delete_value(session, viewer=viewer, measure_id=measure_id, period=period)
    return RedirectResponse(f"/manual-measures/{measure_id}", status_code=303)


def chart_svg(chart: MeasureChart) -> Response:
    """Draw a computed chart as SVG (goal line and tested changes included)."""
    language = current_language()
    spec = chart_spec(
        chart.result,
        title=f"{chart.measure.title} – {chart.unit_name}",
        goal=chart.measure.goal,
        annotations=[(mark.period, mark.title) for mark in chart.annotations],
        y_title=_("Per cent") if chart.measure.type == "proportion" else None,
        language=language,
    )
    return Response(render_svg(spec), media_type="image/svg+xml", headers={"Vary": "Cookie"})


@router.get("/measures/{measure_id}/chart.svg", dependencies=[ANALYSIS])
def read_chart_svg(
    measure_id: str,
    session: SessionDep,
    viewer: CurrentViewer,
    level: Level = Level.team,
    unit_id: int = 0,
    period: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Response:
    """A measure's chart as an SVG image (manual measures too: ``manual:<id>``)."""
    chart = measure_series(
        session,
        viewer=viewer,
        measure_id=measure_id,
        level=level,
        unit_id=unit_id,
        period=period,
        start=start,
        end=end,
        now=utcnow(),
    )
    return chart_svg(chart)

"""HTML pages of the dashboards: a team's dashboard, the items behind a point, tested changes,
the monthly report, and coordinators' comparison."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from app.audit.patient_data import NO_PATIENT_DATA, PATIENT_DATA
from app.checklists.worklist import TEAM_COOKIE, chosen_team, remember_team, team_choices
from app.core.analysis_limit import ANALYSIS
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.deps import CurrentViewer, SessionDep
from app.core.i18n import _, current_language
from app.core.templating import render
from app.core.text import named_problems, text_problems
from app.dashboards import service
from app.dashboards.comparison import comparison, funnel_curve, units_in_range
from app.dashboards.specs import funnel_spec, small_multiples_spec
from app.measures.annotations import (
    AnnotationFields,
    AnnotationInvalid,
    create_annotation,
    delete_annotation,
    list_annotations,
)
from app.measures.chart_data import MeasureRequestError
from app.measures.following import followed_measures, may_change_settings
from app.measures.forms import AnnotationText
from app.measures.manual import team_role_ids
from app.measures.periods import parse_period, period_end
from app.measures.service import MeasureNotFound, points_behind
from app.org.models import Team
from app.org.scope import Viewer

router = APIRouter(include_in_schema=False, dependencies=[NO_PATIENT_DATA])
OptionalDate = Annotated[date | None, Query()]


def spec_json(spec: dict[str, Any] | None, *, points_in_table: bool = False) -> Markup:
    """A spec as JSON safe inside a <script type="application/json"> block; with
    ``points_in_table`` its points are left to the page's data table (sent once, not twice)."""
    if spec is not None and points_in_table and "values" in spec.get("data", {}):
        spec = {**spec, "data": {"name": "points"}}
    text = json.dumps(spec, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text.replace("&", "\\u0026"))  # noqa: S704 - escaped above


def _team(session: SessionDep, viewer: Viewer, team_id: int) -> Team:
    """A team whose dashboard the viewer may open (404 when it is not among theirs)."""
    team = session.get(Team, team_id) if team_id in viewer.aggregate_team_ids else None
    if team is None:
        raise HTTPException(status_code=404, detail=_("There is no such team among yours."))
    service.check_team_access(viewer, team_id)
    return team


def _period(value: str) -> str:
    """Check the period toggle."""
    if value not in ("week", "month"):
        raise HTTPException(status_code=422, detail=_("The period must be 'week' or 'month'."))
    return value


def _dashboard_context(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    team: Team,
    *,
    period: str,
    start: date | None,
    end: date | None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the dashboard page shows."""
    team_id = int(team.id or 0)
    message = None
    try:
        items = service.team_dashboard(
            session,
            viewer=viewer,
            team_id=team_id,
            period=period,
            start=start,
            end=end,
            now=utcnow(),
        )
    except MeasureRequestError as exc:
        items, message = [], str(exc)
    teams = team_choices(session, viewer.patient_team_ids)
    return {
        "team": team,
        "teams": teams,
        "may_configure": may_change_settings(viewer, team_id),
        "items": items,
        "message": message,
        "period": period,
        "start": start,
        "end": end,
        "spec_json": spec_json,
        "print": request.query_params.get("print") == "1",
        "may_write": team_id in team_role_ids(viewer),
        "annotations": list_annotations(session, viewer=viewer, team_id=team_id),
        "errors": errors or {},
        "measures": [(item.info.id, item.info.title) for item in items],
    }


@router.get("/dashboard")
def read_chosen_dashboard(
    request: Request, session: SessionDep, viewer: CurrentViewer, team: str | None = None
) -> Response:
    """Open the dashboard of the team picked (or remembered, else the first by name)."""
    teams = team_choices(session, viewer.patient_team_ids)
    if not teams:
        raise HTTPException(status_code=404, detail=_("You are not on any team."))
    team_id = chosen_team(teams, team, request.cookies.get(TEAM_COOKIE)) or teams[0].id
    response = RedirectResponse(f"/teams/{team_id}/dashboard", status_code=303)
    if team is not None:
        remember_team(response, team_id)
    return response


@router.get("/teams/{team_id}/dashboard", dependencies=[ANALYSIS])
def read_team_dashboard(
    request: Request,
    team_id: int,
    session: SessionDep,
    viewer: CurrentViewer,
    period: str = "week",
    start: OptionalDate = None,
    end: OptionalDate = None,
) -> Response:
    """Show a team's core measures as run charts with verdicts, tested changes and exports."""
    team = _team(session, viewer, team_id)
    context = _dashboard_context(
        request, session, viewer, team, period=_period(period), start=start, end=end
    )
    return render(
        request, "dashboards/team.html", context, status_code=422 if context["message"] else 200
    )


@router.get("/teams/{team_id}/dashboard/{measure_id}/periods/{period}", dependencies=[PATIENT_DATA])
def read_points_behind(
    request: Request,
    team_id: int,
    measure_id: str,
    period: str,
    session: SessionDep,
    viewer: CurrentViewer,
) -> Response:
    """List the patients' checklists behind one point of a team's chart (audited)."""
    team = _team(session, viewer, team_id)
    try:
        period_type, first = parse_period(period)
    except ValueError as exc:
        raise HTTPException(
            status_code=422, detail=_("Write the period like 2026-W05 or 2026-03.")
        ) from exc
    if measure_id not in {m.id for m in followed_measures(session, team_id=team_id)}:
        raise HTTPException(
            status_code=404,
            detail=_("This team does not follow the measure '{id}'.").format(id=measure_id),
        )
    try:
        items = points_behind(
            session,
            viewer=viewer,
            measure_id=measure_id,
            team_id=team_id,
            period=period_type,
            period_start=first,
        )
    except MeasureRequestError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    title = service.measure_info(service.catalogue_measure(measure_id)).title
    context = {
        "team": team,
        "items": items,
        "period": period,
        "title": title,
        "period_type": period_type,
    }
    return render(request, "dashboards/points_behind.html", context)


@router.post("/teams/{team_id}/dashboard/annotations")
def create_dashboard_annotation(
    request: Request,
    team_id: int,
    session: SessionDep,
    viewer: CurrentViewer,
    happened_on: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    measure_key: Annotated[str, Form()] = "",
    starts_phase: Annotated[str, Form()] = "",
    period: Annotated[str, Form()] = "week",
) -> Response:
    """Mark a tested change from the dashboard, or show the page again with what to fix."""
    team = _team(session, viewer, team_id)
    period = period if period in ("week", "month") else "week"
    typed = {
        "title": title,
        "description": description or None,
        "measure_key": measure_key or None,
    }
    labels = {"title": _("Title"), "description": _("Description"), "measure_key": _("Measure")}
    errors = named_problems(text_problems(AnnotationText, typed), labels)
    try:
        day = date.fromisoformat(happened_on)
    except ValueError:
        errors["happened_on"] = _("Give the date of the change.")
    if not errors:
        fields = AnnotationFields(
            happened_on=day,
            title=title,
            description=description or None,
            measure_key=measure_key or None,
            starts_phase=bool(starts_phase),
        )
        try:
            create_annotation(session, viewer=viewer, team_id=team_id, fields=fields)
        except AnnotationInvalid as exc:
            errors = exc.problems
        else:
            return RedirectResponse(
                f"/teams/{team_id}/dashboard?period={period}#changes", status_code=303
            )
    context = _dashboard_context(
        request, session, viewer, team, period=period, start=None, end=None, errors=errors
    )
    context["form"] = {
        "happened_on": happened_on,
        "title": title,
        "description": description,
        "measure_key": measure_key,
        "starts_phase": bool(starts_phase),
    }
    return render(request, "dashboards/team.html", context, status_code=422)


@router.post("/teams/{team_id}/dashboard/annotations/{annotation_id}/delete")
def delete_dashboard_annotation(
    team_id: int, annotation_id: int, session: SessionDep, viewer: CurrentViewer
) -> Response:
    """Remove a tested change (the service checks the team's improvement role) and go back."""
    try:
        delete_annotation(session, viewer=viewer, annotation_id=annotation_id)
    except MeasureNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    return RedirectResponse(f"/teams/{team_id}/dashboard#changes", status_code=303)


@router.get("/teams/{team_id}/report", dependencies=[ANALYSIS])
def read_monthly_report(
    request: Request,
    team_id: int,
    session: SessionDep,
    viewer: CurrentViewer,
    month: str | None = None,
) -> Response:
    """A printable monthly report: every core measure by month up to the chosen month."""
    team = _team(session, viewer, team_id)
    today = utcnow().date()
    text = month or f"{today.year}-{today.month:02d}"
    try:
        kind, first = parse_period(text)
    except ValueError:
        kind, first = "", today
    if kind != "month":
        raise HTTPException(status_code=422, detail=_("Write the month like 2026-10."))
    last = period_end(first, "month")
    start = date(first.year - 1, first.month, 1)
    items = service.team_dashboard(
        session, viewer=viewer, team_id=team_id, period="month", start=start, end=last, now=utcnow()
    )
    context = {"team": team, "items": items, "month": text, "spec_json": spec_json, "print": True}
    return render(request, "dashboards/report.html", context)


@router.get("/comparison", dependencies=[ANALYSIS])
def read_comparison(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    measure: str | None = None,
    level: str = "organisation",
    period: str | None = None,
    start: OptionalDate = None,
    end: OptionalDate = None,
) -> Response:
    """Compare a core measure across teams, organisations or networks (aggregates only)."""
    core = service.dashboard_measures()
    measure_id = measure or core[0].id
    if period is not None:
        _period(period)
    language = current_language()
    context: dict[str, Any] = {
        "measures": [(m.id, m.title.get(language)) for m in core],
        "measure_id": measure_id,
        "level": level,
        "period": period,
        "start": start,
        "end": end,
        "spec_json": spec_json,
        "message": None,
        "found": None,
        "threshold": get_settings().suppression_threshold,
        # suppressed counts come by month only: weeks only for those who see some patients
        "weekly": bool(viewer.patient_team_ids),
    }
    try:
        found = comparison(
            session,
            viewer=viewer,
            measure_id=measure_id,
            level=level,
            period=period,
            start=start,
            end=end,
            now=utcnow(),
        )
    except (MeasureRequestError, MeasureNotFound) as exc:
        context["message"] = str(exc)
        return render(request, "dashboards/comparison.html", context, status_code=422)
    y_title = "%" if found.info.type == "proportion" else found.info.title
    context["found"] = found
    context["period"] = found.period
    context["multiples"] = small_multiples_spec(
        found.charts, title=found.info.title, y_title=y_title, language=language
    )
    context["has_data"] = bool(units_in_range(found.charts))
    if found.funnel and found.pooled is not None:
        curve = funnel_curve(found.pooled, max(u["n"] for u in found.funnel))
        context["funnel"] = funnel_spec(
            found.funnel,
            curve,
            pooled=found.pooled,
            title=_("Funnel plot, {quarter}").format(quarter=found.quarter),
            language=language,
        )
    return render(request, "dashboards/comparison.html", context)

"""HTML pages of the dashboards: a team's dashboard, the items behind a point, tested changes,
the monthly report, and coordinators' comparison."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from app.audit.patient_data import NO_PATIENT_DATA, PATIENT_DATA
from app.charts import rule_set_name
from app.charts.numbers import format_number
from app.checklists.worklist import TEAM_COOKIE, chosen_team, remember_team, team_choices
from app.core.analysis_limit import ANALYSIS
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.deps import CurrentViewer, SessionDep
from app.core.i18n import _, current_language
from app.core.templating import render
from app.dashboards import service
from app.dashboards.comparison import comparison, funnel_curve, units_in_range
from app.dashboards.report import month_name, monthly_report, read_month
from app.dashboards.specs import funnel_position_labels, funnel_spec, small_multiples_spec
from app.measures.chart_data import MeasureRequestError
from app.measures.chart_reads import ChartReads
from app.measures.following import followed_measures, may_change_settings
from app.measures.manual import team_role_ids
from app.measures.periods import parse_period, period_label
from app.measures.service import MeasureNotFound, points_behind
from app.org.models import Team
from app.org.scope import Viewer
from app.overview.report import report_networks

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
    reads = ChartReads(session)  # the charts' changes and left-out points are the lists' too
    try:
        items = service.team_dashboard(
            session,
            viewer=viewer,
            team_id=team_id,
            period=period,
            start=start,
            end=end,
            now=utcnow(),
            reads=reads,
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
        "annotations": reads.team_annotations(team_id),
        "exclusions": [
            (x, period_label(x.period_start, x.period_type)) for x in reads.team_exclusions(team_id)
        ],
        "errors": errors or {},
        "measures": [(item.info.id, item.info.title) for item in items],
        "measure_titles": {item.info.id: item.info.title for item in items},
        "today": utcnow().astimezone(get_settings().zone).date(),
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


@router.get("/teams/{team_id}/report", dependencies=[ANALYSIS])
def read_monthly_report(
    request: Request,
    team_id: int,
    session: SessionDep,
    viewer: CurrentViewer,
    month: str | None = None,
) -> Response:
    """A printable monthly report: a summary, then every measure by month up to the month
    chosen (by default the last complete one)."""
    team = _team(session, viewer, team_id)
    now = utcnow()
    today = now.astimezone(get_settings().zone).date()
    context: dict[str, Any] = {
        "team": team,
        "month_text": month or "",
        "latest": f"{today.year}-{today.month:02d}",
        "spec_json": spec_json,
        "print": True,
        "report": None,
        "message": None,
    }
    try:
        first = read_month(month, today)
        found = monthly_report(session, viewer=viewer, team_id=team_id, month=first, now=now)
    except MeasureRequestError as exc:
        context["message"] = str(exc)
        return render(request, "dashboards/report.html", context, status_code=422)
    context.update(
        report=found,
        month_text=f"{first.year}-{first.month:02d}",
        month_name=month_name(first),
    )
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
        "report_networks": report_networks(session, viewer=viewer),
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
    rule_sets = sorted({chart.rules for chart in found.charts})
    context["rules_caption"] = ", ".join(rule_set_name(rules, language) for rules in rule_sets)
    if found.funnel and found.pooled is not None:
        context["pooled_text"] = format_number(100 * found.pooled, language)
        labels = funnel_position_labels(language)
        context["funnel_positions"] = [
            (p, labels[p]) for p in ("above", "below", "above95", "below95")
        ]
        curve = funnel_curve(found.pooled, max(u["n"] for u in found.funnel))
        context["funnel"] = funnel_spec(
            found.funnel,
            curve,
            pooled=found.pooled,
            title=_("Funnel plot, {quarter}").format(quarter=found.quarter),
            language=language,
        )
    return render(request, "dashboards/comparison.html", context)

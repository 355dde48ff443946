"""Pages of the network's overview: the grid of units × measures, its CSV, and bright spots."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.audit.models import AuditAction
from app.audit.patient_data import NO_PATIENT_DATA
from app.audit.service import record
from app.core.analysis_limit import ANALYSIS
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.deps import SessionDep, require_roles
from app.core.i18n import _
from app.core.templating import render
from app.digest.pdf import pdf_download
from app.measures.aggregate import Level
from app.measures.chart_data import MeasureRequestError
from app.org.models import Role
from app.org.scope import Viewer
from app.overview.bright_spots import bright_spots, by_team, team_changes
from app.overview.export import overview_csv
from app.overview.icons import (
    SUSTAINED_POINTS,
    Assurance,
    Variation,
    assurance_words,
    variation_words,
)
from app.overview.report import (
    NetworkReport,
    network_report,
    report_network,
    report_networks,
    report_period,
)
from app.overview.service import Choice, network_overview, parse_choice

router = APIRouter(include_in_schema=False, dependencies=[NO_PATIENT_DATA])
Learner = Annotated[
    Viewer, Depends(require_roles(Role.team.value, Role.coordinator.value, Role.admin.value))
]


def _choice(
    viewer: Viewer,
    level: str | None,
    measures: str | None,
    variation: str | None,
    assurance: str | None,
    measure: str | None,
    sort: str | None,
) -> Choice:
    """The viewer's choice from the query (MeasureRequestError when it is not valid)."""
    return parse_choice(
        viewer,
        level=level,
        measures=measures,
        variation=variation,
        assurance=assurance,
        measure=measure,
        sort=sort,
    )


def _icon_choices() -> dict[str, Any]:
    """The icons in words, for the filter and the legend."""
    return {
        "variations": [(v.value, variation_words(v)) for v in Variation],
        "assurances": [(a.value, assurance_words(a)) for a in Assurance],
    }


@router.get("/overview", dependencies=[ANALYSIS])
def read_overview(
    request: Request,
    session: SessionDep,
    viewer: Learner,
    level: str | None = None,
    measures: str | None = None,
    variation: str | None = None,
    assurance: str | None = None,
    measure: str | None = None,
    sort: str | None = None,
) -> Response:
    """Show every unit × measure the viewer may see with its latest value, sparkline and icons."""
    context: dict[str, Any] = {
        "found": None,
        "message": None,
        "threshold": get_settings().suppression_threshold,
        "levels": [
            (Level.team.value, _("Teams")),
            (Level.organisation.value, _("Organisations")),
            (Level.network.value, _("Regions and networks")),
        ],
        "query": request.url.query,
        "sustained": SUSTAINED_POINTS,
        "report_networks": report_networks(session, viewer=viewer),
        **_icon_choices(),
    }
    try:
        choice = _choice(viewer, level, measures, variation, assurance, measure, sort)
        context["choice"] = choice
        context["found"] = network_overview(session, viewer=viewer, choice=choice, now=utcnow())
    except MeasureRequestError as exc:
        context["message"] = str(exc)
        return render(request, "overview/overview.html", context, status_code=422)
    return render(request, "overview/overview.html", context)


@router.get("/overview/export.csv", dependencies=[ANALYSIS])
def read_overview_csv(
    session: SessionDep,
    viewer: Learner,
    level: str | None = None,
    measures: str | None = None,
    variation: str | None = None,
    assurance: str | None = None,
    measure: str | None = None,
    sort: str | None = None,
) -> Response:
    """Download the overview as shown (filter and sort kept), the icons in words."""
    choice = _choice(viewer, level, measures, variation, assurance, measure, sort)
    found = network_overview(session, viewer=viewer, choice=choice, now=utcnow())
    name = f"overview-{choice.level.value}.csv"
    return Response(
        content=overview_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Vary": "Cookie"},
    )


@router.get("/learning", dependencies=[ANALYSIS])
def read_bright_spots(request: Request, session: SessionDep, viewer: Learner) -> Response:
    """List the teams holding an improvement on a core measure, with the changes they tested."""
    teams = by_team(bright_spots(session, viewer=viewer, now=utcnow()))
    context = {"teams": teams, "sustained": SUSTAINED_POINTS}
    return render(request, "overview/bright_spots.html", context)


@router.get("/learning/teams/{team_id}", dependencies=[ANALYSIS])
def read_team_changes(
    request: Request, team_id: int, session: SessionDep, viewer: Learner
) -> Response:
    """One team's tested changes, and its bright spots, for other teams to learn from."""
    team, changes = team_changes(session, viewer=viewer, team_id=team_id)
    spots = bright_spots(session, viewer=viewer, now=utcnow(), team_id=team_id)
    context = {"team": team, "changes": changes, "spots": spots}
    return render(request, "overview/team_changes.html", context)


Coordinator = Annotated[Viewer, Depends(require_roles(Role.coordinator.value, Role.admin.value))]


def _report_page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    network_id: int,
    start: str | None,
    end: str | None,
) -> tuple[Response, NetworkReport | None]:
    """The report's print page (a 422 re-render naming what is wrong with the period)."""
    network = report_network(session, viewer=viewer, network_id=network_id)
    now = utcnow()
    context: dict[str, Any] = {
        "network": network,
        "start": start,
        "end": end,
        "threshold": get_settings().suppression_threshold,
        "sustained": SUSTAINED_POINTS,
        **_icon_choices(),
    }
    try:
        period = report_period(start, end, now=now)
    except MeasureRequestError as exc:
        context["message"] = str(exc)
        return render(request, "overview/report.html", context, status_code=422), None
    found = network_report(session, viewer=viewer, network=network, period=period, now=now)
    context |= {"report": found, "start": period.start_text, "end": period.end_text}
    return render(request, "overview/report.html", context), found


def _audit_report(session: SessionDep, viewer: Viewer, found: NetworkReport, kind: str) -> None:
    """Log the export of a network's report (aggregates only: no patient is named)."""
    record(
        session,
        viewer=viewer,
        action=AuditAction.export,
        what=f"network report ({kind})",
        detail=f"network {found.network.id}; {found.period.start_text} to {found.period.end_text}",
    )


@router.get("/networks/{network_id}/report", dependencies=[ANALYSIS])
def read_network_report(
    request: Request,
    network_id: int,
    session: SessionDep,
    viewer: Coordinator,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    """A network's report for a learning session, as a page made to be printed."""
    page, found = _report_page(request, session, viewer, network_id, start, end)
    if found is not None:
        _audit_report(session, viewer, found, "page")
    return page


@router.get("/networks/{network_id}/report.pdf", dependencies=[ANALYSIS])
def read_network_report_pdf(
    request: Request,
    network_id: int,
    session: SessionDep,
    viewer: Coordinator,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    """The same report as a PDF made on the server (a bad period: the page's 422 re-render)."""
    page, found = _report_page(request, session, viewer, network_id, start, end)
    if found is None:
        return page
    _audit_report(session, viewer, found, "pdf")
    name = f"report-{found.network.id}-{found.period.start_text}-{found.period.end_text}.pdf"
    return pdf_download(request, page, filename=name, svg_stylesheet="mdc-icons.css")

"""Admin pages for networks, organisations and teams (htmx forms, 422 re-render on errors)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from app.admin.directory import AdminError, AdminNotFound
from app.admin.forms import NetworkChartRules, OrganisationDetails, OrganisationFields, TeamFields
from app.admin.pages import Admin, done, parse, refusal
from app.admin.service import (
    create_organisation,
    create_team,
    get_organisation,
    managed_tree,
    update_network_chart_rules,
    update_organisation,
)
from app.audit.patient_data import NO_PATIENT_DATA
from app.charts import rule_set_name, rule_set_summary
from app.core.deps import SessionDep
from app.core.i18n import current_language
from app.core.templating import render
from app.org.models import Team
from app.org.scope import Viewer

router = APIRouter(include_in_schema=False, dependencies=[NO_PATIENT_DATA])
TextForm = Annotated[str, Form()]


def _tree_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The organisations page, with a form's values and messages when it was refused."""
    tree = managed_tree(session, actor=viewer)
    language = current_language()
    rule_sets = [
        (name, rule_set_name(name, language), rule_set_summary(name, language))
        for name in ("anhoej", "ihi", "mdc")
    ]
    return render(
        request,
        "admin/organisations.html",
        {
            "tree": tree,
            "form": form or {},
            "errors": errors or {},
            "rule_sets": rule_sets,
            "saved": request.query_params.get("saved"),
        },
        status_code=status_code,
    )


@router.get("/admin/organisations")
def read_organisations(request: Request, session: SessionDep, viewer: Admin) -> Response:
    """The networks, organisations and teams you administer, and a form for a new organisation."""
    return _tree_page(request, session, viewer)


@router.post("/admin/organisations")
def create_organisation_page(
    request: Request,
    session: SessionDep,
    viewer: Admin,
    slug: TextForm = "",
    name: TextForm = "",
    network: TextForm = "",
    kind: TextForm = "",
    org_number: TextForm = "",
    municipality_number: TextForm = "",
) -> Response:
    """Add an organisation to a network you administer."""
    given = {
        "slug": slug,
        "name": name,
        "network": network,
        "kind": kind,
        "org_number": org_number,
        "municipality_number": municipality_number,
    }
    fields, errors = parse(OrganisationFields, given)
    if fields is not None:
        try:
            organisation = create_organisation(session, actor=viewer, fields=fields)
        except (AdminError, AdminNotFound) as exc:
            errors = refusal(exc)
        else:
            return done(request, f"/admin/organisations/{organisation.id}")
    return _tree_page(request, session, viewer, form=given, errors=errors, status_code=422)


@router.post("/admin/networks/{network_id}/chart-rules")
def update_network_chart_rules_page(
    network_id: int,
    request: Request,
    session: SessionDep,
    viewer: Admin,
    chart_rules: TextForm = "",
) -> Response:
    """Choose the rule set a network's charts are read by."""
    fields, errors = parse(NetworkChartRules, {"chart_rules": chart_rules})
    if fields is not None:
        try:
            update_network_chart_rules(session, actor=viewer, network_id=network_id, fields=fields)
        except AdminNotFound as exc:
            errors = refusal(exc)
        else:
            return done(
                request, f"/admin/organisations?saved=rules-{network_id}#rules-{network_id}"
            )
    errors = {f"rules_{network_id}": errors.get("chart_rules") or errors.get("form", "")}
    return _tree_page(request, session, viewer, errors=errors, status_code=422)


def _organisation_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    organisation_id: int,
    *,
    form: dict[str, str] | None = None,
    team_form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """One organisation's page, with a refused form's values and messages."""
    organisation = get_organisation(session, actor=viewer, organisation_id=organisation_id)
    teams = session.exec(
        select(Team).where(Team.organisation_id == organisation_id).order_by(col(Team.name))
    ).all()
    details = form or {
        "name": organisation.name,
        "org_number": organisation.org_number or "",
        "municipality_number": organisation.municipality_number or "",
    }
    return render(
        request,
        "admin/organisation.html",
        {
            "organisation": organisation,
            "teams": teams,
            "form": details,
            "team_form": team_form or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/admin/organisations/{organisation_id}")
def read_organisation(
    organisation_id: int, request: Request, session: SessionDep, viewer: Admin
) -> Response:
    """One organisation: its name and numbers, its teams, and a form for a new team."""
    return _organisation_page(request, session, viewer, organisation_id)


@router.post("/admin/organisations/{organisation_id}")
def update_organisation_page(
    organisation_id: int,
    request: Request,
    session: SessionDep,
    viewer: Admin,
    name: TextForm = "",
    org_number: TextForm = "",
    municipality_number: TextForm = "",
) -> Response:
    """Change an organisation's name or numbers."""
    given = {"name": name, "org_number": org_number, "municipality_number": municipality_number}
    fields, errors = parse(OrganisationDetails, given)
    if fields is not None:
        try:
            update_organisation(
                session, actor=viewer, organisation_id=organisation_id, fields=fields
            )
        except AdminError as exc:
            errors = refusal(exc)
        else:
            return done(request, f"/admin/organisations/{organisation_id}?saved=1")
    return _organisation_page(
        request, session, viewer, organisation_id, form=given, errors=errors, status_code=422
    )


@router.post("/admin/organisations/{organisation_id}/teams")
def create_team_page(
    organisation_id: int,
    request: Request,
    session: SessionDep,
    viewer: Admin,
    slug: TextForm = "",
    name: TextForm = "",
) -> Response:
    """Add a team to an organisation you administer."""
    organisation = get_organisation(session, actor=viewer, organisation_id=organisation_id)
    given = {"slug": slug, "name": name, "organisation": organisation.slug}
    fields, errors = parse(TeamFields, given)
    if fields is not None:
        try:
            create_team(session, actor=viewer, fields=fields)
        except (AdminError, AdminNotFound) as exc:
            errors = refusal(exc)
        else:
            return done(request, f"/admin/organisations/{organisation_id}")
    errors = {f"team_{k}" if k != "form" else "team_form": v for k, v in errors.items()}
    return _organisation_page(
        request, session, viewer, organisation_id, team_form=given, errors=errors, status_code=422
    )

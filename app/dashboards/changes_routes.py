"""HTML pages of what a team records on its dashboard: tested changes (new, edited, deleted
after a confirmation) and points left out of a chart as known special causes."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from app.audit.patient_data import NO_PATIENT_DATA
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.deps import CurrentViewer, PostedForm, SessionDep
from app.core.i18n import _
from app.core.templating import render
from app.core.text import named_problems, text_problems
from app.dashboards.routes import _dashboard_context, _team
from app.measures.annotations import (
    AnnotationInvalid,
    create_annotation,
    delete_annotation,
    get_annotation,
    update_annotation,
)
from app.measures.exclusions import (
    ExclusionFields,
    ExclusionInvalid,
    exclude_point,
    restore_point,
    team_measure_periods,
)
from app.measures.forms import AnnotationForm, ExclusionIn
from app.measures.models import Annotation
from app.measures.service import MeasureNotFound
from app.org.models import Team
from app.org.scope import Viewer

router = APIRouter(include_in_schema=False, dependencies=[NO_PATIENT_DATA])


def _form_of(posted: PostedForm, names: tuple[str, ...]) -> dict[str, str]:
    """The posted text fields named (a missing one is empty)."""
    return {name: str(posted.get(name) or "") for name in names}


def _view(value: object) -> str:
    """The period the dashboard was showing (weeks unless months)."""
    return "month" if value == "month" else "week"


def _back(team_id: int, view: object, anchor: str) -> str:
    """The dashboard's address, in the period it was showing."""
    return f"/teams/{team_id}/dashboard?period={_view(view)}#{anchor}"


def _annotation_of(
    session: SessionDep, viewer: Viewer, team_id: int, annotation_id: int
) -> Annotation:
    """A tested change of this team that the viewer may change (404 otherwise)."""
    try:
        annotation = get_annotation(session, viewer=viewer, annotation_id=annotation_id, write=True)
    except MeasureNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    if annotation.team_id != team_id:
        raise HTTPException(status_code=404, detail=_("There is no such tested change."))
    return annotation


def _change_page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    team: Team,
    annotation: Annotation,
    *,
    form: AnnotationForm,
    errors: dict[str, str],
    page: str = "dashboards/change.html",
) -> Response:
    """The edit (or delete) page of one tested change."""
    measures = team_measure_periods(session, viewer=viewer, team_id=int(team.id or 0))
    context = {
        "team": team,
        "note": annotation,
        "form": form,
        "errors": errors,
        "measures": [(key, title) for key, (title, _periods) in measures.items()],
        "measure_titles": {key: title for key, (title, _periods) in measures.items()},
        "today": utcnow().astimezone(get_settings().zone).date(),
    }
    return render(request, page, context, status_code=422 if errors else 200)


@router.post("/teams/{team_id}/dashboard/annotations")
def create_dashboard_annotation(
    request: Request, team_id: int, session: SessionDep, viewer: CurrentViewer, posted: PostedForm
) -> Response:
    """Mark a tested change from the dashboard, or show the page again with what to fix."""
    team = _team(session, viewer, team_id)
    form = AnnotationForm(**_form_of(posted, tuple(AnnotationForm.model_fields)))
    fields, errors = form.to_fields()
    if fields is not None:
        try:
            create_annotation(session, viewer=viewer, team_id=team_id, fields=fields)
        except AnnotationInvalid as exc:
            errors = exc.problems
        else:
            return RedirectResponse(
                _back(team_id, posted.get("period"), "changes"), status_code=303
            )
    context = _dashboard_context(
        request,
        session,
        viewer,
        team,
        period=_view(posted.get("period")),
        start=None,
        end=None,
        errors=errors,
    )
    context["form"] = form
    return render(request, "dashboards/team.html", context, status_code=422)


@router.get("/teams/{team_id}/dashboard/annotations/{annotation_id}/edit")
def read_annotation_edit(
    request: Request, team_id: int, annotation_id: int, session: SessionDep, viewer: CurrentViewer
) -> Response:
    """The form to correct a tested change."""
    team = _team(session, viewer, team_id)
    annotation = _annotation_of(session, viewer, team_id, annotation_id)
    form = AnnotationForm.of(annotation)
    return _change_page(request, session, viewer, team, annotation, form=form, errors={})


@router.post("/teams/{team_id}/dashboard/annotations/{annotation_id}/edit")
def update_dashboard_annotation(
    request: Request,
    team_id: int,
    annotation_id: int,
    session: SessionDep,
    viewer: CurrentViewer,
    posted: PostedForm,
) -> Response:
    """Save a corrected tested change, or show the form again with what to fix."""
    team = _team(session, viewer, team_id)
    annotation = _annotation_of(session, viewer, team_id, annotation_id)
    form = AnnotationForm(**_form_of(posted, tuple(AnnotationForm.model_fields)))
    fields, errors = form.to_fields()
    if fields is not None:
        try:
            update_annotation(session, viewer=viewer, annotation_id=annotation_id, fields=fields)
        except AnnotationInvalid as exc:
            errors = exc.problems
        else:
            return RedirectResponse(
                _back(team_id, posted.get("period"), "changes"), status_code=303
            )
    return _change_page(request, session, viewer, team, annotation, form=form, errors=errors)


@router.get("/teams/{team_id}/dashboard/annotations/{annotation_id}/delete")
def read_annotation_delete(
    request: Request, team_id: int, annotation_id: int, session: SessionDep, viewer: CurrentViewer
) -> Response:
    """Ask before a tested change is deleted."""
    team = _team(session, viewer, team_id)
    annotation = _annotation_of(session, viewer, team_id, annotation_id)
    form = AnnotationForm.of(annotation)
    return _change_page(
        request,
        session,
        viewer,
        team,
        annotation,
        form=form,
        errors={},
        page="dashboards/change_delete.html",
    )


@router.post("/teams/{team_id}/dashboard/annotations/{annotation_id}/delete")
def delete_dashboard_annotation(
    team_id: int, annotation_id: int, session: SessionDep, viewer: CurrentViewer
) -> Response:
    """Remove a tested change once confirmed (the service checks the team role) and go back."""
    _team(session, viewer, team_id)
    _annotation_of(session, viewer, team_id, annotation_id)
    delete_annotation(session, viewer=viewer, annotation_id=annotation_id)
    return RedirectResponse(f"/teams/{team_id}/dashboard#changes", status_code=303)


@router.post("/teams/{team_id}/dashboard/exclusions")
def create_dashboard_exclusion(
    request: Request, team_id: int, session: SessionDep, viewer: CurrentViewer, posted: PostedForm
) -> Response:
    """Leave a point out of a chart as a known special cause, or show what to fix."""
    team = _team(session, viewer, team_id)
    typed = _form_of(posted, ("measure_key", "period", "reason"))
    labels = {"measure_key": _("Measure"), "period": _("Period"), "reason": _("Reason")}
    errors = named_problems(text_problems(ExclusionIn, typed), labels)
    if not errors:
        try:
            exclude_point(session, viewer=viewer, team_id=team_id, fields=ExclusionFields(**typed))
        except ExclusionInvalid as exc:
            errors = exc.problems
        else:
            return RedirectResponse(
                _back(team_id, posted.get("period_view"), "excluded"), status_code=303
            )
    view = _view(posted.get("period_view"))
    context = _dashboard_context(request, session, viewer, team, period=view, start=None, end=None)
    context["xform"] = typed
    context["xerrors"] = errors
    return render(request, "dashboards/team.html", context, status_code=422)


@router.post("/teams/{team_id}/dashboard/exclusions/{exclusion_id}/delete")
def delete_dashboard_exclusion(
    team_id: int, exclusion_id: int, session: SessionDep, viewer: CurrentViewer
) -> Response:
    """Take an excluded point back into its chart and go back."""
    _team(session, viewer, team_id)
    restore_point(session, viewer=viewer, exclusion_id=exclusion_id)
    return RedirectResponse(f"/teams/{team_id}/dashboard#excluded", status_code=303)

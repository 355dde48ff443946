"""HTML page of what a team follows: the non-core measures it chooses and its own goal lines."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from app.audit.patient_data import NO_PATIENT_DATA
from app.core.deps import CurrentViewer, Forbidden, PostedForm, SessionDep
from app.core.i18n import _
from app.core.templating import render
from app.measures.following import (
    SettingsInvalid,
    may_change_settings,
    measure_settings,
    update_measure_settings,
)
from app.measures.forms import MeasureSettingsIn
from app.org.models import Team
from app.org.scope import Viewer

router = APIRouter(include_in_schema=False, dependencies=[NO_PATIENT_DATA])


def _team(session: SessionDep, viewer: Viewer, team_id: int) -> Team:
    """A team whose measures the viewer may see (404 otherwise)."""
    team = session.get(Team, team_id)
    if team is None or team_id not in viewer.aggregate_team_ids:
        raise HTTPException(status_code=404, detail=_("There is no such team among yours."))
    return team


def _context(session: SessionDep, viewer: Viewer, team: Team, **extra: Any) -> dict[str, Any]:
    """Everything the settings page shows."""
    team_id = int(team.id or 0)
    context: dict[str, Any] = {
        "team": team,
        "settings": measure_settings(session, viewer=viewer, team_id=team_id),
        "may_change": may_change_settings(viewer, team_id),
        "errors": {},
        "typed": {},
        "saved": False,
    }
    context.update(extra)
    return context


@router.get("/teams/{team_id}/measures/settings")
def read_measure_settings_page(
    request: Request, team_id: int, session: SessionDep, viewer: CurrentViewer, saved: int = 0
) -> Response:
    """Show which measures the team follows and its goal lines (a form for those who may change)."""
    team = _team(session, viewer, team_id)
    context = _context(session, viewer, team, saved=bool(saved))
    return render(request, "measures/settings.html", context)


@router.post("/teams/{team_id}/measures/settings")
def update_measure_settings_page(
    request: Request, team_id: int, session: SessionDep, viewer: CurrentViewer, form: PostedForm
) -> Response:
    """Save the followed measures and goal lines, or show the form again with what to fix."""
    team = _team(session, viewer, team_id)
    if not may_change_settings(viewer, team_id):
        raise Forbidden(
            _("Only the team's improvement team and its administrators may change its measures.")
        )
    followed = [str(value) for value in form.getlist("follow")]
    typed = {str(k): str(v) for k, v in form.items() if str(k).startswith("goal-")}
    body, errors = MeasureSettingsIn.from_form(followed, typed)
    if body is not None:
        try:
            update_measure_settings(
                session, viewer=viewer, team_id=team_id, followed=body.followed, goals=body.goals
            )
        except SettingsInvalid as exc:
            errors = exc.problems
        else:
            return RedirectResponse(f"/teams/{team_id}/measures/settings?saved=1", status_code=303)
    context = _context(session, viewer, team, errors=errors, typed=typed, followed=set(followed))
    return render(request, "measures/settings.html", context, status_code=422)

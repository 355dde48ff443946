"""JSON API of what a team follows: its non-core measures and its own goal lines."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from app.audit.patient_data import NO_PATIENT_DATA
from app.core.deps import CurrentViewer, SessionDep
from app.measures.api import FORBIDDEN, INVALID, NOT_FOUND, invalid_answer
from app.measures.following import (
    MeasureSetting,
    SettingsInvalid,
    measure_settings,
    update_measure_settings,
)
from app.measures.forms import MeasureSettingsIn

router = APIRouter(prefix="/api/v1", tags=["measures"], dependencies=[NO_PATIENT_DATA])


class MeasureSettingOut(BaseModel):
    """One catalogue measure as the team follows it; ``goal`` is the team's own (null: none)."""

    id: str
    title: str
    type: str
    core: bool
    followed: bool
    default_goal: float | None
    goal: float | None
    goal_in_use: float | None


def _out(settings: list[MeasureSetting]) -> list[MeasureSettingOut]:
    """The API's view of a team's settings."""
    return [
        MeasureSettingOut(
            id=s.id,
            title=s.title,
            type=s.type,
            core=s.core,
            followed=s.followed,
            default_goal=s.default_goal,
            goal=s.goal,
            goal_in_use=s.goal_in_use,
        )
        for s in settings
    ]


@router.get("/teams/{team_id}/measure-settings", responses=NOT_FOUND)
def read_measure_settings(
    team_id: int, session: SessionDep, viewer: CurrentViewer
) -> list[MeasureSettingOut]:
    """Every catalogue measure: whether the team follows it, and the goal line it draws."""
    return _out(measure_settings(session, viewer=viewer, team_id=team_id))


@router.put("/teams/{team_id}/measure-settings", responses={**NOT_FOUND, **FORBIDDEN, **INVALID})
def update_team_measure_settings(
    team_id: int, body: MeasureSettingsIn, session: SessionDep, viewer: CurrentViewer
) -> list[MeasureSettingOut]:
    """Replace the non-core measures a team follows and its goal lines (team role or admin)."""
    try:
        settings = update_measure_settings(
            session, viewer=viewer, team_id=team_id, followed=body.followed, goals=body.goals
        )
    except SettingsInvalid as exc:
        return invalid_answer(exc.problems)  # type: ignore[return-value]
    return _out(settings)

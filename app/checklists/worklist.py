"""The team switcher of the nurse's day and the team dashboard (the day itself: day_plan).

People on several teams pick one (or all) with the team switcher: the choice comes as a query
parameter and is remembered in a cookie, shared with the team dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select
from starlette.responses import Response

from app.checklists.day_plan import MyDay, WorkItem, my_day
from app.org.models import Team

__all__ = ["MyDay", "WorkItem", "my_day", "team_choices", "chosen_team", "remember_team"]

TEAM_COOKIE = "hph_team"
ALL_TEAMS = "all"


@dataclass(frozen=True)
class TeamChoice:
    """A team the user may pick, by name."""

    id: int
    name: str


def team_choices(session: Session, team_ids: frozenset[int]) -> list[TeamChoice]:
    """The teams among these ids, by name (the name, never the organisation and a number)."""
    if not team_ids:
        return []
    rows = session.exec(
        select(Team.id, Team.name).where(col(Team.id).in_(team_ids)).order_by(col(Team.name))
    ).all()
    return [TeamChoice(int(team_id or 0), name) for team_id, name in rows]


def chosen_team(
    choices: list[TeamChoice], requested: str | None, remembered: str | None
) -> int | None:
    """The team picked (None: all), from the query, else the cookie; unknown values are ignored."""
    known = {str(choice.id): choice.id for choice in choices}
    for value in (requested, remembered):
        if value == ALL_TEAMS:
            return None
        if value in known:
            return known[value]
    return None


def remember_team(response: Response, team_id: int | None) -> None:
    """Remember the team picked (or all) for the next visit, for a year."""
    response.set_cookie(
        TEAM_COOKIE,
        str(team_id) if team_id is not None else ALL_TEAMS,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="lax",
    )

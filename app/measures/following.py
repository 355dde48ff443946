"""What each team follows: the core measures always, the other catalogue measures by choice,
each with the catalogue's goal line or the team's own.

Core measures are followed by every team, so regions stay comparable. A team's goal line is
drawn on its own charts only; organisations and networks keep the catalogue's. Anyone who
reaches the team's aggregates may read the settings; the team's improvement team (role
``team`` on it) and administrators over the team may change them, audited before and after.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlmodel import Session, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.core.deps import Forbidden
from app.core.i18n import _, current_language
from app.measures.catalogue import MeasureDefinition, measures_in_use
from app.measures.models import TeamMeasureSetting
from app.measures.service import MeasureNotFound
from app.org.models import Role
from app.org.scope import Viewer

GOAL_LIMIT = 1_000_000.0


class SettingsInvalid(ValueError):
    """What is wrong with a team's measure settings: field name → message (422)."""

    def __init__(self, problems: dict[str, str]) -> None:
        """Keep the problems by field."""
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class MeasureSetting:
    """One catalogue measure as a team follows it."""

    id: str
    title: str
    description: str
    type: str
    core: bool
    followed: bool
    default_goal: float | None
    goal: float | None

    @property
    def goal_in_use(self) -> float | None:
        """The goal line the team's charts draw."""
        return self.goal if self.goal is not None else self.default_goal


def may_change_settings(viewer: Viewer, team_id: int) -> bool:
    """Whether the viewer is on the team's improvement team or an administrator over it."""
    return any(
        team_id in grant.team_ids and grant.role in (Role.team.value, Role.admin.value)
        for grant in viewer.grants
    )


def _stored(session: Session, team_id: int) -> dict[str, TeamMeasureSetting]:
    """The team's stored choices by measure id."""
    rows = session.exec(
        select(TeamMeasureSetting).where(TeamMeasureSetting.team_id == team_id)
    ).all()
    return {row.measure_id: row for row in rows}


def followed_measures(session: Session, *, team_id: int) -> list[MeasureDefinition]:
    """The catalogue measures a team follows, core ones first, each in catalogue order."""
    stored = _stored(session, team_id)
    measures = measures_in_use().all()
    chosen = [m for m in measures if not m.core and (s := stored.get(m.id)) and s.followed]
    return [m for m in measures if m.core] + chosen


def measure_settings(session: Session, *, viewer: Viewer, team_id: int) -> list[MeasureSetting]:
    """Every catalogue measure with whether the team follows it and its goal line."""
    if team_id not in viewer.aggregate_team_ids:
        raise MeasureNotFound(_("There is no such team among yours."))
    stored = _stored(session, team_id)
    language = current_language()
    settings = []
    for measure in measures_in_use().all():
        row = stored.get(measure.id)
        settings.append(
            MeasureSetting(
                id=measure.id,
                title=measure.title.get(language),
                description=measure.description.get(language),
                type=measure.type,
                core=measure.core,
                followed=measure.core or bool(row and row.followed),
                default_goal=measure.goal,
                goal=row.goal if row else None,
            )
        )
    return settings


def settings_problems(followed: Sequence[str], goals: Mapping[str, float | None]) -> dict[str, str]:
    """Check the followed measures and goal lines; return field → message."""
    catalogue = measures_in_use()
    problems: dict[str, str] = {}
    unknown = [measure_id for measure_id in followed if measure_id not in catalogue]
    if unknown:
        problems["followed"] = _("There is no measure '{id}'.").format(id=unknown[0])
    for measure_id, goal in goals.items():
        if measure_id not in catalogue:
            problems[f"goal-{measure_id}"] = _("There is no measure '{id}'.").format(id=measure_id)
            continue
        kind = catalogue.get(measure_id).type
        if goal is None:
            continue
        if kind == "proportion" and not (math.isfinite(goal) and 0 <= goal <= 100):
            message = _("The goal of a proportion is a percentage from 0 to 100.")
        elif kind == "count" and not (math.isfinite(goal) and 0 <= goal <= GOAL_LIMIT):
            message = _("The goal of a count is a number from 0 upwards.")
        elif not (math.isfinite(goal) and abs(goal) <= GOAL_LIMIT):
            message = _("The goal must be an ordinary number.")
        else:
            continue
        problems[f"goal-{measure_id}"] = message
    return problems


def _summary(stored: Mapping[str, TeamMeasureSetting]) -> dict[str, object]:
    """The team's choices as the audit log shows them."""
    return {
        "followed": sorted(m for m, row in stored.items() if row.followed),
        "goals": {m: row.goal for m, row in sorted(stored.items()) if row.goal is not None},
    }


def update_measure_settings(
    session: Session,
    *,
    viewer: Viewer,
    team_id: int,
    followed: Sequence[str],
    goals: Mapping[str, float | None],
) -> list[MeasureSetting]:
    """Replace the team's followed measures and goal lines (audited before and after)."""
    if team_id not in viewer.aggregate_team_ids:
        raise MeasureNotFound(_("There is no such team among yours."))
    if not may_change_settings(viewer, team_id):
        raise Forbidden(
            _("Only the team's improvement team and its administrators may change its measures.")
        )
    problems = settings_problems(followed, goals)
    if problems:
        raise SettingsInvalid(problems)
    stored = _stored(session, team_id)
    before = _summary(stored)
    catalogue = measures_in_use()
    wanted = {m for m in followed if not catalogue.get(m).core}
    kept: set[str] = set()
    for measure in catalogue.all():
        goal = goals.get(measure.id)
        follows = measure.id in wanted
        if not follows and goal is None:
            continue
        row = stored.get(measure.id) or TeamMeasureSetting(team_id=team_id, measure_id=measure.id)
        row.followed, row.goal = follows, goal
        session.add(row)
        kept.add(measure.id)
    for measure_id, row in stored.items():
        if measure_id not in kept:
            session.delete(row)
    session.flush()
    after = _summary(_stored(session, team_id))
    if after != before:
        record(
            session,
            viewer=viewer,
            action=AuditAction.update,
            what=f"measure settings of team {team_id}",
            detail=json.dumps({"before": before, "after": after}, ensure_ascii=False),
        )
    return measure_settings(session, viewer=viewer, team_id=team_id)

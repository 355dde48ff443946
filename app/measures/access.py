"""Who may see which unit's measures, and when small counts are suppressed.

Who sees what (DESIGN.md §1, HPH.md §5):

- a team's series: anyone whose grants reach the team (``viewer.aggregate_team_ids``);
- an organisation's, a network's or everything's series: a viewer whose grants reach every
  team in it; and, for ``core`` measures (compared across regions), any coordinator or
  administrator;
- counts are shown as they are only to a viewer who may see the patients of every team in
  the unit (nurse or team member there); everyone else gets them through ``suppression``
  (small cells and the cells they could be worked out from are hidden: value None,
  ``suppressed``, a gap in the chart);
- the items behind a point: only team members of that team (``viewer.patient_team_ids``),
  and every patient shown is audited as a read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from app.core.i18n import _
from app.measures.aggregate import Level
from app.org.models import LearningNetwork, Organisation, Role, Team
from app.org.scope import Viewer


@dataclass(frozen=True)
class Unit:
    """A team, organisation, network or everything, with the teams it covers."""

    id: int
    name: str
    team_ids: frozenset[int]


def units_of(session: Session, level: Level) -> dict[int, Unit]:
    """Every unit of a level with its teams (one small query over the organisation tables)."""
    return _units(_unit_rows(session), level)


def all_units(session: Session) -> dict[Level, dict[int, Unit]]:
    """Every unit of every level with its teams, from the same one query."""
    rows = _unit_rows(session)
    return {level: _units(rows, level) for level in Level}


def _unit_rows(session: Session) -> list[Any]:
    """Each team with its organisation and network: ids and names."""
    return list(
        session.execute(
            select(col(Team.id), col(Team.name), col(Organisation.id), col(Organisation.name))
            .add_columns(col(LearningNetwork.id), col(LearningNetwork.name))
            .join(Organisation, col(Organisation.id) == col(Team.organisation_id))
            .join(LearningNetwork, col(LearningNetwork.id) == col(Organisation.network_id))
        ).all()
    )


def _units(rows: Sequence[Any], level: Level) -> dict[int, Unit]:
    """The units of one level, from the teams' rows (team, organisation, network: id, name)."""
    units: dict[int, tuple[str, set[int]]] = {}
    if level == Level.all:
        return {0: Unit(0, _("All teams"), frozenset(int(row[0]) for row in rows))} if rows else {}
    column = {Level.team: 0, Level.organisation: 2, Level.network: 4}[level]
    for row in rows:
        units.setdefault(int(row[column]), (row[column + 1], set()))[1].add(int(row[0]))
    return {key: Unit(key, name, frozenset(teams)) for key, (name, teams) in units.items()}


def may_see_unit(viewer: Viewer, unit: Unit, *, level: Level, core: bool) -> bool:
    """Whether the viewer may see a unit's aggregates (see the module docstring)."""
    if unit.team_ids and unit.team_ids <= viewer.aggregate_team_ids:
        return True
    comparing = core and viewer.has_role(Role.coordinator.value, Role.admin.value)
    return level != Level.team and comparing


def suppresses_for(viewer: Viewer, unit: Unit) -> bool:
    """Whether small counts are hidden from this viewer for this unit."""
    return not (unit.team_ids and unit.team_ids <= viewer.patient_team_ids)

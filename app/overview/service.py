"""The network's overview: the units a viewer may see × the measures, one chart summary a cell.

Rows are the teams, organisations or networks (regions) whose every team the viewer reaches
(coordinators: their networks; team members: their own teams). Columns are the core
measures, and with ``measures="all"`` also the other measures a team among the rows follows.
Each cell summarises the unit's monthly chart (``app.overview.charts``), so the overview
says what the charts say, suppression included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from app.core.deps import Forbidden
from app.core.i18n import _
from app.measures.access import Unit, units_of
from app.measures.aggregate import Level
from app.measures.catalogue import MeasureDefinition, measures_in_use
from app.measures.chart_data import MeasureInfo, MeasureRequestError
from app.measures.following import followed_measures
from app.measures.service import measure_info
from app.org.models import Role
from app.org.scope import Viewer
from app.overview.cells import Cell, cell_of
from app.overview.charts import charts_by_network_rules, group_by_rules
from app.overview.icons import ASSURANCE_ORDER, VARIATION_ORDER, Assurance, Variation

LEVELS = (Level.team, Level.organisation, Level.network)
SORTS = ("name", "variation", "assurance")


@dataclass
class Row:
    """One unit and its cells by measure id."""

    unit: Unit
    cells: dict[str, Cell]


@dataclass(frozen=True)
class Choice:
    """What the viewer asked for: level, columns, filter and sort."""

    level: Level
    measures: str = "core"
    variation: Variation | None = None
    assurance: Assurance | None = None
    measure: str | None = None
    sort: str = "name"


@dataclass
class Overview:
    """The grid as shown: columns, rows (filtered and sorted) and how many rows there were."""

    choice: Choice
    columns: list[MeasureInfo]
    rows: list[Row]
    total: int
    periods: dict[str, str] = field(default_factory=dict)


def default_level(viewer: Viewer) -> Level:
    """Coordinators and administrators start with networks, team members with their teams."""
    if viewer.has_role(Role.coordinator.value, Role.admin.value):
        return Level.network
    return Level.team


def parse_choice(
    viewer: Viewer,
    *,
    level: str | None,
    measures: str | None,
    variation: str | None,
    assurance: str | None,
    measure: str | None,
    sort: str | None,
) -> Choice:
    """Check the overview's query parameters (MeasureRequestError names what is wrong)."""
    try:
        chosen = Level(level) if level else default_level(viewer)
    except ValueError:
        chosen = None
    if chosen not in LEVELS:
        raise MeasureRequestError(_("Show teams, organisations or networks."))
    try:
        wanted_variation = Variation(variation) if variation else None
        wanted_assurance = Assurance(assurance) if assurance else None
    except ValueError as exc:
        raise MeasureRequestError(_("Filter by one of the icons listed.")) from exc
    if measure and measure not in measures_in_use():
        raise MeasureRequestError(_("There is no measure '{id}'.").format(id=measure))
    if sort and sort not in SORTS:
        raise MeasureRequestError(_("Sort by name, variation or assurance."))
    return Choice(
        level=chosen,
        measures="all" if measures == "all" else "core",
        variation=wanted_variation,
        assurance=wanted_assurance,
        measure=measure or None,
        sort=sort or "name",
    )


def overview_units(session: Session, *, viewer: Viewer, level: Level) -> list[Unit]:
    """The units of a level all of whose teams the viewer reaches, by name."""
    units = units_of(session, level).values()
    mine = [u for u in units if u.team_ids and u.team_ids <= viewer.aggregate_team_ids]
    return sorted(mine, key=lambda u: (u.name.casefold(), u.id))


def overview_measures(
    session: Session, *, units: Sequence[Unit], measures: str
) -> tuple[list[MeasureDefinition], dict[str, frozenset[int]]]:
    """The columns, and for measures that are not core, the teams that follow each."""
    catalogue = measures_in_use()
    columns = catalogue.core()
    followers: dict[str, set[int]] = {}
    if measures == "all":
        for team_id in sorted(frozenset().union(*(u.team_ids for u in units))):
            for measure in followed_measures(session, team_id=team_id):
                if not measure.core:
                    followers.setdefault(measure.id, set()).add(team_id)
        columns += [m for m in catalogue.all() if m.id in followers]
    return columns, {key: frozenset(teams) for key, teams in followers.items()}


def cell_link(viewer: Viewer, *, measure: MeasureDefinition, level: Level, unit: Unit) -> str:
    """Where a cell leads: the team's dashboard, the comparison, or the chart itself."""
    if level == Level.team and viewer.may_see_patients_of(unit.id):
        return f"/teams/{unit.id}/dashboard?period=month"
    if measure.core:
        return f"/comparison?measure={measure.id}&level={level.value}&period=month"
    return f"/measures/{measure.id}/chart.svg?level={level.value}&unit_id={unit.id}&period=month"


def network_overview(
    session: Session,
    *,
    viewer: Viewer,
    choice: Choice,
    now: datetime,
    within: frozenset[int] | None = None,
) -> Overview:
    """Every unit × measure the viewer may see (``within``: only units of these teams),
    summarised from their charts (each read by the rule set its network chose)."""
    if not viewer.has_role(Role.team.value, Role.coordinator.value, Role.admin.value):
        raise Forbidden(_("The overview is for improvement teams and coordinators."))
    units = overview_units(session, viewer=viewer, level=choice.level)
    if within is not None:
        units = [unit for unit in units if unit.team_ids <= within]
    if not units:
        raise Forbidden(_("You may not see any unit at this level."))
    columns, followers = overview_measures(session, units=units, measures=choice.measures)
    rows = [Row(unit, {}) for unit in units]
    periods: dict[str, str] = {}
    groups = group_by_rules(session, level=choice.level, units=units)
    for measure in columns:
        found = charts_by_network_rules(
            session, viewer=viewer, measure=measure, level=choice.level, groups=groups, now=now
        )
        periods[measure.id] = found.period
        for row in rows:
            unit = row.unit
            link = cell_link(viewer, measure=measure, level=choice.level, unit=unit)
            if not measure.core and not unit.team_ids & followers.get(measure.id, frozenset()):
                row.cells[measure.id] = Cell(unit.id, measure.id, link, followed=False)
                continue
            row.cells[measure.id] = cell_of(
                found.charts[unit.id], href=link, hidden_counts=found.hidden_counts.get(unit.id)
            )
    shown = arrange(rows, choice=choice, first=columns[0].id)
    return Overview(choice, [measure_info(m) for m in columns], shown, len(rows), periods)


def _matches(cell: Cell | None, choice: Choice) -> bool:
    """Whether a cell carries the icons filtered for."""
    if cell is None or not cell.followed:
        return False
    if choice.variation is not None and cell.variation != choice.variation:
        return False
    return choice.assurance is None or cell.assurance == choice.assurance


def arrange(rows: list[Row], *, choice: Choice, first: str) -> list[Row]:
    """Filter rows by icon (in the chosen measure, else in any) and sort them."""
    if choice.variation is not None or choice.assurance is not None:
        if choice.measure:
            rows = [r for r in rows if _matches(r.cells.get(choice.measure), choice)]
        else:
            rows = [r for r in rows if any(_matches(c, choice) for c in r.cells.values())]
    if choice.sort == "name":
        return rows
    key = choice.measure if choice.measure else first

    def rank(row: Row) -> tuple[int, str]:
        cell = row.cells.get(key)
        if cell is None or not cell.followed:
            return (len(VARIATION_ORDER), row.unit.name.casefold())
        if choice.sort == "variation":
            return (VARIATION_ORDER.index(cell.variation), row.unit.name.casefold())
        return (ASSURANCE_ORDER.index(cell.assurance), row.unit.name.casefold())

    return sorted(rows, key=rank)

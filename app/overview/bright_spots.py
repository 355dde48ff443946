"""Bright spots ("Lær av andre"): teams whose core measure holds an improvement, and what
they tested.

A bright spot is a team whose monthly chart of a core measure shows a special cause in the
good direction at each of its latest complete points (``icons.sustained_improvement``). The
chart is read over the whole range without the new phases the team's tested changes start:
a phase re-centres a team's own chart on its new level, which would hide the very
improvement a bright spot is about. Beside it stand the team's tested changes on that
measure (or on all) up to the end of the signal: those before it and those during it.

Who sees them: coordinators and administrators the teams they reach; team members every
team of the networks their teams belong to, so that teams can learn from each other. Counts
are suppressed as everywhere for units whose patients the viewer does not see; change
titles and descriptions are not patient data, and no author is named.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from app.core.deps import Forbidden
from app.core.i18n import _
from app.measures.access import Unit, units_of
from app.measures.aggregate import Level
from app.measures.catalogue import measures_in_use
from app.measures.chart_data import MeasureInfo, team_annotations
from app.measures.models import Annotation
from app.measures.service import MeasureNotFound, measure_info
from app.org.models import Role
from app.org.scope import Viewer
from app.overview.cells import format_value
from app.overview.charts import charts_by_network_rules, group_by_rules
from app.overview.icons import sustained_improvement


@dataclass(frozen=True)
class Change:
    """A tested change as others may read it: when, what, and on which measure."""

    happened_on: date
    title: str
    description: str | None
    measure_title: str
    during: bool = False
    key: int = 0


@dataclass(frozen=True)
class BrightSpot:
    """A team holding an improvement on a core measure, since when, and what it tested."""

    team_id: int
    team_name: str
    network_name: str
    measure: MeasureInfo
    since: str
    until: str
    since_day: date
    latest: str
    changes: list[Change]


@dataclass(frozen=True)
class TeamSpots:
    """One team's bright spots and the changes behind them, each change once."""

    team_id: int
    team_name: str
    network_name: str
    spots: list[BrightSpot]
    changes: list[Change]


def by_team(spots: list[BrightSpot]) -> list[TeamSpots]:
    """Group bright spots by team; a change is "during" when it falls in any of them."""
    teams: dict[int, list[BrightSpot]] = {}
    for spot in spots:
        teams.setdefault(spot.team_id, []).append(spot)
    grouped = []
    for team_spots in teams.values():
        first = team_spots[0]
        changes: dict[int, Change] = {}
        for spot in team_spots:
            for change in spot.changes:
                known = changes.get(change.key)
                if known is None or (change.during and not known.during):
                    changes[change.key] = change
        ordered = sorted(changes.values(), key=lambda c: (c.happened_on, c.key))
        grouped.append(
            TeamSpots(first.team_id, first.team_name, first.network_name, team_spots, ordered)
        )
    return grouped


def learning_teams(session: Session, *, viewer: Viewer) -> dict[int, tuple[Unit, str]]:
    """Team id → (team, network name) of every team whose bright spots the viewer may read."""
    if not viewer.has_role(Role.team.value, Role.coordinator.value, Role.admin.value):
        raise Forbidden(_("Bright spots are for improvement teams and coordinators."))
    teams = units_of(session, Level.team)
    found: dict[int, tuple[Unit, str]] = {}
    for network in units_of(session, Level.network).values():
        if viewer.has_role(Role.coordinator.value, Role.admin.value):
            reach = network.team_ids & viewer.aggregate_team_ids
        else:
            own = network.team_ids & viewer.aggregate_team_ids
            reach = network.team_ids if own else frozenset()
        for team_id in reach:
            found[team_id] = (teams[team_id], network.name)
    return found


def measure_title(key: str | None) -> str:
    """The title of the measure a change was marked on ("All measures" when on all)."""
    if key is None:
        return _("All measures")
    catalogue = measures_in_use()
    if key in catalogue:
        return measure_info(catalogue.get(key)).title
    return _("The team's own measure")


def bright_spots(
    session: Session,
    *,
    viewer: Viewer,
    now: datetime,
    team_id: int | None = None,
    within: frozenset[int] | None = None,
) -> list[BrightSpot]:
    """Bright spots among the teams the viewer may learn from (or of one of them, or of those
    ``within`` a set of teams)."""
    reach = learning_teams(session, viewer=viewer)
    if team_id is not None:
        reach = {team_id: reach[team_id]} if team_id in reach else {}
    if within is not None:
        reach = {key: value for key, value in reach.items() if key in within}
    units = sorted((unit for unit, _network in reach.values()), key=lambda u: u.id)
    spots: list[BrightSpot] = []
    groups = group_by_rules(session, level=Level.team, units=units)
    for measure in measures_in_use().core():
        found = charts_by_network_rules(
            session, viewer=viewer, measure=measure, level=Level.team, groups=groups, now=now,
            phases=False,
        )  # fmt: skip
        for unit in units:
            chart = found.charts[unit.id]
            streak = sustained_improvement(chart.result, direction=measure.direction)
            if not streak:
                continue
            start = chart.points[streak[0].number - 1].period_start
            last = chart.points[streak[-1].number - 1]
            notes = team_annotations(
                session, team_ids=[unit.id], measure_key=measure.id, last=chart.end
            )[unit.id]
            changes = [
                Change(
                    happened_on=note.happened_on,
                    title=note.title,
                    description=note.description,
                    measure_title=measure_title(note.measure_key),
                    during=note.happened_on >= start,
                    key=int(note.id or 0),
                )
                for note in sorted(notes, key=lambda n: (n.happened_on, n.id or 0))
                if note.happened_on >= chart.start
            ]
            spots.append(
                BrightSpot(
                    team_id=unit.id,
                    team_name=unit.name,
                    network_name=reach[unit.id][1],
                    measure=chart.measure,
                    since=streak[0].period,
                    until=streak[-1].period,
                    since_day=start,
                    latest=format_value(last.value or 0.0, measure.type),
                    changes=changes,
                )
            )
    return sorted(spots, key=lambda s: (s.network_name, s.team_name.casefold(), s.measure.title))


def team_changes(session: Session, *, viewer: Viewer, team_id: int) -> tuple[Unit, list[Change]]:
    """A team the viewer may learn from and all its tested changes, newest first."""
    reach = learning_teams(session, viewer=viewer)
    if team_id not in reach:
        raise MeasureNotFound(_("There is no such team among those you may learn from."))
    notes = session.exec(
        select(Annotation)
        .where(Annotation.team_id == team_id)
        .order_by(col(Annotation.happened_on).desc(), col(Annotation.id).desc())
    ).all()
    changes = [
        Change(note.happened_on, note.title, note.description, measure_title(note.measure_key))
        for note in notes
    ]
    return reach[team_id][0], changes

"""What the charts of one page read, each read once: the units, the teams' tested changes,
left-out points and goal lines, and the counts.

A dashboard draws a dozen measures for one team and a comparison draws, counts in a table and
funnels one measure across units: without this, each chart would read the same units and the
same team settings again, and the comparison would count the same items up to four times. A
page makes one ``ChartReads`` and hands it to every series it builds; it lives no longer than
the page (one session, one ``now``), so it never serves a stale row.

Counts are reused exactly: a request for counts that an earlier one of the same page already
holds (same measure and ``now``) is answered from it when the earlier one covered every team
and whole periods of the same kind around the asked ones; a unit's count is then the sum of
its teams' counts, as ``count_items`` adds them up itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlmodel import Session, col, select

from app.measures.access import Unit, all_units
from app.measures.aggregate import CountRow, Level, count_items
from app.measures.catalogue import MeasureDefinition
from app.measures.models import Annotation, PointExclusion, TeamMeasureSetting
from app.measures.periods import Window

CountKey = tuple[str, Level, Window, tuple[int, ...] | None, tuple[int, ...] | None]


class ChartReads:
    """One page's reads for its charts (see the module docstring)."""

    def __init__(self, session: Session) -> None:
        """Start with nothing read."""
        self.session = session
        self._units: dict[Level, dict[int, Unit]] | None = None
        self._notes: dict[int, list[Annotation]] = {}
        self._points: dict[int, list[PointExclusion]] = {}
        self._goals: dict[int, dict[str, float]] = {}
        self._counts: dict[CountKey, list[CountRow]] = {}

    def units(self, level: Level) -> dict[int, Unit]:
        """Every unit of a level with its teams (every level from one query, once)."""
        if self._units is None:
            self._units = all_units(self.session)
        return self._units[Level(level)]

    def _read_teams(self, team_ids: Sequence[int]) -> None:
        """Read the tested changes, left-out points and goal lines of teams not yet read."""
        missing = sorted({t for t in team_ids if t not in self._notes})
        if not missing:
            return
        for team_id in missing:
            self._notes[team_id], self._points[team_id], self._goals[team_id] = [], [], {}
        for note in self.session.exec(
            select(Annotation).where(col(Annotation.team_id).in_(missing))
        ).all():
            self._notes[note.team_id].append(note)
        for point in self.session.exec(
            select(PointExclusion).where(col(PointExclusion.team_id).in_(missing))
        ).all():
            self._points[point.team_id].append(point)
        setting = TeamMeasureSetting
        for team_id, measure_id, goal in self.session.exec(
            select(setting.team_id, setting.measure_id, setting.goal)
            .where(col(setting.team_id).in_(missing))
            .where(col(setting.goal).is_not(None))
        ).all():
            if goal is not None:
                self._goals[int(team_id)][measure_id] = float(goal)

    def annotations(
        self, *, team_ids: Sequence[int], measure_key: str, last: date
    ) -> dict[int, list[Annotation]]:
        """Teams' annotations on one measure (or on all) up to a date, by team."""
        self._read_teams(team_ids)
        return {
            team_id: [
                note
                for note in self._notes[team_id]
                if note.measure_key in (None, measure_key) and note.happened_on <= last
            ]
            for team_id in team_ids
        }

    def exclusions(
        self, *, team_ids: Sequence[int], measure_key: str
    ) -> dict[int, dict[str, set[date]]]:
        """Teams' excluded points of one measure: team → period type → period starts."""
        self._read_teams(team_ids)
        found: dict[int, dict[str, set[date]]] = {team_id: {} for team_id in team_ids}
        for team_id in team_ids:
            for point in self._points[team_id]:
                if point.measure_key == measure_key:
                    found[team_id].setdefault(point.period_type, set()).add(point.period_start)
        return found

    def team_annotations(self, team_id: int) -> list[Annotation]:
        """A team's annotations on every measure, newest first (as ``list_annotations``)."""
        self._read_teams([team_id])
        return sorted(self._notes[team_id], key=lambda n: (n.happened_on, n.id or 0), reverse=True)

    def team_exclusions(self, team_id: int) -> list[PointExclusion]:
        """A team's excluded points, newest period first (as ``list_exclusions``)."""
        self._read_teams([team_id])
        return sorted(
            self._points[team_id], key=lambda x: (x.period_start, x.id or 0), reverse=True
        )

    def goals(self, *, team_ids: Sequence[int], measure_id: str) -> dict[int, float]:
        """Team id → the team's own goal line for a measure, for the teams that set one."""
        self._read_teams(team_ids)
        return {t: self._goals[t][measure_id] for t in team_ids if measure_id in self._goals[t]}

    def counts(
        self,
        measure: MeasureDefinition,
        *,
        level: Level,
        window: Window,
        unit_ids: Sequence[int] | None = None,
        team_ids: Sequence[int] | None = None,
    ) -> list[CountRow]:
        """``count_items``, counted once per page (see the module docstring)."""
        level = Level(level)
        if level == Level.all:  # one unit: count_items takes no unit ids there
            unit_ids = None
        key: CountKey = (measure.id, level, window, _ids(unit_ids), _ids(team_ids))
        rows = self._counts.get(key)
        if rows is None:
            rows = self._derived(key)
        if rows is None:
            rows = count_items(
                self.session,
                measure,
                level=level,
                window=window,
                unit_ids=unit_ids,
                team_ids=team_ids,
            )
        self._counts[key] = rows
        return rows

    def _derived(self, key: CountKey) -> list[CountRow] | None:
        """Counts added up from ones already counted that hold them whole, or None."""
        measure_id, level, window, unit_ids, team_ids = key
        for (held_id, held_level, held, held_units, held_teams), rows in self._counts.items():
            if held_id != measure_id or held_units is not None or held_teams is not None:
                continue
            if not _holds(held, window):
                continue
            if held_level == level and (team_ids is None or level == Level.team):
                return _added_up(rows, window, None, unit_ids, team_ids)
            if held_level == Level.team:
                return _added_up(rows, window, self.units(level), unit_ids, team_ids)
        return None


def _ids(ids: Sequence[int] | None) -> tuple[int, ...] | None:
    """Ids as a key."""
    return None if ids is None else tuple(ids)


def _holds(held: Window, asked: Window) -> bool:
    """Whether counts of ``held`` hold those of ``asked`` whole: same moment and period kinds,
    ``asked`` whole periods of that kind inside ``held``."""
    if (held.now, held.by_week, held.by_month) != (asked.now, asked.by_week, asked.by_month):
        return False
    if asked.by_week == asked.by_month:  # weeks and months together cut each other
        return held == asked
    after = asked.last_day + timedelta(days=1)
    if asked.by_week:
        whole = asked.first_day.weekday() == 0 and after.weekday() == 0
    else:
        whole = asked.first_day.day == 1 and after.day == 1
    return whole and held.first_day <= asked.first_day and asked.last_day <= held.last_day


def _added_up(
    rows: Sequence[CountRow],
    window: Window,
    units: dict[int, Unit] | None,
    unit_ids: tuple[int, ...] | None,
    team_ids: tuple[int, ...] | None,
) -> list[CountRow]:
    """Rows in a window's periods, teams' rows added up into units' (``units``) if given."""
    wanted_teams = None if team_ids is None else set(team_ids)
    owners: dict[int, list[int]] = {}
    for unit in (units or {}).values():
        for team_id in unit.team_ids:
            owners.setdefault(team_id, []).append(unit.id)
    found: dict[tuple[int, date | None, date | None], list[float]] = {}
    for row in rows:
        start = row.week if window.by_week else row.month
        if start is None or not window.first_day <= start <= window.last_day:
            continue
        if wanted_teams is not None and row.unit_id not in wanted_teams:
            continue
        for unit_id in owners.get(row.unit_id, ()) if units is not None else (row.unit_id,):
            if unit_ids is not None and unit_id not in unit_ids:
                continue
            entry = found.setdefault((unit_id, row.week, row.month), [0.0, 0.0, 0])
            entry[0] += row.numerator
            entry[1] += row.denominator
            entry[2] += row.pending
    return [
        CountRow(unit, week, month, num, den, int(pending))
        for (unit, week, month), (num, den, pending) in sorted(
            found.items(), key=lambda e: (e[0][0], e[0][1] or date.min, e[0][2] or date.min)
        )
    ]

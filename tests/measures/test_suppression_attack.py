"""An adversarial test of suppression: read everything a coordinator can, then try to work out
every hidden count by adding and subtracting what is shown (issue 17, defect 2).

The network: two networks, three organisations, six teams, six months of a core measure with
many small counts. The coordinator reads every unit's chart at every level (team,
organisation, network, all) by month over several date ranges, the comparison table of every
level for every range of whole months, and the funnel of each range. Each shown value is a linear
equation over the unknown counts of (team, month); a value shown as 0 also tells that every
count in it is 0. A hidden cell is recovered when its vector lies in the span of the shown
ones (exact arithmetic): that covers every difference of two values, of overlapping ranges,
and of a total and its visible points. None may be recovered.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable
from datetime import date, timedelta
from fractions import Fraction

import pytest
from sqlmodel import Session

from app.dashboards.comparison import comparison, funnel_months
from app.measures.access import units_of
from app.measures.aggregate import Level
from app.measures.service import MeasureRequestError, measure_series
from app.org.models import Membership, Team
from app.org.scope import Viewer
from tests.factories import make_network, make_organisation, make_patient, make_team, make_user
from tests.measures.conftest import end_of_day, local, make_instance, pathway_of, viewer_of

MEASURE = "hph-2-on-time"
MONTHS = [date(2026, m, 1) for m in range(1, 7)]
NOW = local(date(2026, 7, 15))  # every month up to June has ended
Atom = tuple[int, date]  # (team id, first day of a month)


def _fill(db: Session, team: Team, month: date, due: int, done: int) -> None:
    """``due`` first visits of a team falling due mid-month, ``done`` of them on time."""
    pathway = pathway_of(db, make_patient(db, team))
    day = month + timedelta(days=14)
    for n in range(due):
        make_instance(
            db,
            team=team,
            pathway=pathway,
            definition_id="hph-2",
            window_end=end_of_day(day),
            status="completed" if n < done else "due",
            performed_at=local(day, 9) if n < done else None,
            occurrence=n,
        )


@pytest.fixture
def world(db: Session) -> list[Team]:
    """Six teams in 2 networks and 3 organisations; month 1 is the case of the issue."""
    first, second = make_network(db), make_network(db)
    o1, o2, o3 = (
        make_organisation(db, first),
        make_organisation(db, first),
        make_organisation(db, second),
    )
    teams = [make_team(db, o1), make_team(db, o1), make_team(db, o1), make_team(db, o2)]
    teams += [make_team(db, o3), make_team(db, o3)]
    # organisation 1 in January: 10/21; team 1: 8/18; team 2: 2/3 (hidden), team 3: none
    _fill(db, teams[0], MONTHS[0], 18, 8)
    _fill(db, teams[1], MONTHS[0], 3, 2)
    pick = random.Random(17)
    for team, month in itertools.product(teams, MONTHS):
        if month == MONTHS[0] and team in teams[:3]:
            continue
        due = pick.choice([0, 2, 3, 6, 9, 12, 15, 20, 25, 30])
        _fill(db, team, month, due, pick.randint(0, due))
    db.flush()
    return teams


class Span:
    """Vectors over the atoms in reduced row echelon form (exact fractions)."""

    def __init__(self) -> None:
        self.rows: dict[Atom, dict[Atom, Fraction]] = {}

    def reduce(self, vector: dict[Atom, Fraction]) -> dict[Atom, Fraction]:
        """What is left of a vector after taking off the span."""
        left = dict(vector)
        for pivot, row in self.rows.items():
            factor = left.get(pivot)
            if factor:
                for atom, value in row.items():
                    left[atom] = left.get(atom, Fraction(0)) - factor * value
        return {atom: value for atom, value in left.items() if value}

    def add(self, vector: dict[Atom, Fraction]) -> None:
        """Widen the span by one vector."""
        left = self.reduce(vector)
        if not left:
            return
        pivot = min(left)
        row = {atom: value / left[pivot] for atom, value in left.items()}
        for other in self.rows.values():
            factor = other.get(pivot)
            if factor:
                for atom, value in row.items():
                    other[atom] = other.get(atom, Fraction(0)) - factor * value
                    if not other[atom]:
                        del other[atom]
        self.rows[pivot] = row


class Reader:
    """What one viewer reads: equations per count (numerator, denominator), hidden cells."""

    def __init__(self, db: Session, viewer: Viewer) -> None:
        self.db, self.viewer = db, viewer
        self.units = {level: units_of(db, level) for level in Level}
        self.equations: dict[str, list[tuple[frozenset[Atom], float]]] = {"n": [], "d": []}
        self.hidden: set[tuple[Level, int, date]] = set()
        self.shown: dict[tuple[Level, int, date], tuple[float, float]] = {}
        self.values_read = 0

    def atoms(self, level: Level, unit_id: int, months: Iterable[date]) -> frozenset[Atom]:
        """The (team, month) counts a unit's value over some months adds up."""
        teams = self.units[level][unit_id].team_ids
        return frozenset(itertools.product(teams, months))

    def equation(self, atoms: frozenset[Atom], numerator: float, denominator: float) -> None:
        """Note one shown value."""
        self.equations["n"].append((atoms, numerator))
        self.equations["d"].append((atoms, denominator))
        self.values_read += 1

    def read_charts(self, ranges: list[tuple[date, date]]) -> None:
        """Every unit's monthly chart over each range; a week is refused."""
        for level, units in self.units.items():
            for unit_id, (first, last) in itertools.product(units, ranges):
                chart = measure_series(
                    self.db, viewer=self.viewer, measure_id=MEASURE, level=level,
                    unit_id=unit_id, period="month", start=first, end=last, now=NOW,
                )  # fmt: skip
                for point in chart.points:
                    cell = (level, unit_id, point.period_start)
                    if point.suppressed:
                        assert cell not in self.shown, f"{cell} shown in another range"
                        self.hidden.add(cell)
                        continue
                    counts = (point.numerator or 0.0, point.denominator or 0.0)
                    assert self.shown.setdefault(cell, counts) == counts, "ranges disagree"
                    assert cell not in self.hidden, f"{cell} hidden in another range"
                    self.equation(self.atoms(level, unit_id, [point.period_start]), *counts)

    def read_comparisons(self, ranges: list[tuple[date, date]]) -> None:
        """The comparison table of every level over every range, and the funnel of each range's
        whole months that have ended."""
        for level, (first, last) in itertools.product(
            (Level.team, Level.organisation, Level.network), ranges
        ):
            found = comparison(
                self.db, viewer=self.viewer, measure_id=MEASURE, level=level.value,
                period="month", start=first, end=last, now=NOW,
            )  # fmt: skip
            months = [m for m in MONTHS if first <= m <= last]
            for row in found.rows:
                if not row.suppressed:
                    atoms = self.atoms(level, row.unit_id, months)
                    self.equation(atoms, float(row.numerator), float(row.denominator))
            names = {u.name: u.id for u in self.units[level].values()}
            covered = funnel_months(NOW.date(), first, last)
            funnel = [m for m in MONTHS if covered and covered[0] <= m <= covered[1]]
            for point in found.funnel:
                atoms = self.atoms(level, names[point["unit"]], funnel)
                self.equation(atoms, point["rate"] * point["n"] / 100, point["n"])

    def weeks_refused(self) -> bool:
        """Whether every level refuses weeks for a unit the viewer gets suppressed."""
        for level, units in self.units.items():
            try:
                measure_series(
                    self.db, viewer=self.viewer, measure_id=MEASURE, level=level,
                    unit_id=max(units), period="week", start=None, end=None, now=NOW,
                )  # fmt: skip
            except MeasureRequestError:
                continue
            return False
        return True

    def know(self, team: Team) -> None:
        """A team whose counts the viewer may see as they are (a team member there)."""
        for month in MONTHS:
            cell = (Level.team, int(team.id or 0), month)
            assert cell in self.shown
            self.equation(frozenset({(int(team.id or 0), month)}), *self.shown[cell])

    def recovered(self) -> dict[str, list[tuple[Level, int, date]]]:
        """The hidden cells whose numerator or denominator the shown values pin down."""
        found: dict[str, list[tuple[Level, int, date]]] = {}
        for count, equations in self.equations.items():
            span = Span()
            zero = set().union(*(atoms for atoms, value in equations if value == 0))
            for atom in zero:  # counts are never negative: a shown 0 is 0 in every part
                span.add({atom: Fraction(1)})
            for atoms, _value in equations:
                span.add(dict.fromkeys(atoms, Fraction(1)))
            found[count] = [
                cell
                for cell in sorted(self.hidden)
                if not span.reduce(
                    dict.fromkeys(self.atoms(cell[0], cell[1], [cell[2]]), Fraction(1))
                )
            ]
        return found


def _ranges() -> list[tuple[date, date]]:
    """Every range of whole months, plus ranges starting and ending mid-month."""
    whole = [
        (MONTHS[i], (MONTHS[j] + timedelta(days=32)).replace(day=1) - timedelta(days=1))
        for i in range(len(MONTHS))
        for j in range(i, len(MONTHS))
    ]
    return whole + [(date(2026, 1, 20), date(2026, 3, 10)), (date(2026, 2, 14), date(2026, 6, 2))]


def _attack(reader: Reader) -> dict[str, list[tuple[Level, int, date]]]:
    """Read everything and try every recovery; print the figures for the report."""
    reader.read_charts(
        [
            (MONTHS[0], date(2026, 6, 30)),
            (MONTHS[0], date(2026, 3, 31)),
            (date(2026, 3, 1), date(2026, 4, 30)),
            (date(2026, 4, 1), date(2026, 6, 30)),
        ]
    )
    reader.read_comparisons(_ranges())
    found = reader.recovered()
    print(  # noqa: T201 - the figures of the attack, shown with -s
        f"read {reader.values_read} values; tried {len(reader.hidden)} hidden cells; "
        f"recovered {len(set(found['n']) | set(found['d']))}"
    )
    return found


def test_no_hidden_count_can_be_worked_out_by_a_coordinator(db: Session, world) -> None:  # type: ignore[no-untyped-def]
    coordinator = make_user(db, role="coordinator", network=make_network(db))
    for network_id in {int(u.id) for u in units_of(db, Level.network).values()}:
        db.add(Membership(user_id=int(coordinator.id or 0), role="coordinator",
                          scope_kind="network", network_id=network_id))  # fmt: skip
    db.flush()
    reader = Reader(db, viewer_of(db, coordinator))
    found = _attack(reader)
    assert found == {"n": [], "d": []}
    team1, team2 = (int(t.id or 0) for t in world[:2])
    assert (Level.team, team2, MONTHS[0]) in reader.hidden  # 2/3
    # 8/18 and 10/21 cannot both be shown: 10/21 - 8/18 = 2/3
    organisation1 = (Level.organisation, world[0].organisation_id, MONTHS[0])
    assert {(Level.team, team1, MONTHS[0]), organisation1} & reader.hidden
    assert len(reader.hidden) >= 20
    assert reader.weeks_refused()  # weeks and months overlap: suppressed counts by month only


def test_no_hidden_count_can_be_worked_out_by_a_coordinator_who_works_in_a_team(
    db: Session, world
) -> None:  # type: ignore[no-untyped-def]
    coordinator = make_user(db, role="coordinator", network=make_network(db))
    for network_id in {int(u.id) for u in units_of(db, Level.network).values()}:
        db.add(Membership(user_id=int(coordinator.id or 0), role="coordinator",
                          scope_kind="network", network_id=network_id))  # fmt: skip
    db.add(Membership(user_id=int(coordinator.id or 0), role="team", scope_kind="team",
                      team_id=world[0].id))  # fmt: skip
    db.flush()
    reader = Reader(db, viewer_of(db, coordinator))
    found = _attack(reader)
    reader.know(world[0])
    assert (Level.team, int(world[1].id or 0), MONTHS[0]) in reader.hidden
    assert reader.recovered() == found == {"n": [], "d": []}

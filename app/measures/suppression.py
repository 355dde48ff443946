"""Suppression of small counts, so that no hidden count can be worked out from shown ones.

The one rule every face calls (charts, comparison table and funnel, exports, the JSON API,
and later the FHIR MeasureReports and the network overview), for a viewer who may not see
the patients of a unit (``access.suppresses_for``); ``k`` is ``HPH_SUPPRESSION_THRESHOLD``:

1. **Small cells.** A cell (one unit, one period) is hidden when its numerator, its
   denominator or, for a proportion, their difference is from 1 to ``k - 1`` (a count: its
   numerator; a mean: its denominator). Numerator and denominator are hidden together.
2. **Complementary cells.** Counts add up: a team's belong to its organisation, an
   organisation's to its network, a network's to all teams. In every such sum (a parent and
   its children, same period) either no cell is hidden or at least two are: where a hidden
   cell would stand alone, the smallest shown child is hidden too (the parent when no child
   is left), and again until every sum holds. Cells the viewer may see unsuppressed are never
   chosen (they know them). Then no hidden cell is a sum or difference of shown cells: one
   can always add to a hidden cell and take it off another hidden cell of the same sums.
3. **Totals over several periods** (the comparison table, the funnel's quarter) are shown
   only when every period in them is shown; so they are sums of shown cells and give
   nothing away, whatever the date range.
4. **One period type.** Weeks and months overlap, and some runs of months are exactly some
   runs of weeks (February 2027 is weeks 5 to 8; 1 January to 31 March 2024 is weeks 1 to
   13): a hidden month could be worked out of shown weeks. Counts that are suppressed are
   therefore given by month only (``suppressed_period``).

The pattern depends only on the stored counts, the period and which units the viewer may
see unsuppressed, never on the unit, level or date range asked for, so two requests cannot
be played against each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from app.core.config import get_settings
from app.core.i18n import _
from app.measures.aggregate import CountRow, Level, fold
from app.measures.catalogue import MeasureDefinition
from app.measures.chart_reads import ChartReads
from app.measures.periods import Window
from app.org.scope import Viewer

Node = tuple[str, int]  # (level, unit id)
LEVELS = (Level.team, Level.organisation, Level.network, Level.all)


def small(numerator: float, denominator: float, *, kind: str, threshold: int) -> bool:
    """Whether a cell's counts are small enough to identify people (rule 1)."""
    if kind == "count":
        values = [numerator]
    elif kind == "mean":
        values = [denominator]
    else:  # a proportion: the part not in the numerator could be worked out too
        values = [numerator, denominator, denominator - numerator]
    return any(0 < value < threshold for value in values)


def suppressed_period(periods: Sequence[str]) -> str:
    """The one period type suppressed counts are given by: month when counted by month."""
    return "month" if "month" in periods else periods[0]


def refused_period(period: str, periods: Sequence[str]) -> str | None:
    """Why suppressed counts cannot be given by this period type (rule 4), or None."""
    if period == suppressed_period(periods):
        return None
    return _(
        "Counts that are hidden when small are compared by month only: a week could give a "
        "hidden month away. Choose month."
    )


@dataclass(frozen=True)
class UnitTree:
    """Teams, organisations, networks and all teams as one tree of sums."""

    teams: Mapping[Node, frozenset[int]]
    children: Mapping[Node, tuple[Node, ...]]

    @classmethod
    def of(cls, units: Mapping[Level, Mapping[int, frozenset[int]]]) -> UnitTree:
        """Build the tree from each level's units and the teams they cover."""
        teams: dict[Node, frozenset[int]] = {}
        owner: dict[Level, dict[int, int]] = {}
        for level in LEVELS:
            owner[level] = {}
            for unit_id, team_ids in units.get(level, {}).items():
                teams[(level.value, unit_id)] = team_ids
                owner[level].update(dict.fromkeys(team_ids, unit_id))
        children: dict[Node, list[Node]] = {}
        for below, above in zip(LEVELS, LEVELS[1:], strict=False):
            for unit_id, team_ids in sorted(units.get(below, {}).items()):
                parent = owner[above].get(min(team_ids)) if team_ids else None
                if parent is not None:
                    children.setdefault((above.value, parent), []).append((below.value, unit_id))
        return cls(teams, {node: tuple(kids) for node, kids in children.items()})


def protect(
    values: Mapping[Node, tuple[float, float]],
    tree: UnitTree,
    *,
    kind: str,
    threshold: int,
    known: Iterable[Node] = (),
) -> set[Node]:
    """The cells of one period to hide: small ones, then complements (rules 1 and 2)."""
    seen = set(known)
    hidden = {
        node
        for node, (numerator, denominator) in values.items()
        if node not in seen and small(numerator, denominator, kind=kind, threshold=threshold)
    }

    def size(node: Node) -> tuple[bool, float, Node]:
        numerator, denominator = values.get(node, (0.0, 0.0))
        amount = numerator if kind == "count" else denominator
        return (amount == 0, amount, node)  # the smallest non-empty cell costs least

    changed = bool(hidden)
    while changed:
        changed = False
        for parent, kids in sorted(tree.children.items()):
            if sum(member in hidden for member in (parent, *kids)) != 1:
                continue
            free = [kid for kid in kids if kid not in hidden and kid not in seen]
            if not free and parent not in hidden and parent not in seen:
                free = [parent]
            if free:
                hidden.add(min(free, key=size))
                changed = True
    return hidden


@dataclass(frozen=True)
class Protected:
    """Counts of each unit of a level per period start, and the periods hidden from a viewer."""

    rows: dict[int, dict[date, CountRow]]
    hidden: dict[int, frozenset[date]]


def protect_periods(
    team_rows: Mapping[int, Mapping[date, CountRow]],
    tree: UnitTree,
    *,
    level: Level,
    kind: str,
    known: Iterable[Node],
) -> Protected:
    """Add team counts up the tree and hide cells period by period (rules 1 and 2)."""
    threshold = get_settings().suppression_threshold
    known = frozenset(known)
    starts = sorted({start for periods in team_rows.values() for start in periods})
    rows: dict[int, dict[date, CountRow]] = {}
    hidden: dict[int, set[date]] = {}
    for start in starts:
        values: dict[Node, tuple[float, float]] = {}
        pending: dict[Node, int] = {}
        for node, team_ids in tree.teams.items():
            found = [team_rows[t][start] for t in team_ids if start in team_rows.get(t, {})]
            values[node] = (sum(r.numerator for r in found), sum(r.denominator for r in found))
            pending[node] = sum(r.pending for r in found)
        for node in protect(values, tree, kind=kind, threshold=threshold, known=known):
            if node[0] == level.value:
                hidden.setdefault(node[1], set()).add(start)
        for (node_level, unit_id), (numerator, denominator) in values.items():
            if node_level == level.value and (
                denominator or numerator or pending[(node_level, unit_id)]
            ):
                rows.setdefault(unit_id, {})[start] = CountRow(
                    unit_id, None, None, numerator, denominator, pending[(node_level, unit_id)]
                )
    return Protected(rows, {unit: frozenset(days) for unit, days in hidden.items()})


def protected_counts(
    session: Session,
    *,
    viewer: Viewer,
    measure: MeasureDefinition,
    level: Level,
    period: str,
    window: Window,
    reads: ChartReads | None = None,
) -> Protected:
    """Counts of every unit of a level by period, with the cells hidden from this viewer.

    One team-level query over every team: the complements depend on the whole tree, never on
    the units asked for. ``reads``: the page's reads (see ``chart_reads``), if it has them.
    """
    reads = reads or ChartReads(session)
    tree = UnitTree.of(
        {lvl: {u.id: u.team_ids for u in reads.units(lvl).values()} for lvl in LEVELS}
    )
    team_rows = fold(reads.counts(measure, level=Level.team, window=window), period)
    known = [
        node for node, teams in tree.teams.items() if teams and teams <= viewer.patient_team_ids
    ]
    return protect_periods(team_rows, tree, level=level, kind=measure.type, known=known)


def shown_total(hidden: Iterable[bool]) -> bool:
    """Whether a total over several periods may be shown: every period in it is (rule 3)."""
    return not any(hidden)

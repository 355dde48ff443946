"""The suppression rule on its own: random trees of units, random counts, random cells the
viewer knows; no hidden count (numerator, denominator or their difference, when not 0) may lie
in the span of the shown and known ones, a shown 0 counting as 0 in each of its parts."""

from __future__ import annotations

import random
from datetime import date
from fractions import Fraction

from app.measures.aggregate import Level
from app.measures.suppression import UnitTree, protect, small
from tests.measures.test_suppression_attack import Span

MONTH = date(2026, 1, 1)


def _tree(pick: random.Random) -> UnitTree:
    """A random network of networks, organisations and teams."""
    units: dict[Level, dict[int, frozenset[int]]] = {level: {} for level in Level}
    team = organisation = 0
    for network in range(1, pick.randint(1, 3) + 1):
        network_teams: set[int] = set()
        for _ in range(pick.randint(1, 3)):
            organisation += 1
            teams = set(range(team + 1, team + pick.randint(1, 4) + 1))
            team = max(teams)
            units[Level.organisation][organisation] = frozenset(teams)
            for t in teams:
                units[Level.team][t] = frozenset({t})
            network_teams |= teams
        units[Level.network][network] = frozenset(network_teams)
    units[Level.all][0] = frozenset(units[Level.team])
    return UnitTree.of(units)


def test_no_hidden_cell_is_a_sum_or_difference_of_shown_ones() -> None:
    pick = random.Random(2026)
    tried = 0
    for _ in range(300):
        tree = _tree(pick)
        counts = {}
        for node in tree.teams:
            if node[0] == Level.team.value:
                due = pick.choice([0, 1, 2, 3, 4, 5, 6, 8, 10, 20])
                counts[node] = (float(pick.randint(0, due)), float(due))
        values = {
            node: (
                sum(counts[(Level.team.value, t)][0] for t in teams),
                sum(counts[(Level.team.value, t)][1] for t in teams),
            )
            for node, teams in tree.teams.items()
        }
        mine = {t for t in range(1, 20) if pick.random() < 0.15}
        known = [node for node, teams in tree.teams.items() if teams <= mine]
        hidden = protect(values, tree, kind="proportion", threshold=5, known=known)
        assert not hidden & set(known)
        for node, (numerator, denominator) in values.items():
            if node not in known and small(numerator, denominator, kind="proportion", threshold=5):
                assert node in hidden
        for parent, kids in tree.children.items():
            assert sum(member in hidden for member in (parent, *kids)) != 1
        parts = {node: (n, d, d - n) for node, (n, d) in values.items()}
        for which in (0, 1, 2):  # numerator, denominator, their difference
            span = Span()
            for node in values.keys() - hidden:
                atoms = {(t, MONTH) for t in tree.teams[node]}
                if parts[node][which] == 0:  # counts are never negative: 0 in every part
                    for atom in atoms:
                        span.add({atom: Fraction(1)})
                span.add(dict.fromkeys(atoms, Fraction(1)))
            for node in hidden:
                if parts[node][which] == 0:  # a 0 is no small count: a shown 0 may imply it
                    continue
                tried += 1
                target = dict.fromkeys({(t, MONTH) for t in tree.teams[node]}, Fraction(1))
                assert span.reduce(target), f"{node} from {values} hidden {hidden} known {known}"
    assert tried > 500

"""Making Data Count rules (NHS England) for SPC charts: limits, shift, trend, 2 of 3.

The four rules, with the readings used here where the guidance leaves room:

- ``beyond_limits``: a point above the upper or below the lower 3-sigma limit. Touching a
  limit is inside. An excluded point beyond a limit still shows it (as in qicharts2); an
  incomplete one does not, its value is provisional.
- ``shift``: 7 or more consecutive points on the same side of the centre line (the mean, or
  the pooled proportion/rate of a p or u chart). **A point exactly on the centre line breaks
  a run**: it is on neither side (as NHSRplotthedots reads the rule), so 6 above, one on the
  line and 6 above are two runs of 6 and no shift.
- ``trend``: 7 or more consecutive points all rising or all falling, i.e. 6 steps in the
  same direction. **A tie breaks a trend**: a point equal to the one before it is neither
  higher nor lower, so 1, 2, 3, 3, 4, 5, 6 holds no trend of 7 (unlike the IHI rule, which
  skips like values). Points on the centre line count like any other.
- ``two_of_three``: 2 or 3 of 3 consecutive points beyond 2 sigma on the same side of the
  centre line. **Points beyond 3 sigma count** (they are beyond 2 sigma too). Only the
  points beyond 2 sigma take part; the third point of the window, inside 2 sigma, does not.
  Sigma is each point's own (p and u charts: from its denominator), not clipped at 0 or 1.

Gaps, excluded and incomplete points are left out of shift, trend and 2 of 3: they neither
count nor break (the rules are judged over the phase's included points with a value, in
time order), as for the Anhøj and IHI rules. Each phase has its own centre line and rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from app.charts.runs import side_of

RuleName = Literal["beyond_limits", "shift", "trend", "two_of_three"]
RULE_NAMES: tuple[RuleName, ...] = ("beyond_limits", "shift", "trend", "two_of_three")

SHIFT_LENGTH = 7
TREND_LENGTH = 7
ZONE_SIGMA = 2.0
ABOVE, BELOW, UP, DOWN = 1, -1, 1, -1


@dataclass(frozen=True, slots=True)
class MdcPoint:
    """An included point of a phase: its number, value, centre line and its own sigma."""

    number: int
    value: float
    centre: float
    sigma: float | None


@dataclass(frozen=True)
class Stretch:
    """Points that together break a rule: the side (+1/-1) or direction, and the points."""

    direction: int
    points: tuple[int, ...]

    @property
    def length(self) -> int:
        """Return the number of points."""
        return len(self.points)


@dataclass(frozen=True)
class MdcAnalysis:
    """What the shift, trend and 2-of-3 rules find in one phase (limits are judged apart)."""

    shifts: tuple[Stretch, ...]
    trends: tuple[Stretch, ...]
    two_of_three: tuple[Stretch, ...]

    @property
    def signal(self) -> bool:
        """Return whether a shift, a trend or a 2-of-3 was found."""
        return bool(self.shifts or self.trends or self.two_of_three)


def _side(point: MdcPoint) -> int:
    """Return +1 above, -1 below, 0 on the centre line (float noise counts as on it)."""
    return side_of(point.value, point.centre)


def shifts(points: Sequence[MdcPoint]) -> list[Stretch]:
    """Find runs of 7 or more points on one side of the centre line (on the line breaks)."""
    found: list[Stretch] = []
    current: list[int] = []
    side = 0
    for point in [*points, None]:
        here = 0 if point is None else _side(point)
        if here != side or here == 0:
            if side != 0 and len(current) >= SHIFT_LENGTH:
                found.append(Stretch(side, tuple(current)))
            current = []
        side = here
        if point is not None and here != 0:
            current.append(point.number)
    return found


def trends(points: Sequence[MdcPoint]) -> list[Stretch]:
    """Find 7 or more points in a row all rising or all falling (a tie breaks a trend)."""
    found: list[Stretch] = []
    start = 0
    while start < len(points) - 1:
        first_step = _step(points[start], points[start + 1])
        end = start + 1
        while (
            first_step != 0
            and end + 1 < len(points)
            and _step(points[end], points[end + 1]) == first_step
        ):
            end += 1
        if first_step != 0 and end - start + 1 >= TREND_LENGTH:
            found.append(Stretch(first_step, tuple(p.number for p in points[start : end + 1])))
        start = end
    return found


def _step(before: MdcPoint, after: MdcPoint) -> int:
    """Return UP, DOWN or 0 for a tie."""
    if after.value > before.value:
        return UP
    return DOWN if after.value < before.value else 0


def _zone(point: MdcPoint) -> int:
    """Return +1 beyond +2 sigma, -1 beyond -2 sigma, else 0 (no sigma: 0)."""
    if point.sigma is None or point.sigma <= 0:
        return 0
    distance = point.value - point.centre
    if distance > ZONE_SIGMA * point.sigma:
        return ABOVE
    return BELOW if distance < -ZONE_SIGMA * point.sigma else 0


def two_of_three(points: Sequence[MdcPoint]) -> list[Stretch]:
    """Find 2 of 3 consecutive points beyond 2 sigma on one side; overlapping windows merge."""
    zones = [_zone(point) for point in points]
    marked: dict[int, set[int]] = {ABOVE: set(), BELOW: set()}
    for start in range(max(len(points) - 2, 0)):
        window = range(start, start + 3)
        for side in (ABOVE, BELOW):
            beyond = [i for i in window if zones[i] == side]
            if len(beyond) >= 2:
                marked[side].update(beyond)
    found: list[Stretch] = []
    for side in (ABOVE, BELOW):
        indices = sorted(marked[side])
        group: list[int] = []
        for index in indices:
            if group and index - group[-1] > 2:  # not in a window with the previous one
                found.append(Stretch(side, tuple(points[i].number for i in group)))
                group = []
            group.append(index)
        if group:
            found.append(Stretch(side, tuple(points[i].number for i in group)))
    return sorted(found, key=lambda stretch: stretch.points[0])


def analyse_mdc(points: Sequence[MdcPoint]) -> MdcAnalysis:
    """Apply the shift, trend and 2-of-3 rules to a phase's included points in time order."""
    return MdcAnalysis(
        shifts=tuple(shifts(points)),
        trends=tuple(trends(points)),
        two_of_three=tuple(two_of_three(points)),
    )

"""The two icons of an overview cell, in the NHS "Making Data Count" convention, from a chart.

**Variation** reads the chart's special causes at its *latest point*: the last complete,
not excluded point with a value, passing over trailing points that lie on the centre line
without taking part in a signal (the run rules neither break nor count them). When that
point takes part in a signal, the variation is a special cause: *improving* when the signal
lies on the good side of the measure (high for "higher is better", low otherwise),
*concerning* on the bad side, *no direction* when it has no side (a point the team marked
as astronomical) or both. Signals about a whole phase rather than its points (too few
crossings, too few or too many runs) mark no point, as on the charts. When it takes part in
none, the variation is *common cause*, provided the latest phase has enough points for the
rules to judge it; otherwise there is *not enough data*. So a signal that ended before the
latest point no longer shows.

Which points take part in a special cause is read generically from the chart's signal
findings (each with its points and side), whatever the rule set: Anhøj (long runs), IHI
(shifts, trends), the sigma limits of SPC charts, and any other rule
set whose findings say the same; ``special_causes`` builds that map and every function
here also takes one made elsewhere (e.g. from a rule set's per-point flags).

**Assurance** sets the goal line against what the process is expected to do:

- on an SPC chart, against the limits of the latest point (its phase's limits, for its
  denominator): both limits on the good side of the goal (a limit on the goal counts as
  meeting it) → *consistently meets*; both on the bad side → *consistently misses*; the goal
  between them → *hit and miss*;
- on a run chart there are no limits, so the complete points of the latest phase stand in
  for them: all on the good side of the goal (or on it) → *consistently meets*, none →
  *consistently misses*, some → *hit and miss*; with fewer than ``MIN_USEFUL_POINTS`` points
  there is *not enough data*. This says what happened in the phase, not a prediction.

No goal line: *no goal*.

A **sustained improvement** (a bright spot) is a special cause in the good direction at
each of the ``SUSTAINED_POINTS`` latest points (chosen as above).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

from app.charts import MIN_USEFUL_POINTS, ChartResult, PointResult
from app.charts.models import PHASE_SIGNALS
from app.charts.runs import ON_LINE, side_of
from app.core.i18n import _

HIGH, LOW, NO_SIDE = "high", "low", "none"
HIGH_SIDES = frozenset({"above", "up"})
LOW_SIDES = frozenset({"below", "down"})
SUSTAINED_POINTS = 2
Flags = Mapping[int, Collection[str]]


class Variation(StrEnum):
    """What the latest point says about the variation."""

    improving = "improving"
    concerning = "concerning"
    neither = "neither"
    common = "common"
    unknown = "unknown"


class Assurance(StrEnum):
    """Whether the process can be relied on to meet its goal."""

    meets = "meets"
    misses = "misses"
    hit_and_miss = "hit_and_miss"
    no_goal = "no_goal"
    unknown = "unknown"


# Sort order of the overview: what needs attention first.
VARIATION_ORDER = (
    Variation.concerning,
    Variation.neither,
    Variation.improving,
    Variation.common,
    Variation.unknown,
)
ASSURANCE_ORDER = (
    Assurance.misses,
    Assurance.hit_and_miss,
    Assurance.meets,
    Assurance.no_goal,
    Assurance.unknown,
)


def variation_words(value: Variation, high_low: str | None = None) -> str:
    """The variation icon in words, in the current language."""
    side = {HIGH: _("high"), LOW: _("low")}.get(high_low or "")
    words = {
        Variation.improving: _("Special cause, improving"),
        Variation.concerning: _("Special cause, concerning"),
        Variation.neither: _("Special cause, no direction"),
        Variation.common: _("Common cause variation"),
        Variation.unknown: _("Not enough data to judge the variation"),
    }[value]
    if side and value in (Variation.improving, Variation.concerning):
        return f"{words} ({side})"
    return words


def assurance_words(value: Assurance) -> str:
    """The assurance icon in words, in the current language."""
    return {
        Assurance.meets: _("Consistently meets the goal"),
        Assurance.misses: _("Consistently misses the goal"),
        Assurance.hit_and_miss: _("Hit and miss against the goal"),
        Assurance.no_goal: _("No goal"),
        Assurance.unknown: _("Not enough data to judge the goal"),
    }[value]


def special_causes(result: ChartResult) -> dict[int, set[str]]:
    """Point number → the sides (high, low, none) of the special causes it takes part in."""
    flags: dict[int, set[str]] = {}
    for finding in result.findings():
        if not finding.is_signal or finding.kind in PHASE_SIGNALS:
            continue
        side = finding.side or ""
        name = HIGH if side in HIGH_SIDES else LOW if side in LOW_SIDES else NO_SIDE
        for number in finding.points:
            flags.setdefault(number, set()).add(name)
    return flags


def latest_points(result: ChartResult, flags: Flags, count: int = 1) -> list[PointResult]:
    """The ``count`` latest points the icons read, newest first (see the module docstring)."""
    found: list[PointResult] = []
    for point in reversed(result.points):
        if len(found) == count:
            break
        if not point.included or point.value is None:
            continue
        on_line = point.centre is not None and side_of(point.value, point.centre) == ON_LINE
        if on_line and not flags.get(point.number):
            continue
        found.append(point)
    return found


def _good_side(direction: str) -> str:
    """The side of the centre line that is better for a measure."""
    return LOW if direction == "down" else HIGH


@dataclass(frozen=True)
class VariationIcon:
    """The variation icon of a chart and the side of its special cause (H or L)."""

    variation: Variation
    high_low: str | None = None


def variation(result: ChartResult, *, direction: str, flags: Flags | None = None) -> VariationIcon:
    """The variation icon at the chart's latest point (see the module docstring)."""
    flags = special_causes(result) if flags is None else flags
    latest = latest_points(result, flags)
    if not latest:
        return VariationIcon(Variation.unknown)
    point = latest[0]
    sides = set(flags.get(point.number, ())) - {NO_SIDE}
    if flags.get(point.number):
        if len(sides) != 1:
            return VariationIcon(Variation.neither)
        side = sides.pop()
        good = side == _good_side(direction)
        return VariationIcon(Variation.improving if good else Variation.concerning, side)
    phase = next((part for part in result.parts if part.part == point.part), None)
    if phase is None or phase.runs_signal is None:
        return VariationIcon(Variation.unknown)
    return VariationIcon(Variation.common)


def _meets(value: float, goal: float, direction: str) -> bool:
    """Whether a value is on the good side of the goal (or on it)."""
    return value <= goal if direction == "down" else value >= goal


def assurance(
    result: ChartResult, *, direction: str, goal: float | None, flags: Flags | None = None
) -> Assurance:
    """The assurance icon against a goal line (see the module docstring)."""
    if goal is None:
        return Assurance.no_goal
    flags = special_causes(result) if flags is None else flags
    latest = latest_points(result, flags)
    if not latest:
        return Assurance.unknown
    point = latest[0]
    if point.lower is not None and point.upper is not None:
        bounds = [point.lower, point.upper]
    else:
        bounds = [
            p.value
            for p in result.points
            if p.part == point.part and p.included and p.value is not None
        ]
        if len(bounds) < MIN_USEFUL_POINTS:
            return Assurance.unknown
    met = [_meets(value, goal, direction) for value in bounds]
    if all(met):
        return Assurance.meets
    if not any(met):
        return Assurance.misses
    return Assurance.hit_and_miss


def good_streak(
    result: ChartResult, *, direction: str, flags: Flags | None = None
) -> list[PointResult]:
    """The latest points, oldest first, that each take part in a special cause on the good
    side only (empty when the latest point does not)."""
    flags = special_causes(result) if flags is None else flags
    good = _good_side(direction)
    streak: list[PointResult] = []
    for point in latest_points(result, flags, count=len(result.points)):
        if set(flags.get(point.number, ())) - {NO_SIDE} != {good}:
            break
        streak.append(point)
    return streak[::-1]


def sustained_improvement(
    result: ChartResult, *, direction: str, flags: Flags | None = None
) -> list[PointResult]:
    """The good streak when it covers the ``SUSTAINED_POINTS`` latest points, else empty."""
    streak = good_streak(result, direction=direction, flags=flags)
    return streak if len(streak) >= SUSTAINED_POINTS else []

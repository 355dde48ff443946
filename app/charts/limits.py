"""Centre lines and 3-sigma limits of the SPC charts (p, u, c, I) and the run chart median.

Everything here works on unscaled values (proportions, rates per unit); the caller applies
``multiply`` afterwards.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import NamedTuple

SIGMA = 3.0
MR_SCREEN_FACTOR = 3.267  # D4 for ranges of two: moving ranges at or above this x AMR are dropped
D2 = 1.128  # d2 for ranges of two


class BaselinePoint(NamedTuple):
    """A point that counts for the centre line: its value (None for a gap) and its counts."""

    value: float | None
    numerator: float | None
    denominator: float | None


def centre_line(chart: str, baseline: Sequence[BaselinePoint]) -> float | None:
    """Return the centre line of a phase from its baseline points (None without values)."""
    with_values = [point for point in baseline if point.value is not None]
    values = [point.value for point in baseline if point.value is not None]
    if not values:
        return None
    if chart == "run":
        return float(statistics.median(values))
    if chart in ("p", "u"):
        numerators = math.fsum(point.numerator or 0.0 for point in with_values)
        denominators = math.fsum(point.denominator or 0.0 for point in with_values)
        return numerators / denominators if denominators > 0 else None
    return statistics.fmean(values)


def moving_ranges(values: Sequence[float | None]) -> list[float]:
    """Return the absolute differences of consecutive values; none spans a gap (None)."""
    return [
        abs(after - before)
        for before, after in zip(values, values[1:], strict=False)
        if before is not None and after is not None
    ]


def average_moving_range(values: Sequence[float | None], *, screen: bool = True) -> float | None:
    """Return the average moving range, screened once for moving ranges >= 3.267 x AMR."""
    ranges = moving_ranges(values)
    if not ranges:
        return None
    average = statistics.fmean(ranges)
    if screen:
        kept = [mr for mr in ranges if mr < MR_SCREEN_FACTOR * average]
        # All ranges zero leaves nothing below the bar: keep the (zero) average then.
        if kept:
            average = statistics.fmean(kept)
    return average


class Limits(NamedTuple):
    """Lower and upper control limit of one point (None where they do not exist)."""

    lower: float | None
    upper: float | None


NO_LIMITS = Limits(None, None)


def control_limits(
    chart: str,
    *,
    centre: float | None,
    denominator: float | None,
    has_value: bool,
    amr: float | None = None,
) -> Limits:
    """Return one point's 3-sigma limits around the centre line for an SPC chart."""
    if centre is None or chart == "run":
        return NO_LIMITS
    if chart in ("p", "u"):
        if not has_value or not denominator:
            return NO_LIMITS
        if chart == "p":
            spread = SIGMA * math.sqrt(max(centre * (1.0 - centre), 0.0) / denominator)
            return Limits(max(centre - spread, 0.0), min(centre + spread, 1.0))
        spread = SIGMA * math.sqrt(centre / denominator)
        return Limits(max(centre - spread, 0.0), centre + spread)
    if chart == "c":
        spread = SIGMA * math.sqrt(max(centre, 0.0))
        return Limits(max(centre - spread, 0.0), centre + spread)
    if amr is None:
        return NO_LIMITS
    spread = SIGMA * amr / D2
    return Limits(centre - spread, centre + spread)


def point_sigma(
    chart: str, *, centre: float | None, denominator: float | None, amr: float | None
) -> float | None:
    """Return one point's sigma (a third of its unclipped limits' spread), None without one."""
    if centre is None or chart == "run":
        return None
    if chart in ("p", "u"):
        if not denominator:
            return None
        spread = centre * (1.0 - centre) if chart == "p" else centre
        return math.sqrt(max(spread, 0.0) / denominator)
    if chart == "c":
        return math.sqrt(max(centre, 0.0))
    return None if amr is None else amr / D2


def outside_limits(value: float | None, limits: Limits) -> bool:
    """Return whether a value lies beyond its limits (touching a limit is inside)."""
    if value is None:
        return False
    if limits.upper is not None and value > limits.upper:
        return not math.isclose(value, limits.upper, rel_tol=1e-12, abs_tol=1e-15)
    if limits.lower is not None and value < limits.lower:
        return not math.isclose(value, limits.lower, rel_tol=1e-12, abs_tol=1e-15)
    return False

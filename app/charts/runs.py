"""Anhøj run rules: sides of the centre line, runs, longest run, crossings and their limits.

A point is *useful* when it has a value and does not lie on the centre line. Among ``n``
useful points the longest run signals when it is longer than ``round(log2(n)) + 3``
(Schilling 2012) and the number of crossings signals when it is below the 5th percentile
of Binomial(n - 1, 1/2) (Chen 2010), as in Anhøj & Olesen 2014 and qicharts2.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

ABOVE = 1
BELOW = -1
ON_LINE = 0

# Fewer useful points than this and the runs analysis is reported but not judged: the rules
# have almost no power on shorter series (IHI and Anhøj both advise 10 or more points).
MIN_USEFUL_POINTS = 8


def side_of(value: float, centre: float) -> int:
    """Return +1 above, -1 below or 0 on the centre line (float noise counts as on it)."""
    if math.isclose(value, centre, rel_tol=1e-9, abs_tol=1e-12):
        return ON_LINE
    return ABOVE if value > centre else BELOW


@dataclass(frozen=True)
class Run:
    """Consecutive useful points on the same side of the centre line."""

    side: int
    points: tuple[int, ...]

    @property
    def length(self) -> int:
        """Return the number of points in the run."""
        return len(self.points)


def runs_of(useful: Sequence[tuple[int, int]]) -> list[Run]:
    """Split useful points, given as (point number, side) in time order, into runs."""
    runs: list[Run] = []
    current: list[int] = []
    current_side = ON_LINE
    for number, side in useful:
        if current and side != current_side:
            runs.append(Run(side=current_side, points=tuple(current)))
            current = []
        current_side = side
        current.append(number)
    if current:
        runs.append(Run(side=current_side, points=tuple(current)))
    return runs


def longest_run_limit(n_useful: int) -> int:
    """Return the longest run allowed among n useful points: round(log2(n)) + 3."""
    # log2(n) is never exactly x.5 for a whole n, so the rounding rule (R and Python both
    # round half to even) cannot matter here.
    return round(math.log2(n_useful)) + 3


@lru_cache(maxsize=1024)
def crossings_limit(n_useful: int) -> int:
    """Return the fewest crossings allowed: smallest k with P(Bin(n-1, 1/2) <= k) >= 0.05.

    This is qicharts2's ``qbinom(0.05, n - 1, 0.5)``, computed exactly in time linear in n:
    the binomial coefficients are summed as integers bounded from below and above, shortened
    to a fixed number of bits once they grow long; where the bounds cannot decide, again
    with twice the bits (with as many bits as n, nothing is shortened and all is exact).
    """
    trials = max(n_useful - 1, 0)
    precision = _PRECISION_BITS
    while True:
        found = _binomial_quantile_bounded(trials, precision)
        if found is not None:
            return found
        precision *= 2


_PRECISION_BITS = 96  # kept of each partial sum: far finer than any n needs in practice


def _binomial_quantile_bounded(trials: int, precision: int) -> int | None:
    """Return the 5 % quantile of Binomial(trials, 1/2), or None when too close to call.

    Sums C(trials, j) for j = 0, 1, ... with the recurrence C(t, j) = C(t, j-1)(t-j+1)/j,
    keeping a lower bound (rounded down) and an upper bound (rounded up) of each term and
    sum, all scaled by 2**-shift; the quantile is the first k whose sum reaches 2**trials/20.
    """
    low_term = high_term = low_sum = high_sum = 1
    shift = 0
    k = 0
    while True:
        # sum * 2**shift >= 2**trials / 20  <=>  20 * sum >= 2**(trials - shift)
        needed = trials - shift
        if (20 * low_sum).bit_length() > needed:
            return k
        if (20 * high_sum).bit_length() > needed:
            return None
        k += 1
        factor = trials - k + 1
        low_term = low_term * factor // k
        high_term = -(-high_term * factor // k)
        low_sum += low_term
        high_sum += high_term
        excess = high_sum.bit_length() - precision
        if excess > 32:  # shorten every 32 bits or more, not at every term
            low_term >>= excess
            low_sum >>= excess
            high_term = -(-high_term >> excess)
            high_sum = -(-high_sum >> excess)
            shift += excess


@dataclass(frozen=True)
class RunsAnalysis:
    """Counts and limits of the Anhøj rules for one phase."""

    n_useful: int
    runs: tuple[Run, ...]
    longest_run: int | None
    longest_run_max: int | None
    crossings: int | None
    crossings_min: int | None

    @property
    def long_runs(self) -> tuple[Run, ...]:
        """Return the runs longer than the limit."""
        if self.longest_run_max is None:
            return ()
        return tuple(run for run in self.runs if run.length > self.longest_run_max)

    @property
    def too_few_crossings(self) -> bool:
        """Return whether the series crosses its centre line unusually seldom."""
        if self.crossings is None or self.crossings_min is None:
            return False
        return self.crossings < self.crossings_min

    @property
    def signal(self) -> bool:
        """Return whether either Anhøj rule signals."""
        return bool(self.long_runs) or self.too_few_crossings


def analyse_runs(useful: Sequence[tuple[int, int]]) -> RunsAnalysis:
    """Apply the Anhøj rules to useful points given as (point number, side) in time order."""
    runs = tuple(runs_of(useful))
    n_useful = len(useful)
    if n_useful == 0:
        return RunsAnalysis(0, (), None, None, None, None)
    return RunsAnalysis(
        n_useful=n_useful,
        runs=runs,
        longest_run=max(run.length for run in runs),
        longest_run_max=longest_run_limit(n_useful),
        crossings=len(runs) - 1,
        crossings_min=crossings_limit(n_useful),
    )

"""IHI run chart rules (Perla, Provost & Murray 2011): shift, trend and the number of runs.

Readings used here, where the published wording leaves room:

- *Shift*: 6 or more consecutive useful points on one side of the centre line. Points on
  the line and gaps neither break nor count (they are not useful points).
- *Trend*: 5 or more consecutive points all going up (or all down), i.e. 4 steps in the
  same direction. A point equal to the previous counted point neither breaks nor counts
  (IHI: "ignore like values"), so 1, 2, 2, 3, 4, 5 is a trend of 5. Points on the centre
  line do count; gaps are skipped. Each step is judged between counted points.
- *Too few / too many runs*: the IHI table (Perla et al. 2011, Table 1) rests on Swed &
  Eisenhart (1943), whose tables give the 2.5 % and 97.5 % points of the number of runs R
  for n1 points above and n2 below the centre line. The IHI table is indexed by the number
  of useful points only, which amounts to taking n1 and n2 as halves (n1 = n // 2). We do
  not transcribe the table: we *derive* it exactly from the Wald-Wolfowitz distribution of
  R under that split, *too few* when R is below the smallest r with P(R <= r) > 2.5 %, *too
  many* when R is above the largest r with P(R >= r) > 2.5 %. For 10 useful points this
  gives 3 to 9. Should a transcribed table be preferred, ``runs_count_limits`` is the one
  place to change.
- *Astronomical point*: a judgement; the chart only reports points the user has marked.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal
from fractions import Fraction
from functools import lru_cache

from app.charts.runs import Run

SHIFT_LENGTH = 6
TREND_LENGTH = 5
RUNS_TAIL = Fraction(1, 40)  # 2.5 % in each tail
UP = 1
DOWN = -1


def shifts(runs: Sequence[Run]) -> list[Run]:
    """Return the runs long enough to be an IHI shift."""
    return [run for run in runs if run.length >= SHIFT_LENGTH]


@dataclass(frozen=True)
class Trend:
    """Points going the same way: the counted points and every point inside their span."""

    direction: int
    counted: tuple[int, ...]
    points: tuple[int, ...]

    @property
    def length(self) -> int:
        """Return the number of counted points (like values are not counted)."""
        return len(self.counted)


def trends(values: Sequence[tuple[int, float]]) -> list[Trend]:
    """Find IHI trends among (point number, value) pairs given in time order, gaps left out."""
    numbers = tuple(number for number, _ in values)  # ascending, so bisect finds a span
    counted: list[tuple[int, float]] = []
    for number, value in values:
        if counted and value == counted[-1][1]:
            continue
        counted.append((number, value))
    found: list[Trend] = []
    start = 0
    while start < len(counted) - 1:
        direction = UP if counted[start + 1][1] > counted[start][1] else DOWN
        end = start + 1
        while end + 1 < len(counted) and _step(counted[end], counted[end + 1]) == direction:
            end += 1
        if end - start + 1 >= TREND_LENGTH:
            first, last = counted[start][0], counted[end][0]
            found.append(
                Trend(
                    direction=direction,
                    counted=tuple(number for number, _ in counted[start : end + 1]),
                    points=numbers[bisect_left(numbers, first) : bisect_right(numbers, last)],
                )
            )
        start = end
    return found


def _step(before: tuple[int, float], after: tuple[int, float]) -> int:
    """Return UP or DOWN for two counted points (never equal)."""
    return UP if after[1] > before[1] else DOWN


def _ways_to_get_runs(above: int, below: int, runs: int) -> int:
    """Count the arrangements of above/below points that form exactly this many runs."""
    if runs % 2 == 0:
        k = runs // 2
        return 2 * math.comb(above - 1, k - 1) * math.comb(below - 1, k - 1)
    k = (runs - 1) // 2
    return math.comb(above - 1, k) * math.comb(below - 1, k - 1) + math.comb(
        above - 1, k - 1
    ) * math.comb(below - 1, k)


@lru_cache(maxsize=512)
def runs_count_limits(n_useful: int) -> tuple[int, int]:
    """Return (lower, upper): fewer runs than lower or more than upper is a signal.

    Computed in time linear in n with 40-digit decimals (for n up to 10^9 the rounding stays
    below 1e-30 of the total); should a tail lie within 1e-25 of 2.5 %, with exact fractions.
    """
    found = _runs_count_limits_decimal(n_useful)
    return found if found is not None else runs_count_limits_exact(n_useful)


_DECIMALS = Context(prec=40, Emax=MAX_EMAX, Emin=MIN_EMIN)
_TOO_CLOSE = Decimal("1e-25")
_CHUNK = 256


def _arrangements_by_runs(above: int, below: int) -> Iterator[Decimal]:
    """Yield the number of arrangements with r runs for r = 2, 3, ..., as decimals.

    With A = C(above-1, k-1) and B = C(below-1, k-1): 2AB arrangements give 2k runs,
    AB(above + below - 2k)/k give 2k + 1 runs, and the next AB is AB(above-k)(below-k)/k².
    """
    ctx = _DECIMALS
    product = Decimal(1)
    largest = 2 * above + (1 if below > above else 0)
    for k in range(1, above + 1):
        yield ctx.multiply(product, 2)
        if 2 * k + 1 > largest:
            return
        yield ctx.divide(ctx.multiply(product, above + below - 2 * k), k)
        product = ctx.divide(ctx.multiply(product, (above - k) * (below - k)), k * k)


def _binomial_decimal(n: int, k: int) -> Decimal:
    """Return C(n, k) as a 40-digit decimal, multiplying whole chunks of factors exactly."""
    ctx = _DECIMALS
    result = Decimal(1)
    for start in range(1, k + 1, _CHUNK):
        stop = min(start + _CHUNK, k + 1)
        numerator = ctx.create_decimal(math.prod(range(n - k + start, n - k + stop)))
        denominator = ctx.create_decimal(math.prod(range(start, stop)))
        result = ctx.multiply(result, ctx.divide(numerator, denominator))
    return result


def _runs_count_limits_decimal(n_useful: int) -> tuple[int, int] | None:
    """Return ``runs_count_limits`` from decimals, or None when a tail is too close to call."""
    above = n_useful // 2
    below = n_useful - above
    if above == 0:
        return (n_useful, n_useful)
    ctx = _DECIMALS
    total = _binomial_decimal(n_useful, above)
    slack = ctx.multiply(total, _TOO_CLOSE)
    cumulative = Decimal(0)  # arrangements with fewer than r runs
    lower: int | None = None
    upper = 2
    for runs, count in enumerate(_arrangements_by_runs(above, below), start=2):
        # 40 x P(R >= r) x total - total: above zero while r may still be the upper limit
        excess = ctx.subtract(ctx.multiply(ctx.subtract(total, cumulative), 40), total)
        if excess <= slack:
            if excess >= -slack:
                return None
            break
        upper = runs
        cumulative = ctx.add(cumulative, count)
        if lower is None:
            # 40 x P(R <= r) x total - total: the lower limit is the first r above zero
            excess = ctx.subtract(ctx.multiply(cumulative, 40), total)
            if -slack <= excess <= slack:
                return None
            if excess > 0:
                lower = runs
    return (lower if lower is not None else 2, upper)


def runs_count_limits_exact(n_useful: int) -> tuple[int, int]:
    """Return ``runs_count_limits`` in exact fractions (time grows as n squared or worse)."""
    above = n_useful // 2
    below = n_useful - above
    if above == 0:
        return (n_useful, n_useful)
    total = math.comb(n_useful, above)
    largest = 2 * above + (1 if below > above else 0)
    counts = {r: _ways_to_get_runs(above, below, r) for r in range(2, largest + 1)}
    cumulative = 0
    lower = 2
    for r in range(2, largest + 1):
        cumulative += counts[r]
        if Fraction(cumulative, total) > RUNS_TAIL:
            lower = r
            break
    cumulative = 0
    upper = largest
    for r in range(largest, 1, -1):
        cumulative += counts[r]
        if Fraction(cumulative, total) > RUNS_TAIL:
            upper = r
            break
    return (lower, upper)


@dataclass(frozen=True)
class IhiAnalysis:
    """What the IHI rules find in one phase."""

    shifts: tuple[Run, ...]
    trends: tuple[Trend, ...]
    useful_points: tuple[int, ...]
    runs: int | None
    runs_lower: int | None
    runs_upper: int | None

    @property
    def too_few_runs(self) -> bool:
        """Return whether there are fewer runs than the table allows."""
        return self.runs is not None and self.runs_lower is not None and self.runs < self.runs_lower

    @property
    def too_many_runs(self) -> bool:
        """Return whether there are more runs than the table allows."""
        return self.runs is not None and self.runs_upper is not None and self.runs > self.runs_upper

    @property
    def signal(self) -> bool:
        """Return whether any IHI rule signals (astronomical points are judged apart)."""
        return bool(self.shifts or self.trends) or self.too_few_runs or self.too_many_runs


def analyse_ihi(*, runs: Sequence[Run], values: Sequence[tuple[int, float]]) -> IhiAnalysis:
    """Apply the IHI rules to a phase's runs and its (point number, value) pairs."""
    n_useful = sum(run.length for run in runs)
    lower, upper = runs_count_limits(n_useful) if n_useful else (None, None)
    return IhiAnalysis(
        shifts=tuple(shifts(runs)),
        trends=tuple(trends(values)),
        useful_points=tuple(number for run in runs for number in run.points),
        runs=len(runs) if n_useful else None,
        runs_lower=lower,
        runs_upper=upper,
    )

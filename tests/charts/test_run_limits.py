"""The run rules' limits against exact references, and the chart maths on long series.

``crossings_limit`` must equal qicharts2's ``qbinom(0.05, n - 1, 0.5)`` for every n (the
golden files check 1-200); here it is checked against a plain exact computation for the first
few thousand n and at sizes a national file reaches. Speed is measured by bench/chart_cli.py.
"""

from __future__ import annotations

import math

import pytest

from app.charts import SeriesPoint, compute_chart
from app.charts import ihi as ihi_module
from app.charts import runs as runs_module
from app.charts.ihi import runs_count_limits, runs_count_limits_exact, trends
from app.charts.runs import crossings_limit

EXACT_UP_TO = 3000


def exact_crossings_limit(n: int) -> int:
    """Return the smallest k with P(Binomial(n - 1, 1/2) <= k) >= 1/20, in exact integers."""
    trials = max(n - 1, 0)
    total, term, cumulative = 2**trials, 1, 0
    for k in range(trials + 1):
        if k:
            term = term * (trials - k + 1) // k  # C(trials, k), exactly
        cumulative += term
        if 20 * cumulative >= total:
            return k
    return trials


def test_crossings_limit_is_the_exact_binomial_quantile_for_the_first_thousands() -> None:
    """For every n up to 3000 the limit is the smallest k with P(X <= k) >= 5 %."""
    for n in range(EXACT_UP_TO + 1):
        assert crossings_limit(n) == exact_crossings_limit(n), n


@pytest.mark.parametrize(
    ("n", "expected"),
    # Exact values from the plain integer sum of binomial coefficients (minutes to compute).
    [(32_000, 15_852), (100_000, 49_739), (1_000_000, 499_177)],
)
def test_crossings_limit_on_long_series(n: int, expected: int) -> None:
    """Long series get the exact limit too (the first version summed math.comb for minutes)."""
    assert crossings_limit(n) == expected


def test_crossings_limit_sums_exactly_when_the_bounds_are_too_close(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With very few bits the bounds often cannot decide; doubling them still gives the truth."""
    undecided = [
        n for n in range(2, 400) if runs_module._binomial_quantile_bounded(n - 1, 4) is None
    ]
    assert undecided, "4 bits should leave some n undecided"
    monkeypatch.setattr(runs_module, "_PRECISION_BITS", 4)
    crossings_limit.cache_clear()
    try:
        for n in range(400):
            assert crossings_limit(n) == exact_crossings_limit(n), n
    finally:
        crossings_limit.cache_clear()


def test_ihi_runs_limits_equal_the_exact_fractions() -> None:
    """The decimal computation gives the exact table for every n up to 400."""
    for n in range(1, 401):
        assert runs_count_limits(n) == runs_count_limits_exact(n), n


def test_ihi_runs_limits_fall_back_to_fractions_when_too_close(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When a tail lies within the decimals' margin of 2.5 %, exact fractions decide."""
    monkeypatch.setattr(ihi_module, "_TOO_CLOSE", ihi_module.Decimal(1))  # always too close
    assert ihi_module._runs_count_limits_decimal(30) is None
    runs_count_limits.cache_clear()
    try:
        assert [runs_count_limits(n) for n in range(1, 80)] == [
            runs_count_limits_exact(n) for n in range(1, 80)
        ]
    finally:
        runs_count_limits.cache_clear()


def test_ihi_runs_limits_on_a_long_series() -> None:
    """200,000 useful points: about 1.96 sd either side of the expected runs, n/2 + 1."""
    lower, upper = runs_count_limits(200_000)
    sd = math.sqrt(200_000 - 1) / 2
    assert lower < 100_001 < upper
    assert abs((100_001 - lower) / sd - 1.96) < 0.01
    assert abs((upper - 100_001) / sd - 1.96) < 0.01


def test_many_trends_each_name_only_their_own_points() -> None:
    """Zigzags of five steps: every trend's points are its own span (found in one pass)."""
    values = [
        (number, float(number % 10 if number % 20 < 10 else 10 - number % 10))
        for number in range(1, 2001)
    ]
    found = trends(values)
    assert len(found) > 150
    for trend in found:
        assert trend.points == tuple(range(trend.points[0], trend.points[-1] + 1))
        assert set(trend.counted) <= set(trend.points)


def test_a_phase_per_point_label_gives_each_point_its_own_phase() -> None:
    """Thousands of phases (one label per point) are split in one pass, in order."""
    points = [
        SeriesPoint(period=f"{number:05d}", numerator=float(number % 7), part=f"p{number}")
        for number in range(1, 2001)
    ]
    result = compute_chart(points, chart="c")
    assert [part.part for part in result.parts] == list(range(1, 2001))
    assert [(part.first_point, part.last_point) for part in result.parts][:3] == [
        (1, 1),
        (2, 2),
        (3, 3),
    ]
    assert [point.centre for point in result.points][:8] == [1.0, 2, 3, 4, 5, 6, 0, 1]

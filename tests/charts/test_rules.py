"""Run rules (Anhøj, IHI), SPC limits, phases, freeze, exclusions, gaps and short series."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import pytest

from app.charts import ChartResult, SeriesPoint, compute_chart
from app.charts.analysis import ChartOverflowError, part_numbers
from app.charts.ihi import runs_count_limits, trends
from app.charts.limits import average_moving_range, moving_ranges
from app.charts.runs import analyse_runs, side_of


def series(values: Sequence[float | None], *, prefix: str = "2026-W") -> list[SeriesPoint]:
    """Return plain-value points labelled by week."""
    return [
        SeriesPoint(period=f"{prefix}{number:02d}", numerator=value)
        for number, value in enumerate(values, start=1)
    ]


def kinds(result: ChartResult) -> list[str]:
    """Return the kinds of every finding."""
    return [finding.kind for finding in result.findings()]


# --- Anhøj rules -------------------------------------------------------------------------


def test_side_of_treats_float_noise_as_on_the_line() -> None:
    """0.1 + 0.2 lies on a centre line of 0.3."""
    assert side_of(0.1 + 0.2, 0.3) == 0
    assert side_of(0.31, 0.3) == 1
    assert side_of(0.29, 0.3) == -1


def test_analyse_runs_counts_runs_and_crossings() -> None:
    """Three runs of lengths 2, 1 and 3 have two crossings."""
    analysis = analyse_runs([(1, 1), (2, 1), (3, -1), (5, 1), (6, 1), (7, 1)])
    assert [run.points for run in analysis.runs] == [(1, 2), (3,), (5, 6, 7)]
    assert (analysis.n_useful, analysis.longest_run, analysis.crossings) == (6, 3, 2)


def test_long_run_finding_names_its_points_and_periods() -> None:
    """A run of 9 below the median among 18 points signals, with its weeks in the text."""
    values = [6, 7, 6, 7] + [1, 2, 1, 2, 1, 2, 1, 2, 1] + [7, 6, 7, 6, 7]
    result = compute_chart(series([float(v) for v in values]))
    part = result.parts[0]
    assert part.runs_signal is True
    long_run = next(f for f in result.findings() if f.kind == "long_run")
    assert long_run.side == "below"
    assert long_run.points == list(range(5, 14))
    assert long_run.text_in("en") == (
        "Unusually long run below the median: 9 points in a row from 2026-W05 to 2026-W13 "
        "(more than 7 is unusual)."
    )
    assert set(long_run.text) == {"nb", "en"}
    assert result.points[4].signals == ["long_run"]
    assert result.points[0].signals == []


def test_too_few_crossings_is_a_phase_signal_not_a_point_signal() -> None:
    """Few crossings mark the phase (runs_signal) and list the useful points."""
    result = compute_chart(series([float(v) for v in range(1, 13)]))
    crossings = next(f for f in result.findings() if f.kind == "few_crossings")
    assert crossings.points == list(range(1, 13))
    assert result.points[0].runs_signal is True
    assert "few_crossings" not in result.points[0].signals


def test_no_signal_finding_reports_the_counts() -> None:
    """A random-looking series says so, with its counts."""
    digits = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4]
    result = compute_chart(series([float(d) for d in digits]))
    assert kinds(result) == ["no_runs_signal"]
    assert result.findings_in("en") == [
        "No sign of non-random variation in the runs: longest run 5 (at most 8 expected), "
        "12 crossings (at least 8 expected)."
    ]


# --- IHI rules ---------------------------------------------------------------------------


def test_ihi_runs_table_for_ten_points_matches_the_published_table() -> None:
    """With 10 useful points, fewer than 3 or more than 9 runs is a signal."""
    assert runs_count_limits(10) == (3, 9)


@pytest.mark.parametrize("n", range(10, 61))
def test_ihi_runs_limits_are_sane(n: int) -> None:
    """The limits lie inside the possible range and widen with more points."""
    lower, upper = runs_count_limits(n)
    assert 2 <= lower < upper <= n
    assert runs_count_limits(n + 1)[0] >= lower
    assert runs_count_limits(n + 1)[1] >= upper


def test_trend_needs_five_points_four_steps() -> None:
    """1-5 is a trend; 1-4 is not."""
    assert [t.counted for t in trends(list(enumerate([1.0, 2, 3, 4, 5], start=1)))] == [
        (1, 2, 3, 4, 5)
    ]
    assert trends(list(enumerate([1.0, 2, 3, 4], start=1))) == []


def test_trend_ignores_like_values() -> None:
    """Equal neighbours neither break nor count: 1 2 2 3 4 5 is a trend of 5 over 6 points."""
    (trend,) = trends(list(enumerate([1.0, 2, 2, 3, 4, 5], start=1)))
    assert trend.length == 5
    assert trend.points == (1, 2, 3, 4, 5, 6)
    assert trends(list(enumerate([1.0, 2, 2, 3, 3, 4], start=1))) == []


def test_trend_up_then_down_shares_the_turning_point() -> None:
    """1-5 up and 5-1 down are two trends meeting at the peak."""
    found = trends(list(enumerate([1.0, 2, 3, 4, 5, 4, 3, 2, 1], start=1)))
    assert [(t.direction, t.points[0], t.points[-1]) for t in found] == [(1, 1, 5), (-1, 5, 9)]


def test_ihi_shift_ignores_points_on_the_median() -> None:
    """Six points above the median, with one on it in between, are a shift."""
    values = [1.0, 2, 1, 2, 1, 3, 3, 3, 2.5, 3, 3, 3, 1, 1, 1]
    result = compute_chart(series(values), rules="ihi")
    assert result.parts[0].centre == 2.0
    shift = next(f for f in result.findings() if f.kind == "shift")
    assert shift.side == "above"
    assert shift.points == [6, 7, 8, 9, 10, 11, 12]
    assert result.parts[0].runs_signal is True


def test_ihi_rules_report_runs_against_the_table() -> None:
    """An alternating series has too many runs; the phase carries the table limits."""
    result = compute_chart(series([1.0, 3] * 8), rules="ihi")
    part = result.parts[0]
    assert (part.runs, part.runs_lower, part.runs_upper) == (16, *runs_count_limits(16))
    assert "too_many_runs" in kinds(result)
    assert part.runs_signal is True


def test_ihi_trend_finding_text() -> None:
    """A trend is reported with its direction and periods."""
    values = [7.0, 8, 6, 9, 7, 1, 2, 3, 4, 5, 6, 8]
    result = compute_chart(series(values), rules="ihi")
    trend = next(f for f in result.findings() if f.kind == "trend")
    assert trend.points == list(range(6, 13))
    assert trend.text_in("en") == "Trend: 7 points in a row going up from 2026-W06 to 2026-W12."


def test_astronomical_points_are_shown_only_when_marked() -> None:
    """The team's judgement shows as a finding and a point signal; nothing is guessed."""
    values = [5.0, 6, 5, 6, 50, 6, 5, 6, 5, 6]
    assert "astronomical" not in kinds(compute_chart(series(values), rules="ihi"))
    result = compute_chart(series(values), rules="ihi", astronomical=[5])
    finding = next(f for f in result.findings() if f.kind == "astronomical")
    assert finding.points == [5]
    assert result.points[4].signals == ["astronomical"]


# --- SPC limits --------------------------------------------------------------------------


def test_moving_ranges_never_span_a_gap() -> None:
    """The jump across the gap (5 to 100) is not a moving range."""
    assert moving_ranges([1.0, 5, None, 100, 104]) == [4, 4]
    assert average_moving_range([1.0, 5, None, 100, 104]) == 4


def test_moving_range_screening_drops_large_ranges_once() -> None:
    """A range of 3.267 x AMR or more is dropped, and AMR recomputed once."""
    values = [1.0, 2, 1, 2, 1, 2, 1, 2, 1, 2, 30]
    unscreened = average_moving_range(values, screen=False)
    assert unscreened == pytest.approx((9 + 28) / 10)
    assert average_moving_range(values) == 1.0
    assert average_moving_range([3.0, 3, 3]) == 0.0


def test_i_chart_limits_use_the_exact_d2() -> None:
    """Limits are cl +- 3 x AMR / 1.128, not 2.66 x AMR."""
    result = compute_chart(series([10.0, 12, 11, 13, 12]), chart="i")
    point = result.points[0]
    assert point.centre == pytest.approx(11.6)
    assert point.upper == pytest.approx(11.6 + 3 * 1.5 / 1.128)
    assert point.lower == pytest.approx(11.6 - 3 * 1.5 / 1.128)


def test_p_chart_limits_are_clipped_to_zero_and_one() -> None:
    """Small denominators push the limits past 0 and 1; they are clipped."""
    points = [
        SeriesPoint(period=f"2026-{m:02d}", numerator=y, denominator=3)
        for m, y in enumerate([1, 2, 3, 0, 2, 1, 2, 3], start=1)
    ]
    result = compute_chart(points, chart="p")
    assert all(p.lower == 0.0 and p.upper == 1.0 for p in result.points)


def test_u_chart_scales_by_multiply() -> None:
    """A u chart per 1000 days scales values, centre line and limits alike."""
    points = [
        SeriesPoint(period=str(m), numerator=y, denominator=d)
        for m, (y, d) in enumerate([(4, 800), (6, 1000), (5, 900), (7, 1100)], start=1)
    ]
    plain = compute_chart(points, chart="u")
    scaled = compute_chart(points, chart="u", multiply=1000)
    assert scaled.points[0].value == pytest.approx(5.0)
    for a, b in zip(plain.points, scaled.points, strict=True):
        for field in ("centre", "lower", "upper"):
            assert getattr(b, field) == pytest.approx(getattr(a, field) * 1000)
    assert scaled.parts[0].centre == pytest.approx(22 / 3800 * 1000)


def test_c_chart_lower_limit_is_clipped_at_zero() -> None:
    """Few counts give a negative lower limit, shown as 0."""
    result = compute_chart(series([1.0, 0, 2, 1, 0, 1]), chart="c")
    assert result.points[0].lower == 0.0
    assert result.points[0].upper == pytest.approx(5 / 6 + 3 * math.sqrt(5 / 6))


def test_run_chart_has_no_limits_or_sigma_signals() -> None:
    """Run charts draw no limits."""
    result = compute_chart(series([1.0, 2, 100, 2, 1, 2, 1, 2]))
    assert all(p.lower is None and p.upper is None and not p.sigma_signal for p in result.points)
    assert "sigma" not in kinds(result)


def test_sigma_findings_group_points_by_side() -> None:
    """Points outside the limits are listed per side."""
    values = [10.0, 11, 10, 11, 10, 11, 10, 11, 10, 11, 40, 10, 11, -20]
    result = compute_chart(series(values), chart="i")
    sigma = {f.side: f for f in result.findings() if f.kind == "sigma"}
    assert sigma["above"].points == [11]
    assert sigma["below"].points == [14]
    assert sigma["above"].text_in("en") == "Point above the upper control limit: 2026-W11."
    assert result.parts[0].sigma_signals == 2


# --- Phases, freeze, exclusions, incomplete periods --------------------------------------


def test_part_numbers_from_break_points_and_labels() -> None:
    """Break points and label changes both start phases; a missing label continues."""
    points = [
        SeriesPoint(period=str(i), numerator=1, part=label)
        for i, label in enumerate(["pre", None, "pre", "post", None, None], start=1)
    ]
    assert part_numbers(points, []) == [1, 1, 1, 2, 2, 2]
    assert part_numbers(points, [2]) == [1, 1, 2, 3, 3, 3]


def test_part_labels_give_the_same_result_as_break_points() -> None:
    """A per-point label 'pre'/'post' equals part_ends=[12]."""
    values = [1.0, 2] * 6 + [5.0, 6] * 6
    labelled = [
        SeriesPoint(period=p.period, numerator=p.numerator, part="pre" if i < 12 else "post")
        for i, p in enumerate(series(values))
    ]
    by_label = compute_chart(labelled)
    by_break = compute_chart(series(values), part_ends=[12])
    assert [p.centre for p in by_label.points] == [p.centre for p in by_break.points]
    assert [part.label for part in by_label.parts] == ["pre", "post"]


def test_freeze_applies_to_the_first_phase_only() -> None:
    """The first phase's centre line uses its first N points; the second uses all of its."""
    values = [1.0, 2, 1, 2, 9, 9, 9, 9, 20, 21, 22, 23]
    result = compute_chart(series(values), freeze=4, part_ends=[8])
    assert result.parts[0].centre == 1.5
    assert result.parts[1].centre == 21.5
    assert [p.baseline for p in result.points] == [True] * 4 + [False] * 4 + [True] * 4
    assert "frozen" in [f.kind for f in result.parts[0].findings]


def test_excluded_flag_equals_exclude_numbers() -> None:
    """Excluding by number or by flag gives the same chart."""
    values = [10.0, 12, 11, 30, 13, 9, 10, 11, 12, 8]
    by_number = compute_chart(series(values), chart="i", exclude=[4])
    flagged = [
        SeriesPoint(period=p.period, numerator=p.numerator, excluded=i == 3)
        for i, p in enumerate(series(values))
    ]
    by_flag = compute_chart(flagged, chart="i")
    assert by_number.points == by_flag.points
    assert by_number.points[3].included is False
    assert by_number.points[3].sigma_signal is True


def test_incomplete_points_are_shown_but_left_out() -> None:
    """An open period is drawn but changes neither centre line nor rules, nor signals."""
    values = [10.0, 12, 11, 13, 12, 11, 10, 12, 11, 13]
    closed = compute_chart(series(values), chart="i")
    points = series([*values, 100.0])
    points[-1] = replace(points[-1], incomplete=True)
    result = compute_chart(points, chart="i")
    assert result.parts[0].centre == closed.parts[0].centre
    assert result.parts[0].n_obs == 10
    last = result.points[-1]
    assert (last.value, last.incomplete, last.included, last.sigma_signal) == (
        100.0,
        True,
        False,
        False,
    )
    incomplete = next(f for f in result.findings() if f.kind == "incomplete")
    assert incomplete.points == [11]


# --- Gaps and short series ---------------------------------------------------------------


def test_gaps_keep_their_place_and_are_not_useful() -> None:
    """A missing value and a zero denominator are gaps with no value and no p limits."""
    points = [
        SeriesPoint(period=str(i), numerator=y, denominator=n)
        for i, (y, n) in enumerate([(8, 10), (None, 10), (0, 0), (9, 10), (6, 10)], start=1)
    ]
    result = compute_chart(points, chart="p")
    assert [p.value for p in result.points] == [0.8, None, None, 0.9, 0.6]
    assert result.points[1].lower is None and result.points[2].upper is None
    assert result.parts[0].n_obs == 5 and result.parts[0].n_useful == 3
    assert result.parts[0].centre == pytest.approx(23 / 30)


def test_numerator_only_series_plots_the_numerator() -> None:
    """Without a denominator the value is the count itself."""
    result = compute_chart(series([3.0, 4, 5]), chart="c")
    assert [p.value for p in result.points] == [3.0, 4.0, 5.0]


@pytest.mark.parametrize("chart", ["run", "p", "u", "c", "i"])
def test_empty_series_gives_an_empty_chart(chart: str) -> None:
    """No points: no phases, no error."""
    result = compute_chart([], chart=chart)  # type: ignore[arg-type]
    assert result.points == [] and result.parts == []


@pytest.mark.parametrize("chart", ["run", "p", "u", "c", "i"])
def test_all_missing_series_says_there_is_nothing_to_analyse(chart: str) -> None:
    """Only gaps: one phase without centre line, a 'no data' finding."""
    points = [SeriesPoint(period=str(i), numerator=None, denominator=5) for i in range(1, 6)]
    result = compute_chart(points, chart=chart)  # type: ignore[arg-type]
    part = result.parts[0]
    assert (part.centre, part.n_useful, part.runs_signal, part.longest_run) == (
        0 if False else None,
        0,
        None,
        None,
    )
    assert kinds(result) == ["no_data"]


@pytest.mark.parametrize("chart", ["run", "c", "i"])
def test_short_series_reports_counts_but_does_not_judge_runs(chart: str) -> None:
    """Five useful points: counts are given, runs_signal is None and a finding says why."""
    result = compute_chart(series([1.0, 5, 2, 6, 3]), chart=chart)  # type: ignore[arg-type]
    part = result.parts[0]
    assert part.runs_signal is None
    assert part.n_useful == (4 if chart == "run" else 5)
    assert part.longest_run is not None and part.crossings is not None
    assert "too_few_points" in kinds(result)


def test_single_point_i_chart_has_no_limits() -> None:
    """One value gives no moving range, hence no limits, and no error."""
    result = compute_chart(series([4.0]), chart="i")
    assert result.points[0].centre == 4.0
    assert result.points[0].upper is None
    assert kinds(result) == ["too_few_points"]


def test_all_equal_counts_lie_on_the_centre_line() -> None:
    """A flat series has no useful points and no sigma signals."""
    result = compute_chart(series([0.0] * 10), chart="c")
    assert result.parts[0].n_useful == 0
    assert result.parts[0].sigma_signals == 0


@pytest.mark.parametrize(
    "options",
    [
        {"chart": "x"},
        {"rules": "western"},
        {"freeze": 0},
        {"multiply": 0},
        {"multiply": math.nan},
        {"multiply": math.inf},
    ],
)
def test_invalid_options_raise_value_error(options: dict[str, object]) -> None:
    """Nonsense options are programming errors."""
    with pytest.raises(ValueError):
        compute_chart(series([1.0, 2]), **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("chart", "values", "multiply", "culprit"),
    [
        ("c", [1.0, 1e308, 1e308, 2.0], 1.0, 2),  # the mean's sum overflows
        ("i", [1.0, 1.7e308, 3.0, 1.0], 1.0, 2),  # the limits overflow
        ("run", [1.7e308, 1.6e308, 1.5e308, 2.0], 1.0, 1),  # median of the middle two overflows
        ("c", [3.0, 4.0, 5.0, 2.0], 5e307, 2),  # 4 x 5e307 is the first value to overflow
    ],
)
def test_overflow_raises_with_the_point_to_blame(
    chart: str, values: list[float], multiply: float, culprit: int
) -> None:
    """No inf or nan ever comes out of compute_chart: it names the point instead."""
    with pytest.raises(ChartOverflowError) as caught:
        compute_chart(series(values), chart=chart, multiply=multiply)  # type: ignore[arg-type]
    assert caught.value.point == culprit


def test_huge_but_finite_charts_are_computed() -> None:
    """Values up to 10^15, a million points' worth of sums, stay finite and exact enough."""
    result = compute_chart(series([1e15, 1e15 - 2, 1e15 + 2] * 4), chart="i")
    assert result.parts[0].centre == 1e15
    assert all(math.isfinite(point.upper or 0.0) for point in result.points)

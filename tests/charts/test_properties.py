"""Property tests of the chart maths (hypothesis, few examples to stay fast)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.charts import ChartType, SeriesPoint, compute_chart, parse_series_csv
from app.charts.analysis import part_numbers
from app.charts.runs import crossings_limit, longest_run_limit

FAST = settings(max_examples=60, deadline=None)

whole_values = st.lists(st.one_of(st.none(), st.integers(-50, 50)), min_size=0, max_size=40)


def series(values: list[int | None] | list[float | None]) -> list[SeriesPoint]:
    """Return plain-value points numbered as periods."""
    return [
        SeriesPoint(period=str(number), numerator=value)
        for number, value in enumerate(values, start=1)
    ]


def runs_counts(values: list[int | None], **options: object) -> list[tuple[object, ...]]:
    """Return each phase's runs counts."""
    result = compute_chart(series(values), **options)  # type: ignore[arg-type]
    return [
        (part.n_obs, part.n_useful, part.longest_run, part.crossings, part.runs_signal)
        for part in result.parts
    ]


@FAST
@given(whole_values)
def test_mirror_image_has_the_same_runs(values: list[int | None]) -> None:
    """Flipping a series upside down swaps the sides but keeps every count."""
    mirrored = [None if v is None else -v for v in values]
    assert runs_counts(values) == runs_counts(mirrored)


@FAST
@given(whole_values, st.integers(-1000, 1000))
def test_adding_a_constant_moves_the_centre_line_and_keeps_the_runs(
    values: list[int | None], constant: int
) -> None:
    """A shifted series has a shifted median and identical runs analysis."""
    shifted = [None if v is None else v + constant for v in values]
    before = compute_chart(series(values))
    after = compute_chart(series(shifted))
    for a, b in zip(before.parts, after.parts, strict=True):
        assert (a.centre is None) == (b.centre is None)
        if a.centre is not None and b.centre is not None:
            assert b.centre == a.centre + constant
    assert runs_counts(values) == runs_counts(shifted)


@FAST
@given(whole_values)
def test_reversed_series_keeps_longest_run_and_crossings(values: list[int | None]) -> None:
    """Time reversed, a series has the same runs."""
    assert runs_counts(values) == runs_counts(values[::-1])


@FAST
@given(
    st.lists(
        st.tuples(st.integers(0, 60), st.integers(0, 60)).map(lambda t: (min(t), max(t))),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from([1.0, 100.0]),
)
def test_p_chart_limits_stay_between_zero_and_one(
    counts: list[tuple[int, int]], multiply: float
) -> None:
    """Proportion limits never leave [0, 1] (times multiply) and surround the centre line."""
    points = [
        SeriesPoint(period=str(i), numerator=y, denominator=n)
        for i, (y, n) in enumerate(counts, start=1)
    ]
    result = compute_chart(points, chart="p", multiply=multiply)
    for point in result.points:
        if point.lower is not None and point.upper is not None and point.centre is not None:
            assert 0.0 <= point.lower <= point.centre <= point.upper <= multiply


@FAST
@given(whole_values, st.sampled_from(["run", "c", "i"]), st.lists(st.integers(1, 40), max_size=3))
def test_useful_points_never_exceed_observations(
    values: list[int | None], chart: ChartType, part_ends: list[int]
) -> None:
    """n_useful <= n_obs <= points in the phase, for every chart and phase split."""
    result = compute_chart(
        series([None if v is None else abs(v) for v in values]), chart=chart, part_ends=part_ends
    )
    assert len(result.points) == len(values)
    for part in result.parts:
        size = part.last_point - part.first_point + 1
        assert 0 <= part.n_useful <= part.n_obs <= size
        if part.longest_run is not None:
            assert part.longest_run <= part.n_useful
            assert part.crossings is not None and part.crossings < part.n_useful


@FAST
@given(whole_values)
def test_i_chart_limits_are_symmetric(values: list[int | None]) -> None:
    """XmR limits lie at the same distance either side of the mean."""
    result = compute_chart(series(values), chart="i")
    for point in result.points:
        if point.upper is not None and point.lower is not None and point.centre is not None:
            assert abs((point.upper - point.centre) - (point.centre - point.lower)) < 1e-9


@FAST
@given(
    st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c"])), max_size=20),
    st.lists(st.integers(0, 21), max_size=3),
)
def test_phases_are_numbered_consecutively(labels: list[str | None], ends: list[int]) -> None:
    """Phase numbers start at 1 and go up one at a time."""
    numbers = part_numbers(
        [SeriesPoint(period=str(i), part=label) for i, label in enumerate(labels)], ends
    )
    assert all(b - a in (0, 1) for a, b in zip(numbers, numbers[1:], strict=False))
    assert not numbers or numbers[0] == 1


def test_critical_values_grow_with_the_number_of_points() -> None:
    """More useful points allow longer runs and demand more crossings."""
    for n in range(1, 300):
        assert longest_run_limit(n + 1) >= longest_run_limit(n)
        assert crossings_limit(n + 1) >= crossings_limit(n)


@FAST
@given(
    st.dictionaries(
        st.integers(1, 500),
        st.tuples(st.one_of(st.none(), st.integers(0, 50)), st.integers(50, 90)),
        max_size=25,
    )
)
def test_csv_round_trip_keeps_every_row_in_period_order(
    rows: dict[int, tuple[int | None, int]],
) -> None:
    """Rows written in any order come back sorted by (numeric) period, gaps kept."""
    lines = ["period,numerator,denominator"]
    lines += [f"{period},{'' if y is None else y},{n}" for period, (y, n) in rows.items()]
    points = parse_series_csv("\n".join(lines), chart="p")
    assert [p.period for p in points] == [str(period) for period in sorted(rows)]
    assert [(p.numerator, p.denominator) for p in points] == [
        (rows[period][0], rows[period][1]) for period in sorted(rows)
    ]

"""The overview's icons from hand-made series: variation, assurance, sustained improvement,
and a cell's value, suppression and sparkline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from app.charts import SeriesPoint, compute_chart
from app.core.i18n import current_language, set_language
from app.measures.access import Unit
from app.measures.aggregate import CountRow, Level
from app.measures.chart_data import MeasureInfo, build_chart
from app.measures.periods import Window
from app.overview.cells import cell_of, format_value, sparkline
from app.overview.icons import (
    Assurance,
    Variation,
    assurance,
    sustained_improvement,
    variation,
)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Run each test in English."""
    previous = current_language()
    set_language("en")
    yield
    set_language(previous)


def run(values: list[float | None], *, incomplete_last: bool = False) -> object:
    """A run chart of plain values, one a month from 2024-01."""
    points = [
        SeriesPoint(f"p{n:02d}", value, None, incomplete=incomplete_last and n == len(values) - 1)
        for n, value in enumerate(values)
    ]
    return compute_chart(points, chart="run")


# Ten points low, ten high: the median lies between, ten in a row above > 7 (n = 20) signals.
STEP_UP = [50, 52, 49, 51, 50, 48, 53, 50, 51, 49, 80, 82, 79, 81, 80, 83, 78, 80, 81, 79]
# Up and down around 50: no long run, plenty of crossings.
STABLE = [48, 52, 49, 53, 47, 51, 50.5, 46, 54, 49, 52, 48, 53, 47, 51, 49.5, 52, 48, 53, 47]


def test_a_run_above_the_median_to_the_end_is_improving_when_higher_is_better() -> None:
    result = run(STEP_UP)
    icon = variation(result, direction="up")
    assert icon.variation == Variation.improving and icon.high_low == "high"


def test_the_same_run_is_concerning_when_lower_is_better() -> None:
    icon = variation(run(STEP_UP), direction="down")
    assert icon.variation == Variation.concerning and icon.high_low == "high"


def test_a_step_down_is_low_and_concerning_when_higher_is_better() -> None:
    icon = variation(run(STEP_UP[::-1]), direction="up")
    assert icon.variation == Variation.concerning and icon.high_low == "low"


def test_random_variation_is_common_cause() -> None:
    assert variation(run(STABLE), direction="up").variation == Variation.common


def test_too_few_points_is_not_enough_data() -> None:
    assert variation(run(STABLE[:5]), direction="up").variation == Variation.unknown
    assert variation(run([None, None]), direction="up").variation == Variation.unknown


def test_a_signal_that_ended_before_the_latest_point_is_not_shown() -> None:
    result = run(STABLE)
    # flags as a rule set would give them: a special cause at points 3 to 9, none at the end
    flags = {number: {"high"} for number in range(3, 10)}
    assert variation(result, direction="up", flags=flags).variation == Variation.common
    flags[20] = {"low"}
    icon = variation(result, direction="up", flags=flags)
    assert icon.variation == Variation.concerning and icon.high_low == "low"
    assert variation(result, direction="up", flags={20: {"high", "low"}}).variation == (
        Variation.neither
    )


def test_the_incomplete_month_is_left_out_and_the_latest_complete_point_decides() -> None:
    values: list[float | None] = [*STEP_UP, 10.0]  # the open month dips far below
    result = run(values, incomplete_last=True)
    assert variation(result, direction="up").variation == Variation.improving


def test_a_point_beyond_the_upper_limit_of_a_p_chart_is_a_special_cause() -> None:
    points = [SeriesPoint(f"m{n}", 88 + (n % 3) * 2, 100) for n in range(11)]
    points.append(SeriesPoint("m11", 100, 100))
    result = compute_chart(points, chart="p", multiply=100)
    assert result.points[-1].sigma_signal
    icon = variation(result, direction="up")
    assert icon.variation == Variation.improving and icon.high_low == "high"
    # one point beyond a limit is a special cause, but not a sustained improvement
    assert sustained_improvement(result, direction="up") == []


def test_a_run_to_the_end_is_a_sustained_improvement_from_its_first_point() -> None:
    streak = sustained_improvement(run(STEP_UP), direction="up")
    assert [p.period for p in streak][0] == "p10" and streak[-1].period == "p19"
    assert sustained_improvement(run(STEP_UP), direction="down") == []
    assert sustained_improvement(run(STABLE), direction="up") == []


def p_chart(share: float, n: int = 1000, count: int = 12) -> object:
    """A stable p chart around a share with ``n`` items a month (limits about ±3 %)."""
    wobble = [0, 5, -5, 3, -3, 0, 4, -4, 2, -2, 1, -1]
    points = [
        SeriesPoint(f"m{i}", round(share * n) + wobble[i % len(wobble)], n) for i in range(count)
    ]
    return compute_chart(points, chart="p", multiply=100)


def test_spc_assurance_sets_the_goal_against_the_latest_limits() -> None:
    result = p_chart(0.9)  # limits about 87.2 % to 92.8 %
    assert assurance(result, direction="up", goal=80) == Assurance.meets
    assert assurance(result, direction="up", goal=95) == Assurance.misses
    assert assurance(result, direction="up", goal=90) == Assurance.hit_and_miss
    assert assurance(result, direction="down", goal=95) == Assurance.meets
    assert assurance(result, direction="down", goal=80) == Assurance.misses
    assert assurance(result, direction="up", goal=None) == Assurance.no_goal


def test_run_chart_assurance_reads_the_points_of_the_latest_phase() -> None:
    values = [91, 93, 95, 92, 94, 96, 90, 92, 95, 93]
    assert assurance(run(values), direction="up", goal=90) == Assurance.meets
    assert assurance(run(values), direction="up", goal=97) == Assurance.misses
    assert assurance(run(values), direction="up", goal=93) == Assurance.hit_and_miss
    assert assurance(run(values), direction="down", goal=97) == Assurance.meets
    assert assurance(run(values[:7]), direction="up", goal=90) == Assurance.unknown


def test_run_chart_assurance_forgets_an_earlier_phase() -> None:
    before = [SeriesPoint(f"a{n}", 40 + n % 3) for n in range(10)]
    after = [SeriesPoint(f"b{n}", 92 + n % 3, part="change") for n in range(10)]
    result = compute_chart([*before, *after], chart="run")
    assert assurance(result, direction="up", goal=90) == Assurance.meets


UNIT = Unit(7, "Team Seven", frozenset({7}))
INFO = MeasureInfo(
    id="m", title="M", description="", type="proportion", periods=["month"],
    default_period="month", direction="up", goal=80.0, core=True, chart="run",
)  # fmt: skip


def _chart(rows: dict[date, CountRow], *, hidden: set[date] | None) -> object:
    """A monthly chart of 2025 built as the overview builds it, some months hidden."""
    window = Window(
        first_day=date(2025, 1, 1),
        last_day=date(2025, 12, 31),
        now=datetime(2026, 1, 15, tzinfo=UTC),
        by_week=False,
        by_month=True,
    )
    return build_chart(
        info=INFO, level=Level.team, unit=UNIT, period="month", window=window, rows=rows,
        hide_small=hidden is not None, hidden=hidden,
    )  # fmt: skip


def _rows(last: tuple[float, float]) -> dict[date, CountRow]:
    rows = {date(2025, m, 1): CountRow(7, None, date(2025, m, 1), 45, 50, 0) for m in range(1, 12)}
    rows[date(2025, 12, 1)] = CountRow(7, None, date(2025, 12, 1), *last, 0)
    return rows


def test_a_cell_shows_the_latest_complete_value_and_its_month() -> None:
    rows = _rows((40, 50))
    cell = cell_of(_chart(rows, hidden=None), href="/x")
    assert cell.period == "2025-12" and cell.value_text == "80.0 %" and not cell.hidden
    assert cell.assurance == Assurance.meets  # 90 % eleven times, then 80 %: all reach 80
    set_language("nb")
    assert format_value(73.14, "proportion") == "73,1 %"
    assert format_value(2.346, "mean") == "2,35"


def test_a_hidden_small_cell_reads_below_the_threshold_and_never_its_count() -> None:
    rows = _rows((2, 3))
    last = date(2025, 12, 1)
    cell = cell_of(_chart(rows, hidden={last}), href="/x", hidden_counts={last: rows[last]})
    assert cell.hidden and cell.value_text == "<5" and cell.value is None
    assert "2" not in cell.value_text and "3" not in cell.value_text


def test_a_cell_hidden_as_a_complement_reads_a_dash() -> None:
    rows = _rows((40, 50))
    last = date(2025, 12, 1)
    cell = cell_of(_chart(rows, hidden={last}), href="/x", hidden_counts={last: rows[last]})
    assert cell.hidden and cell.value_text == "–"


def test_the_sparkline_leaves_gaps_for_missing_months() -> None:
    line = sparkline([1.0, 2.0, None, 3.0, 3.0])
    assert len(line.segments) == 2 and line.last is not None
    assert sparkline([None, None]).segments == []
    flat = sparkline([5.0, 5.0])
    assert {point.split(",")[1] for point in flat.segments[0].split()} == {"12.0"}

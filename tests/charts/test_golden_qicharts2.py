"""Golden tests: reproduce qicharts2 0.8.1's results (tests/charts/reference/, see README.md)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from app.charts import MIN_USEFUL_POINTS, SeriesPoint, compute_chart
from app.charts.runs import crossings_limit, longest_run_limit

REFERENCE = Path(__file__).parent / "reference"
CASES: dict[str, dict[str, Any]] = json.loads((REFERENCE / "cases.json").read_text())
TOLERANCE = 1e-6

# Inline series: the options of the R call, in our terms.
INLINE_CASES: dict[str, dict[str, Any]] = {
    "ramp12": {},
    "points_on_median": {},
    "pi_digits24": {},
    "step_shift24": {},
    "step_shift24_freeze12": {"freeze": 12},
    "step_shift24_part12": {"part_ends": [12]},
    "i_chart_with_NA_and_outlier": {"chart": "i"},
    "i_chart_exclude_outlier": {"chart": "i", "exclude": [11]},
    "p_chart_zero_denominator": {"chart": "p"},
    "run_chart_zero_denominator": {},
    "p_chart_missing_numerator": {"chart": "p"},
    "ones_to_tens": {},
    "mdc_deviations_i_screened": {"chart": "i"},
    "mdc_deviations_i_unscreened": {"chart": "i", "screen_moving_ranges": False},
}
# Dataset cases: (file, x column, y column, n column or None, first rows or None, options).
DATASET_CASES: dict[str, tuple[str, str, str, str | None, int | None, dict[str, Any]]] = {
    "cdi_run": ("cdi.csv", "month", "n", None, None, {}),
    "cdi_run_freeze24": ("cdi.csv", "month", "n", None, None, {"freeze": 24}),
    "cdi_run_part24": ("cdi.csv", "month", "n", None, None, {"part_ends": [24]}),
    "cdi_c_part24": ("cdi.csv", "month", "n", None, None, {"chart": "c", "part_ends": [24]}),
    "cdi_u_part24": (
        "cdi.csv",
        "month",
        "n",
        "days",
        None,
        {"chart": "u", "part_ends": [24], "multiply": 10000},
    ),
    "nhs_accidents_run": ("nhs_accidents.csv", "i", "r", "n", None, {}),
    "nhs_accidents_p": ("nhs_accidents.csv", "i", "r", "n", None, {"chart": "p"}),
    "nhs_accidents_i": ("nhs_accidents.csv", "i", "r", "n", None, {"chart": "i"}),
    "gtt_p_harmed": ("gtt_by_month.csv", "month", "n.harmed", "n", None, {"chart": "p"}),
    "gtt_run_harmed": ("gtt_by_month.csv", "month", "n.harmed", "n", None, {}),
    "gtt_u_harms": (
        "gtt_by_month.csv",
        "month",
        "harms",
        "days",
        None,
        {"chart": "u", "multiply": 1000},
    ),
    "cabg_p_readmissions": (
        "cabg_by_month.csv",
        "month",
        "readmissions",
        "n",
        None,
        {"chart": "p"},
    ),
    # A funnel plot is a u chart over hospitals instead of periods; the maths is the same.
    "hai_bac_funnel": (
        "hai16_bac_by_hospital.csv",
        "hospital",
        "n",
        "days",
        None,
        {"chart": "u", "multiply": 10000},
    ),
    "montgomery_7.1": (
        "montgomery_tbl_07_03.csv",
        "sample",
        "count",
        "size",
        None,
        {"chart": "p", "exclude": [15, 23], "part_ends": [30]},
    ),
    "montgomery_7.1_first30": (
        "montgomery_tbl_07_03.csv",
        "sample",
        "count",
        "size",
        30,
        {"chart": "p"},
    ),
    "montgomery_7.3_c": (
        "montgomery_tbl_07_08.csv",
        "sample",
        "count",
        None,
        None,
        {"chart": "c", "exclude": [6, 20], "freeze": 26},
    ),
}
SKIPPED_CASES = {
    "nhs_accidents_pp": "P' (Laney) charts are not part of the chart maths yet",
    "cabg_p_readmissions_from_raw": "x.period aggregation of raw rows belongs to the measures "
    "service (one SQL query per measure), not to the chart maths",
    "partial_weeks_xperiod": "x.period aggregation of raw rows belongs to the measures service",
}


def _r_value(value: Any) -> Any:
    """Return None for R's NA (stored as an empty object)."""
    return None if value == {} else value


def _dataset_number(cell: str) -> float | None:
    """Parse a number from an R-written CSV."""
    return None if cell in ("NA", "") else float(cell)


def _series(name: str) -> tuple[list[SeriesPoint], dict[str, Any]]:
    """Return the input series and the chart options of a reference case."""
    if name in INLINE_CASES:
        given = CASES[name]["input"]
        ys = [_r_value(y) for y in given["y"]]
        ns = given.get("n")
        xs = given.get("x", list(range(1, len(ys) + 1)))
        points = [
            SeriesPoint(
                period=str(xs[index]),
                numerator=ys[index],
                denominator=ns[index] if ns else None,
            )
            for index in range(len(ys))
        ]
        return points, INLINE_CASES[name]
    file, x, y, n, head, options = DATASET_CASES[name]
    with (REFERENCE / "data" / file).open(newline="") as handle:
        rows = list(csv.DictReader(handle))[:head]
    points = [
        SeriesPoint(
            period=row[x],
            numerator=_dataset_number(row[y]),
            denominator=_dataset_number(row[n]) if n else None,
        )
        for row in rows
    ]
    return points, options


def _close(expected: Any, actual: float | None) -> bool:
    """Compare a reference number (or NA) with ours."""
    expected = _r_value(expected)
    if expected is None or actual is None:
        return expected is None and actual is None
    return abs(expected - actual) <= TOLERANCE


def _runs_signal_matches(expected: int | bool, actual: bool | None, n_useful: int) -> bool:
    """Compare qicharts2's runs signal with ours, which is None on too short series."""
    if n_useful < MIN_USEFUL_POINTS:
        return actual is None and not expected
    return actual is bool(expected)


def test_every_reference_case_is_run_or_skipped_for_a_reason() -> None:
    """No case in cases.json goes untested without a stated reason."""
    known = set(INLINE_CASES) | set(DATASET_CASES) | set(SKIPPED_CASES)
    assert set(CASES) == known


@pytest.mark.parametrize("name", sorted(SKIPPED_CASES))
def test_skipped_reference_case(name: str) -> None:
    """Cases for features outside the chart maths are skipped, with the reason."""
    pytest.skip(SKIPPED_CASES[name])


@pytest.mark.parametrize("name", sorted(set(INLINE_CASES) | set(DATASET_CASES)))
def test_reference_case_summary(name: str) -> None:
    """Each phase's counts, limits of the rules and centre line match qicharts2."""
    points, options = _series(name)
    result = compute_chart(points, **options)
    summary = CASES[name]["summary"]
    assert len(result.parts) == len(summary)
    for expected, part in zip(summary, result.parts, strict=True):
        assert part.part == expected["part"]
        assert part.n_obs == expected["n.obs"]
        assert part.n_useful == expected["n.useful"]
        assert part.longest_run == expected["longest.run"]
        assert part.longest_run_max == expected["longest.run.max"]
        assert part.crossings == expected["n.crossings"]
        assert part.crossings_min == expected["n.crossings.min"]
        assert part.sigma_signals == expected["sigma.signal"]
        assert _close(expected["CL"], part.centre), (expected["CL"], part.centre)
        assert _runs_signal_matches(expected["runs.signal"], part.runs_signal, part.n_useful)


@pytest.mark.parametrize("name", sorted(set(INLINE_CASES) | set(DATASET_CASES)))
def test_reference_case_points(name: str) -> None:
    """Every point's value, centre line, limits and flags match qicharts2."""
    points, options = _series(name)
    result = compute_chart(points, **options)
    reference = CASES[name]["points"]
    assert len(result.points) == len(reference)
    parts = {part.part: part for part in result.parts}
    for expected, point in zip(reference, result.points, strict=True):
        where = f"point {point.number}"
        for field, ours in (
            ("y", point.value),
            ("cl", point.centre),
            ("lcl", point.lower),
            ("ucl", point.upper),
        ):
            if field in expected:
                assert _close(expected[field], ours), (where, field, expected[field], ours)
        if "sigma.signal" in expected:
            assert point.sigma_signal is expected["sigma.signal"], where
        if "part" in expected:
            assert point.part == expected["part"], where
        if "baseline" in expected:
            assert point.baseline is expected["baseline"], where
        if "include" in expected:
            assert point.included is expected["include"], where
        if "runs.signal" in expected:
            n_useful = parts[point.part].n_useful
            assert _runs_signal_matches(expected["runs.signal"], point.runs_signal, n_useful)


def test_critical_values_match_the_published_table() -> None:
    """Longest run allowed and fewest crossings allowed for 1-200 useful points."""
    with (REFERENCE / "anhoej_critical_values.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["n.useful"]) for row in rows] == list(range(1, 201))
    for row in rows:
        n = int(row["n.useful"])
        assert longest_run_limit(n) == int(row["longest.run.max"]), n
        assert crossings_limit(n) == int(row["n.crossings.min"]), n

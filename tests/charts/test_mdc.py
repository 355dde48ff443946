"""Making Data Count rules: hand-computed series, each edge case, and the `hph chart` contract."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from app.charts import SeriesPoint, compute_chart
from app.charts.command import chart
from app.charts.mdc import MdcPoint, shifts, trends, two_of_three


def flat(values: Sequence[float], *, centre: float = 10.0, sigma: float = 1.0) -> list[MdcPoint]:
    """Points numbered from 1 around a fixed centre line and sigma."""
    return [MdcPoint(n, v, centre, sigma) for n, v in enumerate(values, start=1)]


def counts(values: Sequence[float | None], **marks: set[int]) -> list[SeriesPoint]:
    """Monthly counts (c or I chart), some points excluded or incomplete by number."""
    return [
        SeriesPoint(
            period=f"2025-{n:02d}" if n <= 12 else f"2026-{n - 12:02d}",
            numerator=v,
            excluded=n in marks.get("excluded", set()),
            incomplete=n in marks.get("incomplete", set()),
        )
        for n, v in enumerate(values, start=1)
    ]


# --- shift: 7 on one side; a point on the centre line breaks the run ----------------------


def test_seven_on_one_side_is_a_shift_and_six_is_not() -> None:
    """7 points above a centre line of 10 make a shift; 6 do not."""
    assert [s.points for s in shifts(flat([11] * 7))] == [tuple(range(1, 8))]
    assert shifts(flat([11] * 6 + [9])) == []
    below = shifts(flat([12, 9, 9, 9, 9, 9, 9, 9]))
    assert [(s.direction, s.points) for s in below] == [(-1, (2, 3, 4, 5, 6, 7, 8))]


def test_a_point_on_the_centre_line_breaks_a_shift() -> None:
    """6 above, one on the line, 6 above: two runs of 6, no shift."""
    assert shifts(flat([11] * 6 + [10] + [11] * 6)) == []


# --- trend: 7 rising or falling; a tie breaks the trend -----------------------------------


def test_seven_rising_or_falling_is_a_trend_and_six_is_not() -> None:
    """1..7 rises 6 steps (a trend of 7); 7..1 falls; 1..6 is too short."""
    assert [(t.direction, t.points) for t in trends(flat(range(1, 8)))] == [(1, tuple(range(1, 8)))]
    assert [t.direction for t in trends(flat(range(7, 0, -1)))] == [-1]
    assert trends(flat(range(1, 7))) == []


def test_a_tie_breaks_a_trend() -> None:
    """1, 2, 3, 3, 4, 5, 6, 7 holds 1-3 and 3-7 rising: no trend of 7 (IHI would see one)."""
    assert trends(flat([1, 2, 3, 3, 4, 5, 6, 7])) == []


def test_the_point_where_a_trend_turns_starts_the_next() -> None:
    """A peak belongs to the rise before it and to the fall after it."""
    found = trends(flat([1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1]))
    assert [(t.direction, t.points[0], t.points[-1]) for t in found] == [(1, 1, 7), (-1, 7, 13)]


# --- 2 of 3 beyond 2 sigma on one side; beyond 3 sigma counts -----------------------------


def test_two_of_three_beyond_two_sigma_marks_only_the_points_beyond() -> None:
    """12.5, 10, 12.5 around 10 with sigma 1: points 1 and 3 take part, not point 2."""
    assert [(s.direction, s.points) for s in two_of_three(flat([12.5, 10, 12.5]))] == [(1, (1, 3))]


def test_two_of_three_needs_the_same_side_and_strictly_beyond_two_sigma() -> None:
    """One above and one below do not count; a point exactly at 2 sigma is not beyond it."""
    assert two_of_three(flat([12.5, 7.5, 10])) == []
    assert two_of_three(flat([12.0, 12.0, 10])) == []
    assert two_of_three(flat([12.5, 10, 10, 12.5])) == []  # 3 apart: never in one window


def test_points_beyond_three_sigma_count_in_two_of_three() -> None:
    """A point beyond 3 sigma is beyond 2 sigma too."""
    assert [s.points for s in two_of_three(flat([13.5, 10, 12.5]))] == [(1, 3)]


# --- the whole chart, computed by hand ------------------------------------------------------

# c chart: 20 counts with mean 16, so sigma = 4, limits 4 and 28, 2-sigma lines 8 and 24.
HAND = [16, 30, 12, 25, 10, 11, 12, 13, 14, 15, 13, 16, 17, 18, 19, 20, 21, 22, 8, 8]


def test_c_chart_with_mdc_rules_marks_each_point_with_its_rules() -> None:
    """Beyond the limits (2), 2 of 3 with a point beyond 3 sigma (2, 4), a shift of 7 below
    (5-11), a trend of 8 through a point on the centre line (11-18), 6 above after a point
    on the line (no shift), 6 rising (5-10, no trend), two points exactly at 2 sigma (none)."""
    result = compute_chart(counts(HAND), chart="c", rules="mdc")
    assert result.parts[0].centre == 16
    assert (result.points[0].lower, result.points[0].upper) == (4, 28)
    expected = {
        2: ["beyond_limits", "two_of_three"],
        4: ["two_of_three"],
        **{n: ["shift"] for n in range(5, 11)},
        11: ["shift", "trend"],
        **{n: ["trend"] for n in range(12, 19)},
    }
    assert {p.number: list(p.rules) for p in result.points if p.rules} == expected
    assert all(p.rules == () for p in result.points if p.number not in expected)
    assert result.parts[0].runs_signal is True
    assert [f.kind for f in result.findings()] == ["shift", "trend", "two_of_three", "sigma"]
    assert result.findings()[2].text_in("en") == (
        "2 of 3 points in a row more than 2 sigma above the centre line: 2025-02, 2025-04."
    )


def test_excluded_points_neither_count_nor_break_and_incomplete_ones_are_left_out() -> None:
    """Included: 8 x 20 and 8 x 12 (mean 16, limits 4-28). The excluded 30 in the run below
    neither breaks nor counts (a shift of 7 around it) but still shows beyond the limits;
    the incomplete 40 at the end is provisional: no rule at all."""
    values = [12, 20, 20, 20, 20, 12, 12, 12, 30, 12, 12, 12, 12, 20, 20, 20, 20, 40]
    result = compute_chart(counts(values, excluded={9}, incomplete={18}), chart="c", rules="mdc")
    assert result.parts[0].centre == 16
    shift = [6, 7, 8, 10, 11, 12, 13]
    assert {p.number: list(p.rules) for p in result.points if p.rules} == {
        **{n: ["shift"] for n in shift},
        9: ["beyond_limits"],
    }


def test_mdc_rules_refuse_a_run_chart() -> None:
    """The Making Data Count rules are for SPC charts."""
    with pytest.raises(ValueError, match="SPC charts"):
        compute_chart(counts([1.0] * 10), chart="run", rules="mdc")


def test_other_rule_sets_name_their_rules_on_points() -> None:
    """Anhøj names the long run and the limits on the points it concerns."""
    values = [6, 7, 6, 7] + [1, 2, 1, 2, 1, 2, 1, 2, 1] + [7, 6, 7, 6, 7]
    result = compute_chart(counts(values))
    assert result.points[4].rules[0] == "long_run"
    assert "long_run" not in result.points[0].rules


# --- a measure at its limit -----------------------------------------------------------------


def test_a_run_chart_with_its_median_at_100_per_cent_is_at_its_limit_not_a_signal() -> None:
    """A stable 100 % with a few dips: every useful point is below the median, yet no signal."""
    shares = [(10, 10)] * 14 + [(9, 10), (10, 10), (8, 10), (9, 10), (9, 10), (10, 10)] * 2
    points = [
        SeriesPoint(f"2026-W{n:02d}", numerator=y, denominator=d)
        for n, (y, d) in enumerate(shares, start=1)
    ]
    plain = compute_chart(points, multiply=100)
    assert plain.parts[0].runs_signal is True  # what the dashboard called a deterioration
    result = compute_chart(points, multiply=100, bounds=(0.0, 1.0))
    assert [f.kind for f in result.findings()] == ["at_limit"]
    assert result.parts[0].runs_signal is None
    assert all(not p.signals and not p.rules for p in result.points)
    assert result.findings()[0].text_in("en").startswith("The median is 100 %, the measure's limit")
    assert result.findings()[0].text_in("nb").startswith("Medianen er 100 %")


def test_a_p_chart_at_zero_is_at_its_limit_without_being_told() -> None:
    """A p chart knows a share lies between 0 and 1."""
    points = [SeriesPoint(f"2026-{n:02d}", numerator=0, denominator=20) for n in range(1, 13)]
    result = compute_chart(points, chart="p", rules="mdc", multiply=100)
    assert "at_limit" in [f.kind for f in result.findings()]
    assert result.parts[0].runs_signal is None


# --- hph chart --rules mdc -----------------------------------------------------------------

app = typer.Typer()
app.command("chart")(chart)


@app.command("version")
def version() -> None:
    """A second command, so that `chart` is a subcommand as in app/cli.py."""


runner = CliRunner()


@pytest.fixture
def hand_csv(tmp_path: Path) -> Path:
    """The hand-computed c chart series as a CSV file."""
    path = tmp_path / "hand.csv"
    rows = [
        f"2025-{n:02d},{v}" if n <= 12 else f"2026-{n - 12:02d},{v}" for n, v in enumerate(HAND, 1)
    ]
    path.write_text("period,numerator\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", ["c", "i"])
def test_hph_chart_json_with_mdc_lists_each_points_rules(hand_csv: Path, kind: str) -> None:
    """Every point carries "rules", a list (empty when none), besides the agreed fields."""
    result = runner.invoke(
        app, ["chart", str(hand_csv), "--chart", kind, "--rules", "mdc", "--json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) == {"chart", "points", "parts"}
    for point in document["points"]:
        assert set(point) == {
            "period", "numerator", "denominator", "value", "centre", "lower", "upper",
            "sigma_signal", "part", "rules",
        }  # fmt: skip
        assert set(point["rules"]) <= {"beyond_limits", "shift", "trend", "two_of_three"}
    if kind == "c":
        assert document["points"][1]["rules"] == ["beyond_limits", "two_of_three"]
        assert document["points"][0]["rules"] == []


def test_hph_chart_json_without_mdc_keeps_the_old_contract(hand_csv: Path) -> None:
    """Other rule sets add no "rules" field."""
    result = runner.invoke(app, ["chart", str(hand_csv), "--chart", "c", "--json"])
    assert "rules" not in json.loads(result.stdout)["points"][0]


def test_hph_chart_refuses_mdc_for_a_run_chart(hand_csv: Path) -> None:
    """One line of error, exit code 2."""
    result = runner.invoke(app, ["chart", str(hand_csv), "--chart", "run", "--rules", "mdc"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: --rules mdc is for i, p, u and c charts, not for a run chart."
    )

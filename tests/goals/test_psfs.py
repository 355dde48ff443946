"""PSFS rules: function scores, change since baseline, minimal important change, sparklines."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from app.goals import psfs
from app.goals.psfs import ChangeFlag, RatingPoint

HIGHER, LOWER = psfs.HIGHER_IS_BETTER, psfs.LOWER_IS_BETTER
JAN, MAR, JUN = date(2026, 1, 10), date(2026, 3, 10), date(2026, 6, 10)


def _progress(*points: tuple[date, int, str], mic: float = 3) -> psfs.GoalProgress:
    """Progress of a goal whose first rating is the baseline."""
    ratings = [RatingPoint(d, r, direction, i == 0) for i, (d, r, direction) in enumerate(points)]
    return psfs.goal_progress(ratings, mic_single=mic)


@pytest.mark.parametrize("value", [0, 5, 10])
def test_is_valid_rating_accepts_whole_numbers_from_0_to_10(value: int) -> None:
    assert psfs.is_valid_rating(value)


@pytest.mark.parametrize("value", [-1, 11, 7.5, 7.0, "7", True, None])
def test_is_valid_rating_rejects_everything_else(value: object) -> None:
    assert not psfs.is_valid_rating(value)


def test_function_score_turns_the_reversed_form_around() -> None:
    assert psfs.function_score(2, HIGHER) == 2
    assert psfs.function_score(2, LOWER) == 8
    assert psfs.rating_on_scale(8, LOWER) == 2


def test_function_score_rejects_an_unknown_direction() -> None:
    with pytest.raises(ValueError):
        psfs.function_score(2, "sideways")


def test_goal_progress_measures_change_from_baseline_to_latest() -> None:
    progress = _progress((MAR, 6, HIGHER), (JAN, 2, HIGHER), (JUN, 7, HIGHER))
    assert progress.baseline is not None and progress.baseline.rated_on == MAR
    assert progress.latest is not None and progress.latest.rated_on == JUN
    assert progress.change == 1
    assert [p.rated_on for p in progress.points] == [JAN, MAR, JUN]


def test_goal_progress_without_a_rerating_has_no_change() -> None:
    progress = _progress((JAN, 2, HIGHER))
    assert progress.change is None
    assert progress.flag is ChangeFlag.not_rerated


def test_goal_progress_of_no_ratings_is_empty() -> None:
    progress = psfs.goal_progress([], mic_single=3)
    assert progress.baseline is None and progress.change is None


@pytest.mark.parametrize(
    ("baseline", "latest", "flag"),
    [
        (2, 5, ChangeFlag.improved),
        (2, 4, ChangeFlag.small),
        (5, 2, ChangeFlag.worsened),
        (5, 3, ChangeFlag.small),
        (4, 4, ChangeFlag.small),
    ],
)
def test_single_goal_flag_reaches_mic_of_three_exactly(
    baseline: int, latest: int, flag: ChangeFlag
) -> None:
    assert _progress((JAN, baseline, HIGHER), (MAR, latest, HIGHER)).flag is flag


def test_reversed_scale_counts_a_lower_rating_as_improvement() -> None:
    progress = _progress((JAN, 8, LOWER), (MAR, 4, LOWER))
    assert progress.change == 4
    assert progress.flag is ChangeFlag.improved


def test_reversed_scale_counts_a_higher_rating_as_worsening() -> None:
    progress = _progress((JAN, 2, LOWER), (MAR, 6, LOWER))
    assert progress.change == -4
    assert progress.flag is ChangeFlag.worsened


def test_change_compares_function_scores_across_forms() -> None:
    progress = _progress((JAN, 7, LOWER), (MAR, 6, HIGHER))
    assert progress.change == 3
    assert progress.flag is ChangeFlag.improved


def test_mic_threshold_is_configurable() -> None:
    assert _progress((JAN, 2, HIGHER), (MAR, 5, HIGHER), mic=4).flag is ChangeFlag.small


def test_mic_flag_compares_exactly_without_rounding_errors() -> None:
    assert psfs.mic_flag(Fraction(6, 3), 2.0) is ChangeFlag.improved
    assert psfs.mic_flag(Fraction(19, 10), 2.0) is ChangeFlag.small
    assert psfs.mic_flag(1.3, 1.3) is ChangeFlag.improved
    assert psfs.mic_flag(-2, 2) is ChangeFlag.worsened
    assert psfs.mic_flag(None, 2) is ChangeFlag.not_rerated


def test_mean_score_is_the_mean_of_the_rated_activities() -> None:
    assert psfs.mean_score([2, 3, 7]) == 4
    assert psfs.mean_score([]) is None


def test_mean_progress_uses_only_rerated_goals_and_its_own_mic() -> None:
    goals = [
        _progress((JAN, 2, HIGHER), (MAR, 5, HIGHER)),
        _progress((JAN, 3, HIGHER), (MAR, 4, HIGHER)),
        _progress((JAN, 1, HIGHER)),
    ]
    mean = psfs.mean_progress(goals, mic_mean=2)
    assert mean.goals_counted == 2
    assert mean.baseline_mean == 2.5 and mean.latest_mean == 4.5
    assert mean.change == 2.0
    assert mean.flag is ChangeFlag.improved


def test_mean_progress_below_mic_is_small() -> None:
    goals = [
        _progress((JAN, 2, HIGHER), (MAR, 4, HIGHER)),
        _progress((JAN, 3, HIGHER), (MAR, 4, HIGHER)),
        _progress((JAN, 5, HIGHER), (MAR, 7, HIGHER)),
    ]
    mean = psfs.mean_progress(goals, mic_mean=2)
    assert mean.change == pytest.approx(5 / 3)
    assert mean.flag is ChangeFlag.small


def test_mean_progress_with_reversed_goals_uses_function_scores() -> None:
    goals = [
        _progress((JAN, 9, LOWER), (MAR, 6, LOWER)),
        _progress((JAN, 2, HIGHER), (MAR, 3, HIGHER)),
    ]
    mean = psfs.mean_progress(goals, mic_mean=2)
    assert mean.baseline_mean == 1.5 and mean.latest_mean == 3.5
    assert mean.flag is ChangeFlag.improved


def test_mean_progress_without_rerated_goals_is_not_rerated() -> None:
    mean = psfs.mean_progress([_progress((JAN, 2, HIGHER))], mic_mean=2)
    assert mean.goals_counted == 0 and mean.change is None
    assert mean.flag is ChangeFlag.not_rerated


def test_sparkline_puts_10_at_the_top_and_spaces_points_by_date() -> None:
    points = _progress(
        (JAN, 0, HIGHER), (date(2026, 1, 20), 10, HIGHER), (date(2026, 1, 30), 5, HIGHER)
    ).points
    line = psfs.sparkline(points, target_score=10, width=100, height=40, pad=5)
    (x0, y0), (x1, y1), (x2, y2) = line.points
    assert (x0, y0) == (5, 35) and (x1, y1) == (50, 5) and (x2, y2) == (95, 20)
    assert line.target_y == 5
    assert line.polyline == "5.0,35.0 50.0,5.0 95.0,20.0"


def test_sparkline_of_one_rating_is_a_centred_dot_on_the_function_scale() -> None:
    line = psfs.sparkline([RatingPoint(JAN, 10, LOWER)], width=100, height=40, pad=5)
    assert line.points == ((50, 35),)
    assert line.target_y is None

"""PSFS rules: one function scale, change since baseline, minimal important change, sparklines.

Pure functions over plain values (no database, no web). A rating is stored as it was
entered together with the direction of the form it was entered on; every comparison first
turns it into a *function score* where 0 = cannot do it at all and 10 = can do it as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction

RATING_MIN = 0
RATING_MAX = 10
MAX_ACTIVE_GOALS = 5
HIGHER_IS_BETTER = "higher_is_better"
LOWER_IS_BETTER = "lower_is_better"
SCALE_DIRECTIONS = (HIGHER_IS_BETTER, LOWER_IS_BETTER)


class ChangeFlag(StrEnum):
    """How a change since baseline compares with the minimal important change (MIC)."""

    improved = "improved"
    worsened = "worsened"
    small = "small"
    not_rerated = "not_rerated"


def is_valid_rating(value: object) -> bool:
    """Whether a value is a whole number from 0 to 10 (booleans are not numbers here)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10


def function_score(rating: int, direction: str) -> int:
    """Turn a rating on either form into the standard scale (10 = can do it as before)."""
    if direction not in SCALE_DIRECTIONS:
        raise ValueError(f"unknown scale direction {direction!r}")
    return rating if direction == HIGHER_IS_BETTER else RATING_MAX - rating


def rating_on_scale(score: int, direction: str) -> int:
    """Turn a standard-scale score back into a rating on the given form."""
    return function_score(score, direction)


def mic_flag(change: Fraction | float | int | None, threshold: float) -> ChangeFlag:
    """Flag a change that reaches the minimal important change, up or down."""
    if change is None:
        return ChangeFlag.not_rerated
    exact_change = Fraction(change) if not isinstance(change, Fraction) else change
    exact_threshold = Fraction(str(threshold))
    if exact_change >= exact_threshold:
        return ChangeFlag.improved
    if exact_change <= -exact_threshold:
        return ChangeFlag.worsened
    return ChangeFlag.small


@dataclass(frozen=True)
class RatingPoint:
    """One dated rating as entered, with the direction of its form."""

    rated_on: date
    rating: int
    direction: str = HIGHER_IS_BETTER
    is_baseline: bool = False

    @property
    def score(self) -> int:
        """The rating on the standard scale (10 = can do it as before)."""
        return function_score(self.rating, self.direction)


@dataclass(frozen=True)
class GoalProgress:
    """A goal's ratings in date order, its baseline, latest rating and change."""

    points: tuple[RatingPoint, ...]
    baseline: RatingPoint | None
    latest: RatingPoint | None
    change: int | None
    flag: ChangeFlag


def goal_progress(points: Iterable[RatingPoint], *, mic_single: float) -> GoalProgress:
    """Work out a goal's change since baseline (positive = better) and flag it against MIC."""
    ordered = tuple(sorted(points, key=lambda p: p.rated_on))
    if not ordered:
        return GoalProgress((), None, None, None, ChangeFlag.not_rerated)
    baseline = next((p for p in ordered if p.is_baseline), ordered[0])
    latest = ordered[-1]
    change = latest.score - baseline.score if latest.rated_on > baseline.rated_on else None
    return GoalProgress(ordered, baseline, latest, change, mic_flag(change, mic_single))


def mean_score(scores: Sequence[int]) -> float | None:
    """The PSFS score: the mean of the rated activities (None when nothing is rated)."""
    return sum(scores) / len(scores) if scores else None


@dataclass(frozen=True)
class MeanProgress:
    """The PSFS mean at baseline and now, over the goals rated at least twice."""

    goals_counted: int
    baseline_mean: float | None
    latest_mean: float | None
    change: float | None
    flag: ChangeFlag


def mean_progress(progresses: Iterable[GoalProgress], *, mic_mean: float) -> MeanProgress:
    """Compare mean scores over the same goals at baseline and at their latest re-rating."""
    rerated = [p for p in progresses if p.change is not None and p.baseline and p.latest]
    if not rerated:
        return MeanProgress(0, None, None, None, ChangeFlag.not_rerated)
    baselines = [p.baseline.score for p in rerated if p.baseline]
    latests = [p.latest.score for p in rerated if p.latest]
    exact = Fraction(sum(latests) - sum(baselines), len(rerated))
    return MeanProgress(
        goals_counted=len(rerated),
        baseline_mean=mean_score(baselines),
        latest_mean=mean_score(latests),
        change=float(exact),
        flag=mic_flag(exact, mic_mean),
    )


@dataclass(frozen=True)
class Sparkline:
    """Geometry of a small line chart of scores over time, for an inline SVG."""

    width: int
    height: int
    points: tuple[tuple[float, float], ...]
    target_y: float | None

    @property
    def polyline(self) -> str:
        """The points as an SVG ``points`` attribute."""
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)


def sparkline(
    points: Sequence[RatingPoint],
    *,
    target_score: int | None = None,
    width: int = 160,
    height: int = 48,
    pad: int = 6,
) -> Sparkline:
    """Place scores on a small chart: x by date, y from 0 (bottom) to 10 (top)."""
    inner_w, inner_h = width - 2 * pad, height - 2 * pad

    def y_of(score: int) -> float:
        """The y coordinate of a score."""
        return pad + (RATING_MAX - score) * inner_h / RATING_MAX

    if not points:
        coords: tuple[tuple[float, float], ...] = ()
    else:
        first, last = points[0].rated_on, points[-1].rated_on
        span = (last - first).days
        coords = tuple(
            (
                pad + ((p.rated_on - first).days * inner_w / span if span else inner_w / 2),
                y_of(p.score),
            )
            for p in points
        )
    target_y = y_of(target_score) if target_score is not None else None
    return Sparkline(width, height, coords, target_y)

"""One unit's chart: the requested range, phases from annotations, suppression, the chart maths."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from app.charts import (
    ChartResult,
    ChartType,
    FindingKind,
    PartResult,
    RuleSet,
    SeriesPoint,
    compute_chart,
    rule_set_for_chart,
)
from app.core.config import get_settings
from app.core.i18n import _, current_language
from app.measures.access import Unit
from app.measures.aggregate import CountRow, Level
from app.measures.catalogue import CHARTS_FOR_TYPE
from app.measures.count_cache import COUNTS
from app.measures.models import Annotation
from app.measures.periods import Window, period_end, period_grid, period_label, periods_between
from app.measures.suppression import small

DEFAULT_SPAN = {"week": timedelta(weeks=52), "month": timedelta(days=730)}
MAX_PERIODS = 260


class MeasureRequestError(ValueError):
    """A chart request that cannot be answered as asked (422), in the user's language."""


class MeasureInfo(BaseModel):
    """What a measure is, for lists and chart headings."""

    id: str
    title: str
    description: str
    type: str
    periods: list[str]
    default_period: str
    direction: str
    goal: float | None
    core: bool
    chart: str
    manual: bool = False
    team_id: int | None = None


@dataclass(slots=True)
class MeasurePoint:
    """One period of a measure's chart, as counted and as analysed.

    A plain dataclass (pydantic still validates and serialises it inside the models): a
    national comparison builds tens of thousands of them.
    """

    period: str
    period_start: date
    numerator: float | None
    denominator: float | None
    pending: Annotated[int | None, Field(description="Items not yet decided (None if suppressed).")]
    value: float | None
    centre: float | None
    lower: float | None
    upper: float | None
    part: int
    signals: list[FindingKind]
    sigma_signal: bool
    runs_signal: bool | None
    incomplete: bool
    suppressed: bool
    excluded: bool = False


class AnnotationMark(BaseModel):
    """A tested change drawn on the chart."""

    id: int
    happened_on: date
    period: str
    title: str
    starts_phase: bool


class MeasureChart(BaseModel):
    """A measure's series for one unit and period type, with its analysis."""

    measure: MeasureInfo
    level: Level
    unit_id: int
    unit_name: str
    period: str
    start: date
    end: date
    chart: str
    points: list[MeasurePoint]
    parts: list[PartResult]
    findings: list[str]
    annotations: list[AnnotationMark]
    rules: str = Field(default="anhoej", description="The rule set the chart is read by.")
    result: ChartResult = Field(exclude=True)


def resolve_range(period: str, start: date | None, end: date | None, now: datetime) -> Window:
    """Check a requested range and return the window of local due dates it covers."""
    if period not in ("week", "month"):
        raise MeasureRequestError(_("The period must be 'week' or 'month'."))
    today = now.astimezone(get_settings().zone).date()
    end = end or today
    start = start or end - DEFAULT_SPAN[period]
    if start > end:
        raise MeasureRequestError(_("The start date is after the end date."))
    starts = periods_between(start, end, period)
    if len(starts) > MAX_PERIODS:
        raise MeasureRequestError(_("Ask for at most {n} periods at a time.").format(n=MAX_PERIODS))
    return Window(
        first_day=starts[0],
        last_day=period_end(starts[-1], period),
        now=now,
        by_week=period == "week",
        by_month=period == "month",
    )


def combined_window(
    periods: Sequence[str], start: date | None, end: date | None, now: datetime
) -> tuple[dict[str, Window], Window]:
    """The window of each period type, and one window covering them all (for one query)."""
    windows = {period: resolve_range(period, start, end, now) for period in periods}
    window = Window(
        first_day=min(w.first_day for w in windows.values()),
        last_day=max(w.last_day for w in windows.values()),
        now=now,
        by_week="week" in windows,
        by_month="month" in windows,
    )
    return windows, window


def phase_labels(
    starts: Sequence[date], notes: Sequence[Annotation], period: str, last_day: date
) -> tuple[list[str | None], list[AnnotationMark]]:
    """Part labels per period (a phase starts at the first period on/after its change)."""
    labels: list[str | None] = [None] * len(starts)
    marks: list[AnnotationMark] = []
    for note in sorted(notes, key=lambda n: (n.happened_on, n.id or 0)):
        if starts and starts[0] <= note.happened_on <= last_day:
            holding = max(i for i, start in enumerate(starts) if start <= note.happened_on)
            marks.append(
                AnnotationMark(
                    id=int(note.id or 0),
                    happened_on=note.happened_on,
                    period=period_label(starts[holding], period),
                    title=note.title,
                    starts_phase=note.starts_phase,
                )
            )
        first = next((i for i, start in enumerate(starts) if start >= note.happened_on), None)
        if note.starts_phase and first is not None:
            label = f"{note.happened_on.isoformat()} {note.title}"
            labels[first:] = [label] * (len(starts) - first)
    return labels, marks


def team_annotations(
    session: Session, *, team_ids: Sequence[int], measure_key: str, last: date
) -> dict[int, list[Annotation]]:
    """Teams' annotations on one measure (or on all) up to a date, by team, in one query."""
    found: dict[int, list[Annotation]] = {team_id: [] for team_id in team_ids}
    if not team_ids:
        return found
    for note in session.exec(
        select(Annotation)
        .where(col(Annotation.team_id).in_(list(team_ids)))
        .where(col(Annotation.measure_key).is_(None) | (Annotation.measure_key == measure_key))
        .where(col(Annotation.happened_on) <= last)
    ).all():
        found[note.team_id].append(note)
    return found


def build_chart(
    *,
    info: MeasureInfo,
    level: Level,
    unit: Unit,
    period: str,
    window: Window,
    rows: dict[date, CountRow],
    hide_small: bool,
    hidden: Collection[date] | None = None,
    notes: Sequence[Annotation] = (),
    chart: str | None = None,
    rules: RuleSet = "anhoej",
    excluded: Collection[date] = (),
) -> MeasureChart:
    """Turn counts per period into a computed chart, suppressing and flagging as needed.

    ``excluded``: the starts of the periods the team left out as known special causes.

    ``hidden``: the periods ``suppression.protect_periods`` hides (small cells and their
    complements); without it, ``hide_small`` hides the small cells only (a team's own manual
    measure, which adds up into nothing). Suppressed counts come without pending items.
    """
    threshold = get_settings().suppression_threshold
    grid = period_grid(window.first_day, window.last_day, period)
    labels, marks = phase_labels(grid.starts, notes, period, window.last_day)
    today = window.today
    counts_only = info.type == "count"
    series: list[SeriesPoint] = []
    hides: list[bool] = []
    pending: list[int | None] = []
    for start, name, last_day, label in zip(
        grid.starts, grid.labels, grid.ends, labels, strict=True
    ):
        row = rows.get(start)
        if row is None:  # nothing due: a gap
            series.append(
                SeriesPoint(name, None, None, label, last_day >= today, start in excluded)
            )
            hides.append(hidden is not None and start in hidden)
            pending.append(None if hide_small else 0)
            continue
        if hidden is not None:
            hide = start in hidden
        else:
            hide = hide_small and small(
                row.numerator, row.denominator, kind=info.type, threshold=threshold
            )
        waiting = row.pending
        series.append(
            SeriesPoint(
                period=name,
                numerator=None if hide or row.denominator <= 0 else row.numerator,
                denominator=None if hide or counts_only else row.denominator,
                part=label,
                incomplete=last_day >= today or waiting > 0,
                excluded=start in excluded,
            )
        )
        hides.append(hide)
        pending.append(None if hide_small else waiting)
    chart_type: ChartType = chart or info.chart  # type: ignore[assignment]
    multiply = 100.0 if info.type == "proportion" else 1.0
    result = _computed(
        _series_key(series),
        chart_type,
        rule_set_for_chart(rules, chart_type),
        multiply,
        info.type == "proportion",  # a share's limits are 0 and 1
    )
    points = [
        MeasurePoint(
            period=p.period,
            period_start=start,
            numerator=p.numerator,
            denominator=p.denominator,
            pending=waiting,
            value=p.value,
            centre=p.centre,
            lower=p.lower,
            upper=p.upper,
            part=p.part,
            signals=p.signals,
            sigma_signal=p.sigma_signal,
            runs_signal=p.runs_signal,
            incomplete=p.incomplete,
            suppressed=hide,
            excluded=p.excluded,
        )
        for p, start, hide, waiting in zip(result.points, grid.starts, hides, pending, strict=True)
    ]
    return MeasureChart(
        measure=info,
        level=level,
        unit_id=unit.id,
        unit_name=unit.name,
        period=period,
        start=window.first_day,
        end=window.last_day,
        chart=chart_type,
        points=points,
        parts=result.parts,
        findings=result.findings_in(current_language()),
        annotations=marks,
        rules=result.rules,
        result=result,
    )


SeriesKey = tuple[tuple[str, float | None, str, float | None, str, str | None, bool, bool], ...]


def _series_key(series: Sequence[SeriesPoint]) -> SeriesKey:
    """A series as a key: each point's fields, numbers also by ``repr`` (1 is not 1.0, nor
    0.0 -0.0, though they compare equal)."""
    return tuple(
        (p.period, p.numerator, repr(p.numerator), p.denominator, repr(p.denominator), p.part)
        + (p.incomplete, p.excluded)
        for p in series
    )


# The chart maths is a pure function of the series: a page opened again while its counts are
# unchanged (and a dashboard and its exports) computes each chart once. Results are shared:
# read-only, as ``app.charts`` documents them.
def forget_kept_results() -> None:
    """Forget the counts and chart maths this worker kept (``count_cache``, ``_computed``), so
    that the next chart is counted and computed afresh (benchmarks timing a fresh view)."""
    COUNTS.clear()
    _computed.cache_clear()


@lru_cache(maxsize=256)
def _computed(
    key: SeriesKey, chart: ChartType, rules: RuleSet, multiply: float, bounded: bool
) -> ChartResult:
    """``compute_chart`` of a series given as its key (see ``_series_key``)."""
    series = [SeriesPoint(k[0], k[1], k[3], k[5], k[6], k[7]) for k in key]
    bounds = (0.0, 1.0) if bounded else None
    return compute_chart(series, chart=chart, rules=rules, multiply=multiply, bounds=bounds)


def check_chart_type(info: MeasureInfo, chart: str | None) -> None:
    """Refuse a chart type that does not fit the measure's type."""
    if chart is not None and chart not in CHARTS_FOR_TYPE[info.type]:
        allowed = ", ".join(CHARTS_FOR_TYPE[info.type])
        raise MeasureRequestError(
            _("This measure is drawn as one of: {charts}.").format(charts=allowed)
        )

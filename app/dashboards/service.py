"""Dashboards: a team's core measures at a glance, and coordinators' comparison of units.

Who sees what:

- a team dashboard shows patient-level drill-downs, so it is for those who may see the
  team's patients (team members and nurses of that team); coordinators and administrators
  compare aggregates on ``/comparison`` instead;
- the comparison shows core measures only (the ones compared across regions) and applies
  the measures service's suppression: a count from 1 to ``suppression_threshold - 1`` (or
  the complement of a proportion in that range) is shown as "<5", never as the number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.charts import chart_spec
from app.charts.models import Annotation as ChartNote
from app.core.config import get_settings
from app.core.deps import Forbidden
from app.core.i18n import _, current_language
from app.measures.access import may_see_unit, suppresses_for, units_of
from app.measures.aggregate import Level, count_items
from app.measures.catalogue import MeasureDefinition, measures_in_use
from app.measures.chart_data import (
    MeasureChart,
    MeasureInfo,
    MeasureRequestError,
    combined_window,
)
from app.measures.periods import Window, period_end, periods_between
from app.measures.service import (
    MeasureNotFound,
    catalogue_measure,
    fold,
    measure_info,
    unit_series,
)
from app.org.models import Role
from app.org.scope import Viewer

COMPARISON_LEVELS = (Level.team, Level.organisation, Level.network)
Z95, Z998 = 1.959964, 3.090232


@dataclass
class DashboardChart:
    """One measure on a dashboard: the chart, its spec, a verdict, or why it is missing."""

    info: MeasureInfo
    chart: MeasureChart | None = None
    spec: dict[str, Any] | None = None
    verdict: str = ""
    message: str | None = None


@dataclass
class TableRow:
    """One unit's totals over the chosen range, as shown (suppressed counts as text)."""

    unit_id: int
    unit_name: str
    numerator: str
    denominator: str
    rate: str
    suppressed: bool


@dataclass
class Comparison:
    """A core measure across units: small multiples, a funnel and a table."""

    info: MeasureInfo
    level: Level
    period: str
    charts: list[MeasureChart]
    rows: list[TableRow]
    quarter: str
    funnel: list[dict[str, Any]] = field(default_factory=list)
    funnel_hidden: list[str] = field(default_factory=list)
    pooled: float | None = None


def dashboard_measures() -> list[MeasureDefinition]:
    """The measures every team follows: the core measures of the catalogue."""
    return measures_in_use().core()


def check_team_access(viewer: Viewer, team_id: int) -> None:
    """Only those who may see the team's patients open its dashboard."""
    if not viewer.may_see_patients_of(team_id):
        raise Forbidden(
            _("The team dashboard is for the team's own members; coordinators use the comparison.")
        )


def shown_count(value: float | None, *, hide: bool) -> str:
    """A count as a coordinator may see it: "<5" when small, blank when unknown."""
    threshold = get_settings().suppression_threshold
    if value is None:
        return ""
    if hide and 0 < value < threshold:
        return f"<{threshold}"
    return f"{value:g}"


def verdict(chart: MeasureChart, direction: str) -> str:
    """One line saying what the chart shows, from the findings of its latest phase."""
    result = chart.result
    if not any(p.value is not None for p in result.points):
        return _("No data in this range.")
    part = result.parts[-1]
    signals = [f for f in part.findings if f.is_signal]
    since = ""
    label = chart.parts[-1].label if chart.parts else None
    if label and len(result.parts) > 1:
        since = " " + _("since the change '{title}'").format(title=label.split(" ", 1)[-1])
    if not signals:
        if part.runs_signal is None:
            return _("Too few points yet to judge the variation{since}.").format(since=since)
        return _("Random variation around the median{since}.").format(since=since)
    finding = signals[0]
    good = {"above": "up", "below": "down", "up": "up", "down": "down"}.get(finding.side or "")
    if good is None:
        kind = _("Signal")
    elif good == direction:
        kind = _("Improvement")
    else:
        kind = _("Deterioration")
    return _("{kind}: {finding}{since}").format(
        kind=kind, finding=finding.text_in(current_language()).rstrip("."), since=since
    )


def spec_for(chart: MeasureChart, *, width: int = 560, height: int = 240) -> dict[str, Any]:
    """The Vega-Lite spec of a measure chart, with its tested changes and goal line."""
    language = current_language()
    notes = [ChartNote(mark.period, mark.title) for mark in chart.annotations]
    y_title = "%" if chart.measure.type == "proportion" else chart.measure.title
    spec = chart_spec(
        chart.result,
        title=chart.measure.title,
        goal=chart.measure.goal,
        annotations=notes,
        y_title=y_title,
        language=language,
        width=width,
        height=height,
    )
    # 52 weekly labels do not fit side by side: let Vega drop the ones that would overlap
    spec["config"]["axisX"] = {"labelOverlap": "greedy", "labelSeparation": 4}
    return spec


def team_dashboard(
    session: Session,
    *,
    viewer: Viewer,
    team_id: int,
    period: str,
    start: date | None,
    end: date | None,
    now: datetime,
) -> list[DashboardChart]:
    """Every core measure of a team by week or month, each with a spec and a verdict."""
    check_team_access(viewer, team_id)
    if period not in ("week", "month"):
        raise MeasureRequestError(_("The period must be 'week' or 'month'."))
    combined_window([period], start, end, now)  # a bad range is refused before any query
    shown: list[DashboardChart] = []
    for measure in dashboard_measures():
        info = measure_info(measure)
        if period not in measure.periods:
            message = _("This measure is counted by {periods} only.").format(
                periods=", ".join(_(p) for p in measure.periods)
            )
            shown.append(DashboardChart(info=info, message=message))
            continue
        charts = unit_series(
            session,
            viewer=viewer,
            measure_id=measure.id,
            level=Level.team,
            periods=[period],
            start=start,
            end=end,
            now=now,
            unit_ids=[team_id],
        )
        chart = charts[0]
        shown.append(
            DashboardChart(
                info=info,
                chart=chart,
                spec=spec_for(chart),
                verdict=verdict(chart, measure.direction),
                message=None
                if any(p.value is not None for p in chart.points)
                else _("No data in this range: choose another period or date range."),
            )
        )
    return shown


def team_measure(
    session: Session,
    *,
    viewer: Viewer,
    team_id: int,
    measure_id: str,
    period: str,
    start: date | None,
    end: date | None,
    now: datetime,
) -> DashboardChart:
    """One core measure of a team's dashboard (MeasureNotFound when the team does not follow it)."""
    check_team_access(viewer, team_id)
    if measure_id not in {m.id for m in dashboard_measures()}:
        raise MeasureNotFound(
            _("This team does not follow the measure '{id}'.").format(id=measure_id)
        )
    measure = catalogue_measure(measure_id)
    if period not in measure.periods:
        raise MeasureRequestError(
            _("This measure is counted by {periods}, not by {period}.").format(
                periods=", ".join(_(p) for p in measure.periods), period=_(period)
            )
        )
    chart = unit_series(
        session,
        viewer=viewer,
        measure_id=measure_id,
        level=Level.team,
        periods=[period],
        start=start,
        end=end,
        now=now,
        unit_ids=[team_id],
    )[0]
    return DashboardChart(
        info=chart.measure,
        chart=chart,
        spec=spec_for(chart),
        verdict=verdict(chart, measure.direction),
    )


def last_quarter(today: date) -> tuple[date, date, str]:
    """The latest whole calendar quarter before today: first day, last day, label."""
    this_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last_day = this_quarter - timedelta(days=1)
    first_day = date(last_day.year, last_day.month - 2, 1)
    return first_day, last_day, f"{first_day.year}-Q{(first_day.month - 1) // 3 + 1}"


def funnel_limits(pooled: float, n: float, z: float) -> tuple[float, float]:
    """Binomial limits around a pooled proportion for a unit with ``n`` items, clipped to [0, 1]."""
    spread = z * math.sqrt(pooled * (1 - pooled) / n)
    return max(0.0, pooled - spread), min(1.0, pooled + spread)


def check_comparison(measure_id: str, level: str) -> tuple[MeasureDefinition, Level]:
    """Refuse a measure that is not core, or a level that is not compared."""
    measure = catalogue_measure(measure_id)
    if not measure.core:
        raise MeasureRequestError(_("Only core measures can be compared across units."))
    try:
        chosen = Level(level)
    except ValueError as exc:
        raise MeasureRequestError(_("Compare teams, organisations or networks.")) from exc
    if chosen not in COMPARISON_LEVELS:
        raise MeasureRequestError(_("Compare teams, organisations or networks."))
    return measure, chosen


def comparison(
    session: Session,
    *,
    viewer: Viewer,
    measure_id: str,
    level: str,
    period: str | None,
    start: date | None,
    end: date | None,
    now: datetime,
) -> Comparison:
    """A core measure across the units of a level the viewer may see, suppressed as needed."""
    measure, chosen = check_comparison(measure_id, level)
    # weekly counts per unit are mostly small enough to be suppressed: compare by month
    period = period or ("month" if "month" in measure.periods else measure.default_period)
    charts = unit_series(
        session,
        viewer=viewer,
        measure_id=measure.id,
        level=chosen,
        periods=[period],
        start=start,
        end=end,
        now=now,
    )
    if not charts:
        raise Forbidden(_("You may not see any unit at this level."))
    units = units_of(session, chosen)
    hide = {c.unit_id: suppresses_for(viewer, units[c.unit_id]) for c in charts}
    windows, window = combined_window([period], start, end, now)
    rows = fold(count_items(session, measure, level=chosen, window=window), period)
    table = [
        _table_row(c, rows.get(c.unit_id, {}).values(), hide[c.unit_id], measure) for c in charts
    ]
    first, last, label = last_quarter(now.astimezone(get_settings().zone).date())
    found = Comparison(
        info=measure_info(measure),
        level=chosen,
        period=period,
        charts=charts,
        rows=table,
        quarter=label,
    )
    if measure.type == "proportion":
        _add_funnel(session, found, measure, chosen, first, last, now, hide, viewer)
    return found


def _table_row(chart: MeasureChart, rows: Any, hide: bool, measure: MeasureDefinition) -> TableRow:
    """Totals of one unit over the range, small counts hidden from those who may not see them."""
    numerator = sum(r.numerator for r in rows)
    denominator = sum(r.denominator for r in rows)
    small = [numerator] if measure.type == "count" else [numerator, denominator]
    if measure.type == "proportion":
        small.append(denominator - numerator)
    threshold = get_settings().suppression_threshold
    hidden = hide and any(0 < value < threshold for value in small)
    rate = ""
    if measure.type == "proportion" and denominator and not hidden:
        rate = f"{100 * numerator / denominator:.1f} %"
    elif measure.type == "mean" and denominator and not hidden:
        rate = f"{numerator / denominator:.2f}"
    return TableRow(
        unit_id=chart.unit_id,
        unit_name=chart.unit_name,
        numerator=_hidden_count(numerator, threshold) if hidden else f"{numerator:g}",
        denominator=""
        if measure.type == "count"
        else (_hidden_count(denominator, threshold) if hidden else f"{denominator:g}"),
        rate=rate,
        suppressed=hidden,
    )


def _hidden_count(value: float, threshold: int) -> str:
    """A count of a suppressed row: "<5" when small, a dash when it would give away another."""
    if 0 < value < threshold:
        return f"<{threshold}"
    return "–"


def _add_funnel(
    session: Session,
    found: Comparison,
    measure: MeasureDefinition,
    level: Level,
    first: date,
    last: date,
    now: datetime,
    hide: dict[int, bool],
    viewer: Viewer,
) -> None:
    """Totals of the latest whole quarter per unit, the pooled proportion and the points drawn."""
    months = periods_between(first, last, "month")
    window = Window(
        first_day=months[0],
        last_day=period_end(months[-1], "month"),
        now=now,
        by_week=False,
        by_month=True,
    )
    units = units_of(session, level)
    visible = {u for u in hide if may_see_unit(viewer, units[u], level=level, core=True)}
    totals: dict[int, list[float]] = {}
    for row in count_items(session, measure, level=level, window=window):
        if row.unit_id in visible:
            entry = totals.setdefault(row.unit_id, [0.0, 0.0])
            entry[0] += row.numerator
            entry[1] += row.denominator
    all_y = sum(t[0] for t in totals.values())
    all_n = sum(t[1] for t in totals.values())
    if not all_n:
        return
    found.pooled = all_y / all_n
    threshold = get_settings().suppression_threshold
    for unit_id, (y, n) in sorted(totals.items()):
        if not n:
            continue
        name = units[unit_id].name
        if hide[unit_id] and any(0 < v < threshold for v in (y, n, n - y)):
            found.funnel_hidden.append(name)
            continue
        found.funnel.append({"unit": name, "n": n, "rate": 100 * y / n})


def funnel_curve(pooled: float, max_n: float) -> list[dict[str, float]]:
    """Points of the 95 % and 99.8 % limit lines from n = 1 to the largest unit."""
    steps = sorted(
        {max(1, round(max_n * (i / 60) ** 2)) for i in range(1, 61)} | {1, int(max_n) + 1}
    )
    curve = []
    for n in steps:
        low95, high95 = funnel_limits(pooled, n, Z95)
        low998, high998 = funnel_limits(pooled, n, Z998)
        curve.append(
            {
                "n": n,
                "low95": 100 * low95,
                "high95": 100 * high95,
                "low998": 100 * low998,
                "high998": 100 * high998,
            }
        )
    return curve


def units_in_range(charts: Sequence[MeasureChart]) -> list[str]:
    """The names of units whose charts have at least one point."""
    return [c.unit_name for c in charts if any(p.value is not None for p in c.points)]


def is_coordinator(viewer: Viewer) -> bool:
    """Whether the viewer compares units (coordinator or administrator)."""
    return viewer.has_role(Role.coordinator.value, Role.admin.value)

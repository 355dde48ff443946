"""Team dashboard: the measures a team follows, then its own (manual) measures, each with a
chart and a verdict.

A team dashboard shows patient-level drill-downs, so it is for those who may see the team's
patients (team members and nurses of that team); coordinators and administrators compare
aggregates on ``/comparison`` instead (see ``app.dashboards.comparison``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from app.charts import chart_spec
from app.charts.models import Annotation as ChartNote
from app.core.deps import Forbidden
from app.core.i18n import _, current_language
from app.measures.aggregate import Level
from app.measures.catalogue import MeasureDefinition, measures_in_use
from app.measures.chart_data import (
    MeasureChart,
    MeasureInfo,
    MeasureRequestError,
    combined_window,
)
from app.measures.following import followed_measures
from app.measures.manual import list_manual_measures, manual_info, manual_series
from app.measures.service import (
    MeasureNotFound,
    catalogue_measure,
    measure_info,
    unit_series,
)
from app.org.scope import Viewer


@dataclass
class DashboardChart:
    """One measure on a dashboard: the chart, its spec, a verdict, or why it is missing."""

    info: MeasureInfo
    chart: MeasureChart | None = None
    spec: dict[str, Any] | None = None
    verdict: str = ""
    message: str | None = None


def dashboard_measures() -> list[MeasureDefinition]:
    """The measures every team follows and regions compare: the catalogue's core measures."""
    return measures_in_use().core()


def _chart_item(chart: MeasureChart, direction: str) -> DashboardChart:
    """A chart with its spec and verdict, or the message that it holds no data."""
    return DashboardChart(
        info=chart.measure,
        chart=chart,
        spec=spec_for(chart),
        verdict=verdict(chart, direction),
        message=None
        if any(p.value is not None for p in chart.points)
        else _("No data in this range: choose another period or date range."),
    )


def _counted_by(periods: list[str]) -> str:
    """Say which periods a measure is counted by."""
    return _("This measure is counted by {periods} only.").format(
        periods=", ".join(_(p) for p in periods)
    )


def check_team_access(viewer: Viewer, team_id: int) -> None:
    """Only those who may see the team's patients open its dashboard."""
    if not viewer.may_see_patients_of(team_id):
        raise Forbidden(
            _("The team dashboard is for the team's own members; coordinators use the comparison.")
        )


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
    """The measures a team follows, then its manual ones, by week or month, with verdicts."""
    check_team_access(viewer, team_id)
    if period not in ("week", "month"):
        raise MeasureRequestError(_("The period must be 'week' or 'month'."))
    combined_window([period], start, end, now)  # a bad range is refused before any query
    shown: list[DashboardChart] = []
    for measure in followed_measures(session, team_id=team_id):
        info = measure_info(measure)
        if period not in measure.periods:
            shown.append(DashboardChart(info=info, message=_counted_by(list(measure.periods))))
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
        shown.append(_chart_item(charts[0], measure.direction))
    for manual in list_manual_measures(session, viewer=viewer, team_id=team_id):
        info = manual_info(manual)
        if period != manual.period_type:
            shown.append(DashboardChart(info=info, message=_counted_by([manual.period_type])))
            continue
        chart = manual_series(
            session,
            viewer=viewer,
            measure_id=info.id,
            period=period,
            start=start,
            end=end,
            now=now,
        )
        shown.append(_chart_item(chart, manual.direction))
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
    """One measure of a team's dashboard (MeasureNotFound when the team does not follow it)."""
    check_team_access(viewer, team_id)
    if measure_id not in {m.id for m in followed_measures(session, team_id=team_id)}:
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

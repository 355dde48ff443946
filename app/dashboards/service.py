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

from app.charts import chart_spec, rule_set_name, rule_set_summary
from app.charts.advice import too_few_per_period
from app.charts.models import SPC_CHARTS
from app.charts.models import Annotation as ChartNote
from app.charts.numbers import format_number
from app.charts.spec import chart_name
from app.core.deps import Forbidden
from app.core.i18n import _, current_language
from app.measures.aggregate import Level
from app.measures.catalogue import MeasureDefinition, measures_in_use, spc_chart_of
from app.measures.chart_data import (
    MeasureChart,
    MeasureInfo,
    MeasureRequestError,
    combined_window,
)
from app.measures.chart_reads import ChartReads
from app.measures.following import followed_measures
from app.measures.manual import list_manual_measures, manual_info, manual_series
from app.measures.service import (
    MeasureNotFound,
    catalogue_measure,
    measure_info,
    unit_series,
)
from app.org.chart_rules import unit_chart_rules
from app.org.scope import Viewer


@dataclass
class DashboardChart:
    """One measure on a dashboard: the chart, its spec, a verdict, or why it is missing."""

    info: MeasureInfo
    chart: MeasureChart | None = None
    spec: dict[str, Any] | None = None
    verdict: str = ""
    message: str | None = None
    rules_caption: str = ""
    rules_help: str = ""
    advice: str | None = None


def chart_choice(rules: str, measure_type: str) -> str | None:
    """The chart type a network's rules ask for: Making Data Count reads SPC charts."""
    return spc_chart_of(measure_type) if rules == "mdc" else None


def rules_caption(chart: MeasureChart) -> str:
    """Say which chart and rule set a chart is read by, e.g. "P chart · Anhøj rules"."""
    language = current_language()
    return f"{chart_name(chart.chart, language)} · {rule_set_name(chart.rules, language)}"


def weekly_advice(chart: MeasureChart) -> str | None:
    """Suggest the monthly view when a weekly chart counts fewer than 10 items a week."""
    if chart.period != "week":
        return None
    median = too_few_per_period(chart.result)
    if median is None:
        return None
    return _(
        "Few items a week (median {n}): a weekly share then swings between 0 and 100 % and "
        "its limits are wide. The monthly view counts about four times as many items per point."
    ).format(n=format_number(median, current_language()))


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
        rules_caption=rules_caption(chart),
        rules_help=rule_set_summary(chart.rules, current_language()),
        advice=weekly_advice(chart),
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
    at_limit = next((f for f in part.findings if f.kind == "at_limit"), None)
    since = ""
    label = chart.parts[-1].label if chart.parts else None
    if label and len(result.parts) > 1:
        since = " " + _("since the change '{title}'").format(title=label.split(" ", 1)[-1])
    if not signals:
        if at_limit is not None and part.centre is not None:
            value = format_number(part.centre, current_language())
            unit = " %" if chart.measure.type == "proportion" else ""
            return _(
                "At its limit: the centre line is {value}{since}, and the run rules cannot "
                "judge a measure that cannot go further."
            ).format(value=value + unit, since=since)
        if part.runs_signal is None:
            return _("Too few points yet to judge the variation{since}.").format(since=since)
        if result.chart in SPC_CHARTS:
            return _("Random variation around the centre line{since}.").format(since=since)
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
    reads: ChartReads | None = None,
) -> list[DashboardChart]:
    """The measures a team follows, then its manual ones, by week or month, with verdicts;
    ``reads``: the page's reads (the team, its changes, left-out points and goals: once)."""
    check_team_access(viewer, team_id)
    if period not in ("week", "month"):
        raise MeasureRequestError(_("The period must be 'week' or 'month'."))
    combined_window([period], start, end, now)  # a bad range is refused before any query
    rules = unit_chart_rules(session, level="team", unit_id=team_id)
    reads = reads or ChartReads(session)
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
            chart=chart_choice(rules, measure.type),
            rules=rules,  # type: ignore[arg-type]
            reads=reads,
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
            chart=chart_choice(rules, info.type),
            rules=rules,  # type: ignore[arg-type]
            reads=reads,
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
    rules = unit_chart_rules(session, level="team", unit_id=team_id)
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
        chart=chart_choice(rules, measure.type),
        rules=rules,  # type: ignore[arg-type]
    )[0]
    return _chart_item(chart, measure.direction)

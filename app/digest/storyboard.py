"""A team's one-page storyboard for a learning session: aim, measures, changes tested, charts.

Built from the same dashboard charts as the team's pages (monthly, the twelve months up to a
chosen month). The aim is the team's goal lines said in words (the catalogue's where the team
set none). Charts are server-drawn SVG (vl-convert), vector graphics on paper. Aggregates and
the team's own change descriptions only: never a patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from markupsafe import Markup
from sqlmodel import Session

from app.charts.spec import render_svg
from app.core.config import get_settings
from app.core.i18n import _
from app.dashboards.service import DashboardChart, spec_for, team_dashboard
from app.digest.service import shown_value
from app.measures.annotations import list_annotations
from app.measures.chart_data import MeasureRequestError
from app.measures.models import Annotation
from app.measures.periods import parse_period, period_end
from app.org.models import Organisation, Team
from app.org.scope import Viewer

MONTHS = 12
CHART_SIZE = (300, 90)


@dataclass(frozen=True)
class StoryMeasure:
    """One measure on the storyboard: latest complete value, goal, verdict and chart."""

    title: str
    aim: str | None
    latest: str | None
    latest_period: str | None
    goal: str | None
    on_goal: bool | None
    verdict: str
    svg: Markup | None


@dataclass(frozen=True)
class Storyboard:
    """A team's storyboard for the months up to ``month``."""

    team: Team
    organisation: str
    month: str
    first: date
    last: date
    measures: list[StoryMeasure]
    changes: list[Annotation]


def last_complete_month(now: datetime) -> str:
    """The month before the current one (local time), as ``2026-10``."""
    today = now.astimezone(get_settings().zone).date()
    previous = today.replace(day=1).toordinal() - 1
    day = date.fromordinal(previous)
    return f"{day.year}-{day.month:02d}"


def _month(text: str) -> date:
    """The first day of a month written ``2026-10`` (MeasureRequestError otherwise)."""
    try:
        kind, first = parse_period(text)
    except ValueError:
        kind, first = "", date.min
    if kind != "month":
        raise MeasureRequestError(_("Write the month like 2026-10."))
    return first


def _compact(spec: Any) -> Any:
    """A chart spec without legends and the x axis' title: small multiples on one page."""
    if isinstance(spec, list):
        return [_compact(value) for value in spec]
    if not isinstance(spec, dict):
        return spec
    compact = {key: _compact(value) for key, value in spec.items()}
    for channel in (compact.get("encoding") or {}).values():
        if isinstance(channel, dict) and "legend" in channel:
            channel["legend"] = None
    x = (compact.get("encoding") or {}).get("x")
    if isinstance(x, dict) and "title" in x:
        x["title"] = None
    return compact


def _aim(item: DashboardChart) -> str | None:
    """The goal line as an aim, in words."""
    goal = item.chart.measure.goal if item.chart else item.info.goal
    if goal is None:
        return None
    value = shown_value(goal, item.info.type)
    if item.info.direction == "down":
        return _("{measure}: down to {goal} or less").format(measure=item.info.title, goal=value)
    return _("{measure}: {goal} or more").format(measure=item.info.title, goal=value)


def _story_measure(item: DashboardChart) -> StoryMeasure:
    """A dashboard item as the storyboard shows it."""
    chart = item.chart
    latest = None
    if chart is not None:
        latest = next(
            (p for p in reversed(chart.points) if p.value is not None and not p.incomplete),
            None,
        )
    goal = chart.measure.goal if chart else item.info.goal
    on_goal = None
    if latest is not None and latest.value is not None and goal is not None:
        on_goal = latest.value >= goal if item.info.direction == "up" else latest.value <= goal
    svg = None
    if chart is not None and latest is not None:
        width, height = CHART_SIZE
        spec = _compact(spec_for(chart, width=width, height=height))
        svg = Markup(render_svg(spec))  # noqa: S704 - vega escapes text
    return StoryMeasure(
        title=item.info.title,
        aim=_aim(item),
        latest=shown_value(latest.value, item.info.type)
        if latest and latest.value is not None
        else None,
        latest_period=latest.period if latest else None,
        goal=shown_value(goal, item.info.type) if goal is not None else None,
        on_goal=on_goal,
        verdict=item.verdict if latest else _("No data in this range."),
        svg=svg,
    )


def team_storyboard(
    session: Session, *, viewer: Viewer, team_id: int, month: str | None, now: datetime
) -> Storyboard:
    """A team's storyboard of the twelve months up to a month (default: the last complete one)."""
    month = month or last_complete_month(now)
    last_first = _month(month)
    index = last_first.year * 12 + last_first.month - 1 - (MONTHS - 1)
    first = date(index // 12, index % 12 + 1, 1)
    last = period_end(last_first, "month")
    items = team_dashboard(
        session, viewer=viewer, team_id=team_id, period="month", start=first, end=last, now=now
    )
    team = session.get(Team, team_id)
    assert team is not None  # team_dashboard checked the viewer's access to it
    organisation = session.get(Organisation, team.organisation_id)
    changes = [
        note
        for note in reversed(list_annotations(session, viewer=viewer, team_id=team_id))
        if first <= note.happened_on <= last
    ]
    return Storyboard(
        team=team,
        organisation=organisation.name if organisation else "",
        month=month,
        first=first,
        last=last,
        measures=[_story_measure(item) for item in items if item.chart is not None],
        changes=changes,
    )

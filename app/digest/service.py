"""A team's weekly digest, computed from the same chart results as its dashboard.

The digest covers one complete ISO week (Monday to Sunday, local time): usually the week
that ended last Sunday. It holds aggregates only, never a patient:

- **new signals**: special causes on the team's measures whose chart gained its newest
  point in that week, and which the chart without that point did not show (a point beyond
  a limit is always new; a run, shift or trend is new when the week made it one). Each
  measure is read in its default period, so a monthly measure can only signal in the week
  its month ended;
- **measures off their goal**: the latest complete value (up to the week's end) on the
  wrong side of the team's goal line (its own, else the catalogue's);
- **overdue checklists**: how many of the team's checklists are still open although their
  window closed before the week ended, counted as nurses' "My day" counts them (due in the
  last two weeks); a count only;
- **changes tested**: the team's annotations dated in the week.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from babel.numbers import format_decimal
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.charts import compute_chart
from app.charts.models import ChartResult, Finding, SeriesPoint
from app.checklists.day_plan import OPEN, OVERDUE_DAYS
from app.checklists.models import ChecklistInstance
from app.core.config import get_settings
from app.core.i18n import _, current_language
from app.dashboards.service import DashboardChart, team_dashboard
from app.measures.annotations import list_annotations
from app.measures.chart_data import MeasureChart
from app.measures.periods import period_end, period_label
from app.org.models import Team
from app.org.scope import Viewer

WEEKS_SHOWN = 52
MONTHS_SHOWN = 24
# Signals about single points: every new point beyond a limit is news, even the next week.
POINT_SIGNALS = frozenset({"sigma", "astronomical"})
WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")


class DigestRequestError(ValueError):
    """A week the digest cannot be made for, said in the user's language (422)."""


@dataclass(frozen=True)
class DigestWeek:
    """One ISO week, Monday to Sunday (local dates)."""

    start: date

    @property
    def end(self) -> date:
        """The week's Sunday."""
        return self.start + timedelta(days=6)

    @property
    def label(self) -> str:
        """The week as ``2026-W48``."""
        return period_label(self.start, "week")

    @property
    def number(self) -> int:
        """The ISO week number."""
        return self.start.isocalendar()[1]

    def ends_at(self) -> datetime:
        """The instant the week ends: the next Monday at midnight, local time, in UTC."""
        zone = get_settings().zone
        return datetime.combine(self.end + timedelta(days=1), time(0), zone).astimezone(UTC)


def last_complete_week(now: datetime) -> DigestWeek:
    """The week that ended last Sunday (local time)."""
    today = now.astimezone(get_settings().zone).date()
    return DigestWeek(today - timedelta(days=today.weekday() + 7))


def parse_week(text: str, *, now: datetime) -> DigestWeek:
    """A week given as ``YYYY-Www`` that has ended (DigestRequestError otherwise)."""
    found = WEEK_PATTERN.match(text.strip())
    try:
        if not found:
            raise ValueError(text)
        week = DigestWeek(date.fromisocalendar(int(found[1]), int(found[2]), 1))
    except ValueError as exc:
        raise DigestRequestError(_("Give the week as YYYY-Www, for example 2026-W48.")) from exc
    if week.start > last_complete_week(now).start:
        raise DigestRequestError(_("That week has not ended yet: choose a week that has."))
    return week


@dataclass(frozen=True)
class DigestSignal:
    """A special cause that appeared on one measure in the week."""

    measure_id: str
    measure_title: str
    period: str
    good: bool | None
    text: str

    @property
    def kind_label(self) -> str:
        """Improvement, deterioration, or a signal without a good direction."""
        if self.good is None:
            return _("Signal")
        return _("Improvement") if self.good else _("Deterioration")


@dataclass(frozen=True)
class OffGoal:
    """A measure whose latest complete value is on the wrong side of its goal line."""

    measure_id: str
    measure_title: str
    period: str
    value: float
    goal: float
    value_text: str
    goal_text: str


@dataclass(frozen=True)
class ChangeTested:
    """A tested change (annotation) dated in the week."""

    happened_on: date
    title: str
    measure_title: str | None


@dataclass(frozen=True)
class Digest:
    """One team's digest of one week, in the language it was computed in."""

    team_id: int
    team_name: str
    week: DigestWeek
    signals: list[DigestSignal] = field(default_factory=list)
    off_goal: list[OffGoal] = field(default_factory=list)
    overdue: int = 0
    changes: list[ChangeTested] = field(default_factory=list)

    @property
    def figures(self) -> dict[str, int]:
        """The digest's counts, as the page and the e-mail show them."""
        return {
            "signals": len(self.signals),
            "improvements": sum(1 for s in self.signals if s.good is True),
            "deteriorations": sum(1 for s in self.signals if s.good is False),
            "off_goal": len(self.off_goal),
            "overdue": self.overdue,
            "changes": len(self.changes),
        }

    @property
    def quiet(self) -> bool:
        """Nothing to report this week."""
        return not any(self.figures.values())


def shown_value(value: float, kind: str) -> str:
    """A measure's value as the digest prints it: one decimal, a per cent sign for proportions."""
    locale = "nb_NO" if current_language() == "nb" else "en_GB"
    number = format_decimal(round(value, 1), format="#,##0.#", locale=locale)
    return f"{number} %" if kind == "proportion" else number


def _charts(
    session: Session,
    *,
    viewer: Viewer,
    team_id: int,
    period: str,
    start: date,
    end: date,
    now: datetime,
) -> tuple[list[DashboardChart], dict[str, MeasureChart]]:
    """The team's dashboard items by one period type, and their charts by measure id."""
    items = team_dashboard(
        session, viewer=viewer, team_id=team_id, period=period, start=start, end=end, now=now
    )
    return items, {item.info.id: item.chart for item in items if item.chart is not None}


def _signals_at(result: ChartResult, number: int) -> list[Finding]:
    """The directed signals a point (1-based) takes part in."""
    return [
        finding
        for finding in result.findings()
        if finding.is_signal and finding.side is not None and number in finding.points
    ]


def _newest_point(chart: MeasureChart, week: DigestWeek) -> int | None:
    """The number of the chart's point whose period ended in the week (complete, with a value)."""
    for number in range(len(chart.points), 0, -1):
        point = chart.points[number - 1]
        last_day = period_end(point.period_start, chart.period)
        if week.start <= last_day <= week.end:
            usable = point.value is not None and not point.incomplete and not point.suppressed
            return number if usable else None
    return None


def chart_before(result: ChartResult, number: int) -> ChartResult:
    """The same chart computed on the points before a point: what it showed a period earlier."""
    series = [
        SeriesPoint(
            period=point.period,
            numerator=point.numerator,
            denominator=point.denominator,
            part=str(point.part),
            incomplete=point.incomplete,
            excluded=point.excluded,
        )
        for point in result.points[: number - 1]
    ]
    return compute_chart(series, chart=result.chart, rules=result.rules, multiply=result.multiply)


def new_signals(chart: MeasureChart, week: DigestWeek) -> list[DigestSignal]:
    """The special causes the week's point brought that the chart without it did not show."""
    number = _newest_point(chart, week)
    if number is None:
        return []
    before = chart_before(chart.result, number)
    known = {(f.kind, f.side) for f in _signals_at(before, number - 1)} if number > 1 else set()
    language = current_language()
    direction = chart.measure.direction
    found: list[DigestSignal] = []
    seen: set[tuple[str, str | None]] = set()
    for finding in _signals_at(chart.result, number):
        key = (finding.kind, finding.side)
        if key in seen or (finding.kind not in POINT_SIGNALS and key in known):
            continue
        seen.add(key)
        moves = "up" if finding.side in ("above", "up") else "down"
        found.append(
            DigestSignal(
                measure_id=chart.measure.id,
                measure_title=chart.measure.title,
                period=chart.points[number - 1].period,
                good=moves == direction,
                text=finding.text_in(language),
            )
        )
    return found


def off_goal(chart: MeasureChart, week: DigestWeek) -> OffGoal | None:
    """The measure, when its latest complete value up to the week's end misses its goal."""
    goal = chart.measure.goal
    if goal is None:
        return None
    for point in reversed(chart.points):
        if period_end(point.period_start, chart.period) > week.end:
            continue
        if point.value is None or point.incomplete or point.suppressed:
            continue
        missed = point.value < goal if chart.measure.direction == "up" else point.value > goal
        if not missed:
            return None
        kind = chart.measure.type
        return OffGoal(
            measure_id=chart.measure.id,
            measure_title=chart.measure.title,
            period=point.period,
            value=point.value,
            goal=goal,
            value_text=shown_value(point.value, kind),
            goal_text=shown_value(goal, kind),
        )
    return None


def overdue_count(session: Session, *, team_id: int, week: DigestWeek) -> int:
    """How many of the team's checklists are open although their window closed in time."""
    found = session.exec(
        select(func.count())
        .select_from(ChecklistInstance)
        .where(col(ChecklistInstance.team_id) == team_id)
        .where(col(ChecklistInstance.status).in_(OPEN))
        .where(col(ChecklistInstance.window_end) < week.ends_at())
        .where(col(ChecklistInstance.due_date) >= week.end - timedelta(days=OVERDUE_DAYS))
    ).one()
    return int(found or 0)


def _month_start(day: date, months_back: int) -> date:
    """The first day of the month some months before a day's month."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def team_digest(
    session: Session, *, viewer: Viewer, team_id: int, week: DigestWeek, now: datetime
) -> Digest:
    """A team's digest of a week, for a viewer who may open the team's dashboard."""
    team = session.get(Team, team_id)
    weekly_start = week.start - timedelta(weeks=WEEKS_SHOWN - 1)
    items, weekly = _charts(
        session, viewer=viewer, team_id=team_id, period="week",
        start=weekly_start, end=week.end, now=now,
    )  # fmt: skip
    _items, monthly = _charts(
        session, viewer=viewer, team_id=team_id, period="month",
        start=_month_start(week.end, MONTHS_SHOWN - 1), end=week.end, now=now,
    )  # fmt: skip
    signals: list[DigestSignal] = []
    missed: list[OffGoal] = []
    titles: dict[str, str] = {}
    for item in items:
        titles[item.info.id] = item.info.title
        by_week = item.info.default_period == "week" and item.info.id in weekly
        chart = weekly.get(item.info.id) if by_week else monthly.get(item.info.id)
        if chart is None:
            continue
        signals += new_signals(chart, week)
        if (miss := off_goal(chart, week)) is not None:
            missed.append(miss)
    changes = [
        ChangeTested(
            happened_on=note.happened_on,
            title=note.title,
            measure_title=titles.get(note.measure_key) if note.measure_key else None,
        )
        for note in reversed(list_annotations(session, viewer=viewer, team_id=team_id))
        if week.start <= note.happened_on <= week.end
    ]
    return Digest(
        team_id=team_id,
        team_name=team.name if team else "",
        week=week,
        signals=signals,
        off_goal=missed,
        overdue=overdue_count(session, team_id=team_id, week=week),
        changes=changes,
    )

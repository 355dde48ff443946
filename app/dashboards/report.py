"""The monthly report: which month it covers (the last complete one unless chosen) and a summary
of what the team's charts show, so the report opens with one line instead of ten verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from babel.dates import format_date
from sqlmodel import Session

from app.charts.models import Finding
from app.core.config import get_settings
from app.core.i18n import _, babel_locale, current_language, ngettext
from app.dashboards import service
from app.dashboards.service import DashboardChart
from app.measures.chart_data import MeasureRequestError
from app.measures.periods import parse_period, period_end
from app.org.scope import Viewer

EARLIEST_MONTH = date(2000, 1, 1)
# what a chart's latest phase shows, in the order the report lists them
KINDS = ("improved", "concerning", "signal", "no_signal", "too_few", "no_data")


def last_complete_month(today: date) -> date:
    """The first day of the month before today's (today's month is not over yet)."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def read_month(text: str | None, today: date) -> date:
    """The first day of the month asked for ("2026-10"), by default the last complete one."""
    if not text:
        return last_complete_month(today)
    try:
        kind, first = parse_period(text)
    except ValueError:
        kind, first = "", today
    if kind != "month":
        raise MeasureRequestError(_("Write the month like 2026-10."))
    if not EARLIEST_MONTH <= first <= today:
        raise MeasureRequestError(
            _("Choose a month from 2000 up to this month ({month}).").format(
                month=f"{today.year}-{today.month:02d}"
            )
        )
    return first


def month_name(first: date) -> str:
    """A month for people in their language ("oktober 2026", "October 2026")."""
    return format_date(first, format="LLLL y", locale=babel_locale())


def chart_kind(item: DashboardChart) -> str:
    """What one chart shows in its latest phase: one of ``KINDS``."""
    return _reading(item)[0]


def _reading(item: DashboardChart) -> tuple[str, Finding | None]:
    """What one chart shows in its latest phase, and the signal that tells it.

    From the signals of the latest phase: of those with a side, the one reaching the latest
    point tells (a run below the median followed by a run above it is an improvement for a
    measure that should go up); signals without a side (too few crossings) say only that
    something changed.
    """
    chart = item.chart
    if chart is None or not any(p.value is not None for p in chart.result.points):
        return "no_data", None
    part = chart.result.parts[-1]
    signals = [f for f in part.findings if f.is_signal]
    if not signals:
        return ("too_few" if part.runs_signal is None else "no_signal"), None
    sides = {"above": "up", "below": "down", "up": "up", "down": "down"}
    sided = [f for f in signals if f.side in sides]
    latest = max(sided, key=lambda f: max(f.points, default=0), default=None)
    if latest is None or latest.side is None:
        return "signal", signals[0]
    good = sides[latest.side] == item.info.direction
    return ("improved" if good else "concerning"), latest


def _kind_count(kind: str, n: int) -> str:
    """How many charts show one kind of result, in words."""
    if kind == "improved":
        text = ngettext("{count} measure improved", "{count} measures improved", n)
    elif kind == "concerning":
        text = ngettext("{count} concerning", "{count} concerning", n)
    elif kind == "signal":
        text = ngettext("{count} with a signal", "{count} with a signal", n)
    elif kind == "no_signal":
        text = ngettext("{count} without signal", "{count} without signal", n)
    elif kind == "too_few":
        text = ngettext(
            "{count} with too few points to judge", "{count} with too few points to judge", n
        )
    else:
        text = ngettext("{count} without data", "{count} without data", n)
    return text.format(count=n)


@dataclass
class MonthlyReport:
    """The charts of a month's report, grouped by what they show, and a one-line summary."""

    month: date
    complete: bool
    groups: dict[str, list[DashboardChart]] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        """E.g. "3 measures improved, 1 concerning, 6 without signal"."""
        parts = [_kind_count(kind, len(items)) for kind, items in self.groups.items() if items]
        return ", ".join(parts) + "." if parts else _("No measures to report.")


def monthly_report(
    session: Session, *, viewer: Viewer, team_id: int, month: date, now: datetime
) -> MonthlyReport:
    """Every measure of a team by month for the twelve months up to ``month``, grouped."""
    last = period_end(month, "month")
    start = date(month.year - 1, month.month, 1)
    items = service.team_dashboard(
        session, viewer=viewer, team_id=team_id, period="month", start=start, end=last, now=now
    )
    today = now.astimezone(get_settings().zone).date()
    report = MonthlyReport(month=month, complete=last < today, groups={k: [] for k in KINDS})
    for item in items:
        if item.chart is None and item.message:  # counted by week only: not in a monthly report
            continue
        kind, finding = _reading(item)
        if kind in ("no_signal", "too_few"):  # said once in the group's heading, not per chart
            item.verdict = ""
        elif kind in ("improved", "concerning") and finding is not None:  # the signal that tells
            item.verdict = _("{kind}: {finding}{since}").format(
                kind=_("Improvement") if kind == "improved" else _("Deterioration"),
                finding=finding.text_in(current_language()).rstrip("."),
                since="",
            )
        report.groups[kind].append(item)
    return report

"""A network's report for a learning session: the overview, bright spots, small multiples and
funnel plots of the core measures over a chosen period of whole months.

For coordinators of the network (and administrators): aggregates only, suppressed exactly as
on the overview and comparison pages, since it is built from them. The overview and the bright
spots are read as they stood at the end of the period (their "now" is the first moment after
it); the funnel plots cover the period's months, the small multiples the same months or, for a
period shorter than a year, the twelve months up to its end (three points make no run chart).
Charts are vector SVG drawn on the server (vl-convert): the page and its PDF hold no raster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from markupsafe import Markup
from sqlmodel import Session

from app.charts.numbers import format_number
from app.charts.spec import render_svg
from app.core.config import get_settings
from app.core.deps import Forbidden
from app.core.i18n import _, current_language
from app.dashboards.comparison import comparison as compare
from app.dashboards.comparison import funnel_curve, units_in_range
from app.dashboards.specs import funnel_spec, small_multiples_spec
from app.digest.storyboard import last_complete_month
from app.measures.access import Unit, units_of
from app.measures.aggregate import Level
from app.measures.catalogue import measures_in_use
from app.measures.chart_data import MeasureInfo, MeasureRequestError
from app.measures.periods import parse_period, period_end
from app.measures.service import MeasureNotFound, unit_series
from app.org.models import Role
from app.org.scope import Viewer
from app.overview.bright_spots import TeamSpots, bright_spots, by_team
from app.overview.service import Choice, Overview, network_overview

DEFAULT_MONTHS = 3
CONTEXT_MONTHS = 12
MOST_MONTHS = 24
REPORT_ROLES = (Role.coordinator.value, Role.admin.value)


@dataclass(frozen=True)
class ReportPeriod:
    """Whole months from ``first`` (its first day) to ``last`` (its last day)."""

    first: date
    last: date

    @property
    def start_text(self) -> str:
        """The first month, as ``2026-08``."""
        return f"{self.first:%Y-%m}"

    @property
    def end_text(self) -> str:
        """The last month, as ``2026-10``."""
        return f"{self.last:%Y-%m}"

    @property
    def months(self) -> int:
        """How many months the period holds."""
        return (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1

    def as_of(self) -> datetime:
        """The first moment after the period, local midnight, in UTC."""
        zone = get_settings().zone
        return datetime.combine(self.last + timedelta(days=1), time.min, zone).astimezone(UTC)


@dataclass(frozen=True)
class MeasureFigures:
    """One core measure across the network's teams: small multiples and a funnel plot."""

    info: MeasureInfo
    multiples: Markup | None
    multiples_months: str
    funnel: Markup | None
    funnel_note: str | None
    funnel_hidden: list[str]
    pooled: str | None


@dataclass(frozen=True)
class NetworkReport:
    """Everything the report shows, for one network and period."""

    network: Unit
    period: ReportPeriod
    made_on: datetime
    overview: Overview
    teams: list[TeamSpots]
    measures: list[MeasureFigures]


def _month(text: str) -> date:
    """The first day of a month written ``2026-10`` (MeasureRequestError otherwise)."""
    try:
        kind, first = parse_period(text)
    except ValueError:
        kind, first = "", date.min
    if kind != "month":
        raise MeasureRequestError(_("Write the months like 2026-10."))
    return first


def _months_back(first: date, back: int) -> date:
    """The first day of the month ``back`` months before ``first``'s."""
    index = first.year * 12 + first.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def report_period(start: str | None, end: str | None, *, now: datetime) -> ReportPeriod:
    """The chosen whole months (default: the last three complete ones); MeasureRequestError
    when a month is not written as one, the order is wrong, or the period is not over."""
    latest = _month(last_complete_month(now))
    last = _month(end) if end else latest
    first = _month(start) if start else _months_back(last, DEFAULT_MONTHS - 1)
    if last > latest:
        raise MeasureRequestError(
            _("The period must end by {month}, the last complete month.").format(
                month=latest.strftime("%Y-%m")
            )
        )
    if first > last:
        raise MeasureRequestError(_("The first month must come before the last."))
    if first < _months_back(last, MOST_MONTHS - 1):
        raise MeasureRequestError(_("Choose at most {n} months.").format(n=MOST_MONTHS))
    return ReportPeriod(first, period_end(last, "month"))


def _reach(viewer: Viewer) -> frozenset[int]:
    """The teams the viewer coordinates or administers."""
    return frozenset().union(*(g.team_ids for g in viewer.grants if g.role in REPORT_ROLES))


def report_networks(session: Session, *, viewer: Viewer) -> list[Unit]:
    """The networks the viewer may make a report of, by name (none for team members)."""
    reach = _reach(viewer)
    found = [
        u for u in units_of(session, Level.network).values() if u.team_ids and u.team_ids <= reach
    ]
    return sorted(found, key=lambda u: (u.name.casefold(), u.id))


def report_network(session: Session, *, viewer: Viewer, network_id: int) -> Unit:
    """A network whose every team the viewer coordinates or administers (404 otherwise)."""
    if not viewer.has_role(*REPORT_ROLES):
        raise Forbidden(_("The network report is for coordinators."))
    reach = _reach(viewer)
    network = units_of(session, Level.network).get(network_id)
    if network is None or not network.team_ids or not network.team_ids <= reach:
        raise MeasureNotFound(_("There is no such network among yours."))
    return network


def _figures(
    session: Session,
    *,
    viewer: Viewer,
    network: Unit,
    measure_id: str,
    period: ReportPeriod,
    now: datetime,
) -> MeasureFigures:
    """Small multiples and the funnel plot of one core measure over the period's months."""
    language = current_language()
    found = compare(
        session, viewer=viewer, measure_id=measure_id, level=Level.team.value, period="month",
        start=period.first, end=period.last, now=now,
        unit_ids=sorted(network.team_ids),
    )  # fmt: skip
    charts, since = found.charts, period.first
    if period.months < CONTEXT_MONTHS:  # a short period: small multiples of the year up to its end
        since = _months_back(period.last.replace(day=1), CONTEXT_MONTHS - 1)
        charts = unit_series(
            session, viewer=viewer, measure_id=measure_id, level=Level.team, periods=["month"],
            start=since, end=period.last, now=now, unit_ids=sorted(network.team_ids),
        )  # fmt: skip
    multiples = None
    if units_in_range(charts):
        y_title = "%" if found.info.type == "proportion" else found.info.title
        spec = small_multiples_spec(
            charts, title=found.info.title, y_title=y_title, language=language, columns=4
        )
        spec["spec"]["width"], spec["spec"]["height"] = 130, 70
        multiples = Markup(render_svg(spec))  # noqa: S704 - vega escapes text
    funnel = pooled = None
    if found.funnel and found.pooled is not None:
        curve = funnel_curve(found.pooled, max(u["n"] for u in found.funnel))
        spec = funnel_spec(
            found.funnel, curve, pooled=found.pooled, language=language,
            title=_("Funnel plot, {quarter}").format(quarter=found.quarter),
        )  # fmt: skip
        for layer in spec["layer"]:  # stacked legend: print fonts run wider than vega measures
            for channel in layer.get("encoding", {}).values():
                if isinstance(channel, dict) and isinstance(channel.get("legend"), dict):
                    channel["legend"] = {**channel["legend"], "direction": "vertical"}
        funnel = Markup(render_svg(spec))  # noqa: S704 - vega escapes text
        pooled = f"{format_number(100 * found.pooled, language)} %"
    return MeasureFigures(
        info=found.info,
        multiples=multiples,
        multiples_months=f"{since:%Y-%m} – {period.end_text}",
        funnel=funnel,
        funnel_note=found.funnel_empty,
        funnel_hidden=found.funnel_hidden,
        pooled=pooled,
    )


def network_report(
    session: Session, *, viewer: Viewer, network: Unit, period: ReportPeriod, now: datetime
) -> NetworkReport:
    """The learning-session report of a network the viewer may report on, for a period."""
    as_of = period.as_of()
    overview = network_overview(
        session, viewer=viewer, choice=Choice(level=Level.team), now=as_of,
        within=network.team_ids,
    )  # fmt: skip
    spots = bright_spots(session, viewer=viewer, now=as_of, within=network.team_ids)
    measures = [
        _figures(session, viewer=viewer, network=network, measure_id=m.id, period=period, now=now)
        for m in measures_in_use().core()
    ]
    return NetworkReport(network, period, now, overview, by_team(spots), measures)

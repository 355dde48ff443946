"""The MeasureReport search: which units and periods, read through the chart service.

The counts come from ``measures.service.unit_series``, the service behind the JSON chart API
(``/api/v1/measures/{id}/chart``), so the units a viewer may see, the period type (by month
for counts suppressed for the viewer) and the suppression are exactly the chart's. One call
per level and period type serves every unit of the search.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from app.core.deps import Forbidden
from app.core.i18n import _
from app.fhir.outcome import FhirProblem
from app.fhir.reports import Stratum, measure_report
from app.fhir.updated import DateCondition, day_bounds
from app.measures.access import Unit, may_see_unit, suppresses_for, units_of
from app.measures.aggregate import Level
from app.measures.catalogue import MeasureDefinition, measures_in_use
from app.measures.chart_data import MeasureChart, MeasureRequestError
from app.measures.periods import period_end
from app.measures.service import unit_series
from app.measures.suppression import suppressed_period
from app.org.scope import Viewer

LEVELS = (Level.team, Level.organisation, Level.network)
SUBJECT_PREFIXES = {"team-": Level.team, "org-": Level.organisation, "network-": Level.network}
Charts = dict[tuple[Level, str], dict[int, MeasureChart]]


def subject_unit(subject: str) -> tuple[Level, int]:
    """The unit a `subject` names: ``Organization/team-<id>``, ``org-<id>`` or ``network-<id>``."""
    name = subject.removeprefix("Organization/")
    for prefix, level in SUBJECT_PREFIXES.items():
        number = name.removeprefix(prefix)
        if name.startswith(prefix) and number.isascii() and number.isdigit() and len(number) < 12:
            return level, int(number)
    raise FhirProblem(
        400,
        _("Name the subject as Organization/team-<id>, Organization/org-<id> or network-<id>."),
        location="http.subject",
    )


def report_measure(reference: str) -> MeasureDefinition:
    """The catalogue measure a `measure` parameter names (400 when there is none)."""
    measure_id = reference.rstrip("/").rsplit("/", 1)[-1]
    if measure_id not in measures_in_use():
        raise FhirProblem(
            400, _("There is no measure '{id}'.").format(id=measure_id), location="http.measure"
        )
    return measures_in_use().get(measure_id)


def _span(conditions: Sequence[DateCondition]) -> tuple[date | None, date | None]:
    """The days a `period` search covers at most, to ask the chart service for."""
    starts = [c.local_first for c in conditions if c.prefix in ("ge", "gt", "eq")]
    ends = [c.local_last for c in conditions if c.prefix in ("le", "lt", "eq")]
    return (max(starts) if starts else None), (min(ends) if ends else None)


def _period_type(viewer: Viewer, unit: Unit, measure: MeasureDefinition) -> str:
    """The period a unit's reports come in: the chart API's default (month when suppressed)."""
    if suppresses_for(viewer, unit):
        return suppressed_period(measure.periods)
    return measure.default_period


class _Gatherer:
    """Charts of one measure for a viewer, fetched per level and period type, kept for reuse."""

    def __init__(self, session: Session, viewer: Viewer, measure: MeasureDefinition, now: datetime):
        self.session, self.viewer, self.measure, self.now = session, viewer, measure, now
        self.units = {level: units_of(session, level) for level in LEVELS}
        self.charts: Charts = {}
        self.span: tuple[date | None, date | None] = (None, None)

    def visible(self, level: Level, unit: Unit) -> bool:
        """Whether the viewer may see this unit's series of the measure."""
        return may_see_unit(self.viewer, unit, level=level, core=self.measure.core)

    def fetch(self, level: Level, period: str, unit_ids: Sequence[int]) -> None:
        """Fetch the charts of these units not fetched yet, in one call of the chart service."""
        kept = self.charts.setdefault((level, period), {})
        missing = sorted({u for u in unit_ids if u not in kept})
        if not missing:
            return
        start, end = self.span
        try:
            charts = unit_series(
                self.session,
                viewer=self.viewer,
                measure_id=self.measure.id,
                level=level,
                periods=[period],
                start=start,
                end=end,
                now=self.now,
                unit_ids=missing,
            )
        except MeasureRequestError as exc:
            raise FhirProblem(400, str(exc), location="http.period") from None
        kept.update((chart.unit_id, chart) for chart in charts)

    def strata(self, level: Level, unit: Unit, period: str) -> list[Stratum]:
        """The charts of the visible units below a unit, in the unit's period type."""
        found: list[Stratum] = []
        for lower in LEVELS[: LEVELS.index(level)]:
            inside = [
                u.id
                for u in self.units[lower].values()
                if u.team_ids and u.team_ids <= unit.team_ids and self.visible(lower, u)
            ]
            self.fetch(lower, period, inside)
            kept = self.charts[(lower, period)]
            found += [Stratum(lower, kept[u]) for u in inside if u in kept]
        return found


def _in_period(chart: MeasureChart, start: date, conditions: Sequence[DateCondition]) -> bool:
    """Whether a report's period meets every `period` condition."""
    first = day_bounds(start)[0]
    last = day_bounds(period_end(start, chart.period))[1]
    return all(condition.test(first, last) for condition in conditions)


def measure_reports(
    session: Session,
    *,
    viewer: Viewer,
    measure: str,
    subject: str | None,
    periods: Sequence[DateCondition],
    now: datetime,
) -> list[dict[str, Any]]:
    """Summary reports of a measure for one unit (or every unit the viewer may see), by period.

    Ordered by level (teams, organisations, networks), unit id and period start. A unit the
    viewer may not see gives no reports, like a unit that does not exist.
    """
    definition = report_measure(measure)
    gather = _Gatherer(session, viewer, definition, now)
    gather.span = _span(periods)
    wanted: list[tuple[Level, Unit]] = []
    if subject:
        level, unit_id = subject_unit(subject)
        unit = gather.units[level].get(unit_id)
        if unit is not None and gather.visible(level, unit):
            wanted.append((level, unit))
    else:
        wanted = [
            (level, unit)
            for level in LEVELS
            for unit in sorted(gather.units[level].values(), key=lambda u: u.id)
            if gather.visible(level, unit)
        ]
    reports = []
    for level in LEVELS:
        by_period: dict[str, list[Unit]] = {}
        for unit in (u for lvl, u in wanted if lvl == level):
            by_period.setdefault(_period_type(viewer, unit, definition), []).append(unit)
        for period, units in by_period.items():
            try:
                gather.fetch(level, period, [u.id for u in units])
            except Forbidden:
                continue
            for unit in units:
                chart = gather.charts[(level, period)].get(unit.id)
                if chart is None:
                    continue
                strata = gather.strata(level, unit, period)
                reports += [
                    (level, unit.id, point.period_start, measure_report(chart, point, strata))
                    for point in chart.points
                    if _in_period(chart, point.period_start, periods)
                ]
    reports.sort(key=lambda r: (LEVELS.index(r[0]), r[1], r[2]))
    return [report for *_key, report in reports]

"""The charts an overview or a bright spot summarises: one measure for many units, by month.

Counts come through the measures service (``unit_series``) or, when some units are
suppressed for the viewer, through ``suppression.protected_counts`` and
``chart_data.build_chart`` exactly as ``unit_series`` does it; either way one ``count_items``
call per measure and level, and the same chart maths as the charts. The protected route is
taken here rather than inside ``unit_series`` because a hidden cell reads "<k" or "–" like
the comparison table, which needs the counts behind it (never shown), and because bright
spots read network peers' charts that ``unit_series`` keeps to the viewer's own teams.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from app.charts import RuleSet
from app.measures.access import Unit, suppresses_for
from app.measures.aggregate import CountRow, Level
from app.measures.catalogue import MeasureDefinition, spc_chart_of
from app.measures.chart_data import MeasureChart, build_chart, combined_window, team_annotations
from app.measures.models import Annotation
from app.measures.service import measure_info, unit_series
from app.measures.suppression import protected_counts, suppressed_period
from app.org.chart_rules import units_chart_rules
from app.org.scope import Viewer


@dataclass
class UnitCharts:
    """One measure's chart per unit, and the counts behind its hidden cells (never shown)."""

    period: str
    charts: dict[int, MeasureChart]
    hidden_counts: dict[int, dict[date, CountRow]] = field(default_factory=dict)


def measure_charts(
    session: Session,
    *,
    viewer: Viewer,
    measure: MeasureDefinition,
    level: Level,
    units: Sequence[Unit],
    now: datetime,
    phases: bool = True,
    chart: str | None = None,
    rules: RuleSet = "anhoej",
) -> UnitCharts:
    """Charts of a measure by month for some units (``phases``: tested changes start phases)."""
    period = suppressed_period(measure.periods)
    if not units:
        return UnitCharts(period, {})
    hide = {unit.id: suppresses_for(viewer, unit) for unit in units}
    if phases and not any(hide.values()):
        series = unit_series(
            session,
            viewer=viewer,
            measure_id=measure.id,
            level=level,
            periods=[period],
            start=None,
            end=None,
            now=now,
            unit_ids=[unit.id for unit in units],
            chart=chart,
            rules=rules,
        )
        return UnitCharts(period, {c.unit_id: c for c in series})
    windows, _window = combined_window([period], None, None, now)
    window = windows[period]
    found = protected_counts(
        session, viewer=viewer, measure=measure, level=level, period=period, window=window
    )
    notes: dict[int, list[Annotation]] = {}
    if phases and level == Level.team:
        notes = team_annotations(
            session, team_ids=[u.id for u in units], measure_key=measure.id, last=window.last_day
        )
    info = measure_info(measure)
    charts: dict[int, MeasureChart] = {}
    hidden_counts: dict[int, dict[date, CountRow]] = {}
    for unit in units:
        hidden = found.hidden.get(unit.id, frozenset()) if hide[unit.id] else None
        rows = found.rows.get(unit.id, {})
        charts[unit.id] = build_chart(
            info=info,
            level=level,
            unit=unit,
            period=period,
            window=window,
            rows=rows,
            hide_small=hide[unit.id],
            hidden=hidden,
            notes=notes.get(unit.id, []),
            chart=chart,
            rules=rules,
        )
        if hidden:
            hidden_counts[unit.id] = {start: row for start, row in rows.items() if start in hidden}
    return UnitCharts(period, charts, hidden_counts)


def group_by_rules(
    session: Session, *, level: Level, units: Sequence[Unit]
) -> dict[str, list[Unit]]:
    """The units by the rule set their network chose (read once for a page, in one query)."""
    rule_sets = units_chart_rules(session, level=level.value, unit_ids=[u.id for u in units])
    groups: dict[str, list[Unit]] = {}
    for unit in units:
        groups.setdefault(rule_sets[unit.id], []).append(unit)
    return groups


def charts_by_network_rules(
    session: Session,
    *,
    viewer: Viewer,
    measure: MeasureDefinition,
    level: Level,
    groups: dict[str, list[Unit]],
    now: datetime,
    phases: bool = True,
) -> UnitCharts:
    """Each unit's chart read by the rule set its network chose (``groups``, from
    ``group_by_rules``; ``mdc``: the SPC chart of the measure's type, read by the Making Data
    Count rules; otherwise the run chart by Anhøj)."""
    merged: UnitCharts | None = None
    for rule_set, members in sorted(groups.items()):
        found = measure_charts(
            session, viewer=viewer, measure=measure, level=level, units=members, now=now,
            phases=phases, chart=spc_chart_of(measure.type) if rule_set == "mdc" else None,
            rules="mdc" if rule_set == "mdc" else "anhoej",
        )  # fmt: skip
        if merged is None:
            merged = found
            continue
        merged.charts.update(found.charts)
        merged.hidden_counts.update(found.hidden_counts)
    return merged or UnitCharts(suppressed_period(measure.periods), {})

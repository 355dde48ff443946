"""Comparison of units: coordinators compare a core measure across teams, organisations or
networks in small multiples, a table and a funnel plot of the whole months of the chosen
range (without a range: the latest whole quarter).

The comparison shows core measures only (the ones compared across regions) and applies
``app.measures.suppression`` to everyone who may not see a unit's patients: small cells and
the cells they could be worked out from are hidden, by month only; a unit's total over the
range (table) or the funnel's months is shown only when every month in it is shown. A hidden
total reads "<5" when it is itself small, "–" otherwise. Units outside the funnel's limits
are marked and named: ``position`` is ``above``/``below`` the 99.8 % limits, ``above95``/
``below95`` between the 95 % and 99.8 % limits, or ``inside``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.core.config import get_settings
from app.core.deps import Forbidden
from app.core.i18n import _
from app.measures.access import may_see_unit, suppresses_for
from app.measures.aggregate import Level, fold
from app.measures.catalogue import MeasureDefinition
from app.measures.chart_data import (
    DEFAULT_SPAN,
    MeasureChart,
    MeasureInfo,
    MeasureRequestError,
    combined_window,
)
from app.measures.chart_reads import ChartReads
from app.measures.periods import Window, period_end, periods_between
from app.measures.service import catalogue_measure, measure_info, unit_series
from app.measures.suppression import protected_counts, shown_total
from app.org.scope import Viewer

COMPARISON_LEVELS = (Level.team, Level.organisation, Level.network)
Z95, Z998 = 1.959964, 3.090232


@dataclass
class TableRow:
    """One unit's totals over the chosen range, as shown (suppressed counts as text)."""

    unit_id: int
    unit_name: str
    numerator: str
    denominator: str
    rate: str
    suppressed: bool
    # the same figures as numbers (None when hidden), for pages to format in the user's language
    numerator_value: float | None = None
    denominator_value: float | None = None
    rate_value: float | None = None


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
    funnel_empty: str | None = None

    def funnel_outside(self, position: str) -> list[str]:
        """The names of the funnel's units at one position (e.g. above the 99.8 % limits)."""
        return [unit["unit"] for unit in self.funnel if unit["position"] == position]


def last_quarter(today: date) -> tuple[date, date, str]:
    """The latest whole calendar quarter before today: first day, last day, label."""
    this_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last_day = this_quarter - timedelta(days=1)
    first_day = date(last_day.year, last_day.month - 2, 1)
    return first_day, last_day, f"{first_day.year}-Q{(first_day.month - 1) // 3 + 1}"


def _month_start(day: date) -> date:
    """The first day of a day's month."""
    return day.replace(day=1)


def _month_last(day: date) -> date:
    """The last day of a day's month."""
    return (_month_start(day) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def funnel_months(
    today: date, start: date | None, end: date | None, *, span: timedelta = DEFAULT_SPAN["month"]
) -> tuple[date, date, str] | None:
    """The whole months of the chosen range that have ended: first day, last day and label;
    None when there is none. Without any date, the latest whole quarter."""
    if start is None and end is None:
        return last_quarter(today)
    stop = end or today
    last_day = stop if _month_last(stop) == stop else _month_start(stop) - timedelta(days=1)
    last_day = min(last_day, _month_start(today) - timedelta(days=1))
    begin = start or stop - span
    first_day = begin if begin.day == 1 else _month_last(begin) + timedelta(days=1)
    if first_day > last_day:
        return None
    first_label, last_label = f"{first_day:%Y-%m}", f"{last_day:%Y-%m}"
    label = first_label if first_label == last_label else f"{first_label} – {last_label}"
    return first_day, last_day, label


def funnel_position(pooled: float, y: float, n: float) -> str:
    """Where a unit's share lies against the 95 % and 99.8 % limits at its size."""
    share = y / n
    low998, high998 = funnel_limits(pooled, n, Z998)
    low95, high95 = funnel_limits(pooled, n, Z95)
    if share > high998:
        return "above"
    if share < low998:
        return "below"
    if share > high95:
        return "above95"
    return "below95" if share < low95 else "inside"


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
    unit_ids: Sequence[int] | None = None,
) -> Comparison:
    """A core measure across the units of a level the viewer may see (or some of them, by id),
    suppressed as needed."""
    measure, chosen = check_comparison(measure_id, level)
    # weekly counts per unit are mostly small enough to be suppressed: compare by month
    period = period or ("month" if "month" in measure.periods else measure.default_period)
    reads = ChartReads(session)  # units and counts: the table and funnel reuse the charts'
    charts = unit_series(
        session,
        viewer=viewer,
        measure_id=measure.id,
        level=chosen,
        periods=[period],
        start=start,
        end=end,
        now=now,
        unit_ids=unit_ids,
        reads=reads,
    )
    if not charts:
        raise Forbidden(_("You may not see any unit at this level."))
    units = reads.units(chosen)
    hide = {c.unit_id: suppresses_for(viewer, units[c.unit_id]) for c in charts}
    _windows, window = combined_window([period], start, end, now)
    rows = fold(reads.counts(measure, level=chosen, window=window), period)
    table = [
        _table_row(
            c,
            rows.get(c.unit_id, {}).values(),
            hide[c.unit_id] and not shown_total(p.suppressed for p in c.points),
            measure,
        )
        for c in charts
    ]
    months = funnel_months(now.astimezone(get_settings().zone).date(), start, end)
    found = Comparison(
        info=measure_info(measure),
        level=chosen,
        period=period,
        charts=charts,
        rows=table,
        quarter=months[2] if months else "",
    )
    if measure.type != "proportion":
        found.funnel_empty = _("The measure is not a share, so it has no funnel plot.")
    elif months is None:
        found.funnel_empty = _(
            "No funnel plot: the chosen range holds no whole month that has ended."
        )
    else:
        _add_funnel(reads, found, measure, chosen, months[0], months[1], now, hide, viewer)
    return found


def _table_row(
    chart: MeasureChart, rows: Any, hidden: bool, measure: MeasureDefinition
) -> TableRow:
    """Totals of one unit over the range, hidden when a month in it is hidden (rule 3)."""
    numerator = sum(r.numerator for r in rows)
    denominator = sum(r.denominator for r in rows)
    threshold = get_settings().suppression_threshold
    rate, rate_value = "", None
    if measure.type == "proportion" and denominator and not hidden:
        rate_value = 100 * numerator / denominator
        rate = f"{rate_value:.1f} %"
    elif measure.type == "mean" and denominator and not hidden:
        rate_value = numerator / denominator
        rate = f"{rate_value:.2f}"
    return TableRow(
        unit_id=chart.unit_id,
        unit_name=chart.unit_name,
        numerator=_hidden_count(numerator, threshold) if hidden else f"{numerator:g}",
        denominator=""
        if measure.type == "count"
        else (_hidden_count(denominator, threshold) if hidden else f"{denominator:g}"),
        rate=rate,
        suppressed=hidden,
        numerator_value=None if hidden else numerator,
        denominator_value=None if hidden or measure.type == "count" else denominator,
        rate_value=rate_value,
    )


def _hidden_count(value: float, threshold: int) -> str:
    """A count of a suppressed row: "<5" when small, a dash when it would give away another."""
    if 0 < value < threshold:
        return f"<{threshold}"
    return "–"


def _add_funnel(
    reads: ChartReads,
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
    units = reads.units(level)
    visible = {u for u in hide if may_see_unit(viewer, units[u], level=level, core=True)}
    hidden: dict[int, frozenset[date]] = {}
    if any(hide[u] for u in visible):
        hidden = protected_counts(
            reads.session, viewer=viewer, measure=measure, level=level, period="month",
            window=window, reads=reads,
        ).hidden  # fmt: skip
    totals: dict[int, list[float]] = {}
    for row in reads.counts(measure, level=level, window=window):
        if row.unit_id in visible:
            entry = totals.setdefault(row.unit_id, [0.0, 0.0])
            entry[0] += row.numerator
            entry[1] += row.denominator
    shown_y = shown_n = 0.0
    for unit_id, (y, n) in sorted(totals.items()):
        if not n:
            continue
        name = units[unit_id].name
        if hide[unit_id] and not shown_total(month in hidden.get(unit_id, ()) for month in months):
            found.funnel_hidden.append(name)
            continue
        found.funnel.append({"unit": name, "n": n, "rate": 100 * y / n, "y": y})
        shown_y, shown_n = shown_y + y, shown_n + n
    # pooled over the units drawn only: a share of hidden counts could narrow them down
    found.pooled = shown_y / shown_n if shown_n else None
    for unit in found.funnel:
        y = unit.pop("y")
        unit["position"] = funnel_position(found.pooled or 0.0, y, unit["n"])
    if not found.funnel:
        found.funnel_empty = (
            _("No funnel plot: every unit has a hidden month in {months}.")
            if found.funnel_hidden
            else _("No funnel plot: nothing was counted in {months}.")
        ).format(months=found.quarter)


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

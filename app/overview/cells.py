"""One overview cell from one chart: the latest complete value, a sparkline and the icons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from babel.numbers import format_decimal

from app.core.config import get_settings
from app.core.i18n import current_language
from app.measures.aggregate import CountRow
from app.measures.chart_data import MeasureChart, MeasurePoint
from app.measures.suppression import small
from app.overview.icons import (
    Assurance,
    Variation,
    assurance,
    assurance_words,
    variation,
    variation_words,
)

BABEL_LOCALES = {"nb": "nb_NO", "en": "en_GB"}
SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 96.0, 24.0, 2.0


def format_value(value: float, kind: str) -> str:
    """A measure's value as the current language writes it ("73,1 %" in bokmål)."""
    locale = BABEL_LOCALES.get(current_language(), "en_GB")
    if kind == "proportion":
        return f"{format_decimal(value, format='0.0', locale=locale)} %"
    if kind == "mean":
        return format_decimal(value, format="0.00", locale=locale)
    return format_decimal(value, format="#,##0.#", locale=locale)


def hidden_text(row: CountRow | None, kind: str) -> str:
    """A hidden cell as the comparison table shows it: "<k" when small, "–" otherwise."""
    threshold = get_settings().suppression_threshold
    if row is not None and small(row.numerator, row.denominator, kind=kind, threshold=threshold):
        return f"<{threshold}"
    return "–"


@dataclass(frozen=True)
class Sparkline:
    """A small line of the series: polyline segments (gaps split them) and the latest point."""

    segments: list[str]
    last: tuple[float, float] | None
    width: float = SPARK_WIDTH
    height: float = SPARK_HEIGHT


def sparkline(values: Sequence[float | None]) -> Sparkline:
    """Scale a series into a small box; missing values leave gaps."""
    shown = [v for v in values if v is not None]
    if not shown:
        return Sparkline([], None)
    low, high = min(shown), max(shown)
    span = high - low
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / max(1, len(values) - 1)
    inner = SPARK_HEIGHT - 2 * SPARK_PAD

    def y(value: float) -> float:
        share = 0.5 if span == 0 else (value - low) / span
        return round(SPARK_PAD + inner * (1 - share), 1)

    segments: list[list[str]] = [[]]
    last = None
    for index, value in enumerate(values):
        if value is None:
            if segments[-1]:
                segments.append([])
            continue
        last = (round(SPARK_PAD + index * step, 1), y(value))
        segments[-1].append(f"{last[0]},{last[1]}")
    return Sparkline([" ".join(s) for s in segments if s], last)


@dataclass
class Cell:
    """One unit × measure of the overview, as shown and as exported."""

    unit_id: int
    measure_id: str
    href: str
    followed: bool = True
    period: str = ""
    value: float | None = None
    value_text: str = ""
    hidden: bool = False
    variation: Variation = Variation.unknown
    high_low: str | None = None
    assurance: Assurance = Assurance.unknown
    spark: Sparkline = field(default_factory=lambda: Sparkline([], None))

    @property
    def variation_text(self) -> str:
        """The variation icon in words."""
        return variation_words(self.variation, self.high_low)

    @property
    def assurance_text(self) -> str:
        """The assurance icon in words."""
        return assurance_words(self.assurance)


def latest_complete(points: Sequence[MeasurePoint]) -> MeasurePoint | None:
    """The latest complete period that was counted (shown or hidden), if any."""
    for point in reversed(points):
        if not point.incomplete and (point.value is not None or point.suppressed):
            return point
    return None


def cell_of(
    chart: MeasureChart, *, href: str, hidden_counts: Mapping[date, CountRow] | None = None
) -> Cell:
    """Summarise a chart as a cell: latest complete value, sparkline and both icons."""
    info = chart.measure
    icon = variation(chart.result, direction=info.direction)
    cell = Cell(
        unit_id=chart.unit_id,
        measure_id=info.id,
        href=href,
        variation=icon.variation,
        high_low=icon.high_low,
        assurance=assurance(chart.result, direction=info.direction, goal=info.goal),
        spark=sparkline([None if p.suppressed else p.value for p in chart.points]),
    )
    latest = latest_complete(chart.points)
    if latest is not None:
        cell.period = latest.period
        if latest.suppressed:
            cell.hidden = True
            row = (hidden_counts or {}).get(latest.period_start)
            cell.value_text = hidden_text(row, info.type)
        elif latest.value is not None:
            cell.value = latest.value
            cell.value_text = format_value(latest.value, info.type)
    return cell

"""Vega-Lite chart specs from a computed chart, and SVG rendering through vl-convert.

The spec is a plain dict: the browser draws it with vega-embed, the server turns it into SVG
or PNG with ``render_svg`` and ``render_png``, the one way into vl-convert: it strips every
character vl-convert cannot take (a C0 control character, U+FFFE or U+FFFF aborts the whole
process), so no stored text ever reaches it raw. Signal points differ from the others in
colour and in shape (so the chart reads in greyscale too); incomplete periods are hollow, in
the legend too; the centre line of a phase with a runs signal is red and dashed, as in
qicharts2. The subtitle names the rule set. The x-axis starts at the first period with a
value (the rows before it stay in the data, for the page's table). Numbers on the axes and
in the tooltips are written in the user's language (``config.locale``, and texts made with
Babel); a tooltip gives the counts behind a share ("3 av 3").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.charts.models import SPC_CHARTS, Annotation, ChartResult, PointResult
from app.charts.numbers import format_number, vega_locale
from app.charts.rulesets import rule_set_name
from app.core.i18n import gettext_in
from app.core.text import printable

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
LINE_COLOUR = "#4a6fa5"
SIGNAL_COLOUR = "#c0392b"
MUTED_COLOUR = "#8c8c8c"
GOAL_COLOUR = "#2e7d32"
STATUS_STYLE = {  # status: (colour, shape)
    "point": (LINE_COLOUR, "circle"),
    "signal": (SIGNAL_COLOUR, "diamond"),
    "excluded": (MUTED_COLOUR, "cross"),
    "incomplete": (LINE_COLOUR, "circle"),
}
HOLLOW = "#ffffff"  # the fill of an incomplete point, on the chart and in the legend


def chart_name(chart: str, language: str) -> str:
    """Return the translated name of a chart type."""
    names = {
        "run": gettext_in(language, "Run chart"),
        "p": gettext_in(language, "P chart"),
        "u": gettext_in(language, "U chart"),
        "c": gettext_in(language, "C chart"),
        "i": gettext_in(language, "I chart"),
    }
    return names[chart]


def _status(point: PointResult) -> str:
    """Return how a point is drawn: signal, excluded, incomplete or a plain point."""
    if point.incomplete:
        return "incomplete"
    if point.excluded:
        return "excluded"
    if point.sigma_signal or point.signals:
        return "signal"
    return "point"


def _status_labels(language: str) -> dict[str, str]:
    """Return the legend label of every point status."""
    return {
        "point": gettext_in(language, "Point"),
        "signal": gettext_in(language, "Signal"),
        "excluded": gettext_in(language, "Excluded"),
        "incomplete": gettext_in(language, "Incomplete"),
    }


def value_text(value: float | None, *, multiply: float, language: str) -> str:
    """Return a plotted value as the tooltip writes it: per cent with a sign, 1 decimal."""
    if value is None:
        return ""
    text = format_number(value, language, decimals=1 if abs(value) < 1000 else 0)
    return f"{text} %" if multiply == 100 else text


def count_text(point: PointResult, language: str) -> str:
    """Return the counts behind a point, "3 of 3" ("3 av 3"), or the count alone."""
    if point.numerator is None:
        return ""
    numerator = format_number(point.numerator, language, decimals=2)
    if point.denominator is None:
        return numerator
    return gettext_in(language, "{numerator} of {denominator}").format(
        numerator=numerator, denominator=format_number(point.denominator, language, decimals=2)
    )


def _rows(result: ChartResult, language: str) -> list[dict[str, Any]]:
    """Return the data rows of the spec, one per point."""
    runs_signals = {part.part: bool(part.runs_signal) for part in result.parts}
    labels = _status_labels(language)
    return [
        {
            "number": point.number,
            "period": point.period,
            "value": point.value,
            "centre": point.centre,
            "lower": point.lower,
            "upper": point.upper,
            "part": point.part,
            "runs_signal": runs_signals[point.part],
            "status": labels[_status(point)],
            "incomplete": point.incomplete,
            "value_text": value_text(point.value, multiply=result.multiply, language=language),
            "count_text": count_text(point, language),
        }
        for point in result.points
    ]


def first_shown(result: ChartResult) -> int:
    """Return the number of the first point with a value (1 when there is none)."""
    return next((p.number for p in result.points if p.value is not None), 1)


def _y_scale(result: ChartResult, goal: float | None) -> dict[str, Any]:
    """A y scale that never collapses: all values equal (e.g. all 0) get a span of their own."""
    numbers = [
        n for p in result.points for n in (p.value, p.centre, p.lower, p.upper) if n is not None
    ] + ([goal] if goal is not None else [])
    if not numbers or max(numbers) > min(numbers):
        return {}
    level = numbers[0]
    span = 10.0 if result.multiply == 100 else 1.0
    low, high = level - span, level + span
    if level >= 0:
        low = max(low, 0.0)
    if result.multiply == 100:
        high = min(high, 100.0) if level <= 100 else high
    return {"scale": {"domain": [low, high]}}


def chart_spec(
    result: ChartResult,
    *,
    title: str | None = None,
    goal: float | None = None,
    annotations: Sequence[Annotation | tuple[str, str]] = (),
    y_title: str | None = None,
    language: str = "nb",
    width: int = 640,
    height: int = 320,
) -> dict[str, Any]:
    """Build a Vega-Lite spec: points and line, centre line per phase, limits, goal, notes."""
    first = first_shown(result)
    periods = [point.period for point in result.points[first - 1 :]]
    x = {
        "field": "period",
        "type": "ordinal",
        "sort": periods,
        "title": gettext_in(language, "Period"),
        "axis": {"labelAngle": -45 if len(periods) > 12 else 0},
    }
    y_axis = {
        "type": "quantitative",
        "title": y_title or gettext_in(language, "Value"),
        **_y_scale(result, goal),
    }
    part_lines = {"field": "part", "type": "nominal"}
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "line", "color": LINE_COLOUR, "invalid": "break-paths-show-domains"},
            "encoding": {"x": x, "y": {"field": "value", **y_axis}},
        },
        {
            "mark": {"type": "line", "strokeWidth": 1.5},
            "encoding": {
                "x": x,
                "y": {"field": "centre", **y_axis},
                "detail": part_lines,
                "color": {
                    "condition": {"test": "datum.runs_signal", "value": SIGNAL_COLOUR},
                    "value": MUTED_COLOUR,
                },
                "strokeDash": {
                    "condition": {"test": "datum.runs_signal", "value": [6, 4]},
                    "value": [1, 0],
                },
            },
        },
    ]
    if result.chart in SPC_CHARTS:
        for field in ("lower", "upper"):
            layers.append(
                {
                    "mark": {
                        "type": "line",
                        "interpolate": "step",
                        "color": MUTED_COLOUR,
                        "strokeDash": [3, 3],
                        "invalid": "break-paths-show-domains",
                    },
                    "encoding": {"x": x, "y": {"field": field, **y_axis}, "detail": part_lines},
                }
            )
    layers.append(_points_layer(result, x, y_axis, language))
    if goal is not None:
        layers += _goal_layers(goal, language)
    known = set(periods)
    shown = [(period, note) for period, note in annotations if period in known]
    if shown:
        layers += _annotation_layers(shown, x)
    spec: dict[str, Any] = {
        "$schema": SCHEMA,
        "title": {
            "text": title or chart_name(result.chart, language),
            "subtitle": rule_set_name(result.rules, language),
        },
        "width": width,
        "height": height,
        "data": {"values": _rows(result, language)},
        "layer": layers,
        "config": {"view": {"stroke": None}, "locale": {"number": vega_locale(language)}},
    }
    if first > 1:  # leading periods without a value: off the axis, kept for the table
        spec["transform"] = [{"filter": f"datum.number >= {first}"}]
    return spec


def _points_layer(
    result: ChartResult, x: dict[str, Any], y_axis: dict[str, Any], language: str
) -> dict[str, Any]:
    """Return the layer of points: colour and shape by status, incomplete ones hollow."""
    labels = _status_labels(language)
    present = [
        status for status in STATUS_STYLE if any(_status(p) == status for p in result.points)
    ]
    domain = [labels[status] for status in present]
    colours = [STATUS_STYLE[status][0] for status in present]
    fills = [HOLLOW if status == "incomplete" else STATUS_STYLE[status][0] for status in present]
    legend = {"title": None, "orient": "bottom"}
    by_status = {"field": "status", "type": "nominal"}
    return {
        # not "filled": colour is the outline, and the fill (white for incomplete) its own
        # channel, so that the legend's symbol is hollow exactly where the points are
        "mark": {"type": "point", "filled": False, "size": 60, "strokeWidth": 1.5, "opacity": 1},
        "encoding": {
            "x": x,
            "y": {"field": "value", **y_axis},
            "color": {**by_status, "scale": {"domain": domain, "range": colours}, "legend": legend},
            "fill": {**by_status, "scale": {"domain": domain, "range": fills}, "legend": legend},
            "shape": {
                **by_status,
                "scale": {"domain": domain, "range": [STATUS_STYLE[s][1] for s in present]},
                "legend": legend,
            },
            "tooltip": [
                {"field": "period", "type": "ordinal", "title": gettext_in(language, "Period")},
                {"field": "value_text", "type": "nominal", "title": gettext_in(language, "Value")},
                {
                    "field": "count_text",
                    "type": "nominal",
                    "title": gettext_in(language, "Counted"),
                },
                {"field": "status", "type": "nominal", "title": gettext_in(language, "Status")},
            ],
        },
    }


def _goal_layers(goal: float, language: str) -> list[dict[str, Any]]:
    """Return a labelled horizontal goal line."""
    data = {"values": [{"goal": goal, "label": gettext_in(language, "Goal")}]}
    y = {"field": "goal", "type": "quantitative"}
    return [
        {
            "data": data,
            "mark": {"type": "rule", "color": GOAL_COLOUR, "strokeDash": [8, 4]},
            "encoding": {"y": y},
        },
        {
            "data": data,
            "mark": {"type": "text", "color": GOAL_COLOUR, "align": "left", "dx": 4, "dy": -6},
            "encoding": {"y": y, "x": {"value": 0}, "text": {"field": "label"}},
        },
    ]


def _annotation_layers(notes: list[tuple[str, str]], x: dict[str, Any]) -> list[dict[str, Any]]:
    """Return labelled vertical rules at annotated periods (tested changes, events)."""
    data = {"values": [{"period": period, "note": note} for period, note in notes]}
    return [
        {
            "data": data,
            "mark": {"type": "rule", "color": "#555555", "strokeDash": [2, 2]},
            "encoding": {"x": x},
        },
        {
            "data": data,
            "mark": {"type": "text", "align": "left", "baseline": "top", "dx": 3, "fontSize": 10},
            "encoding": {"x": x, "y": {"value": 2}, "text": {"field": "note"}},
        },
    ]


def printable_spec(spec: Any) -> Any:
    """The spec with every string (keys too) stripped of characters a renderer cannot take."""
    if isinstance(spec, str):
        return printable(spec)
    if isinstance(spec, dict):
        return {printable_spec(key): printable_spec(value) for key, value in spec.items()}
    if isinstance(spec, list | tuple):
        return [printable_spec(value) for value in spec]
    return spec


def render_svg(spec: dict[str, Any]) -> str:
    """Render a Vega-Lite spec to SVG text with vl-convert (bundled Vega, no browser)."""
    import vl_convert  # optional dependency, imported where it is needed

    return vl_convert.vegalite_to_svg(printable_spec(spec))


def render_png(spec: dict[str, Any], *, scale: float = 2) -> bytes:
    """Render a Vega-Lite spec to PNG with vl-convert."""
    import vl_convert  # optional dependency, imported where it is needed

    return bytes(vl_convert.vegalite_to_png(printable_spec(spec), scale=scale))

"""Vega-Lite specs of the comparison: small multiples on a shared y-axis, and a funnel plot.

These draw many units at once (not one ChartResult), so they live beside the comparison
rather than in ``app.charts.spec``. They carry no counts: a suppressed point is a gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.charts.spec import LINE_COLOUR, MUTED_COLOUR, SCHEMA, SIGNAL_COLOUR, STATUS_STYLE
from app.core.i18n import gettext_in
from app.measures.chart_data import MeasureChart


def _status(signals: bool, incomplete: bool) -> str:
    """How a point of a small multiple is drawn."""
    if incomplete:
        return "incomplete"
    return "signal" if signals else "point"


def small_multiples_spec(
    charts: Sequence[MeasureChart], *, title: str, y_title: str, language: str, columns: int = 3
) -> dict[str, Any]:
    """One small chart per unit, faceted so every panel shares the y-axis."""
    labels = {
        "point": gettext_in(language, "Point"),
        "signal": gettext_in(language, "Signal"),
        "incomplete": gettext_in(language, "Incomplete"),
    }
    rows = [
        {
            "unit": chart.unit_name,
            "period": point.period,
            "value": point.value,
            "centre": point.centre,
            "status": labels[_status(bool(point.signals or point.sigma_signal), point.incomplete)],
            "incomplete": point.incomplete,
        }
        for chart in charts
        for point in chart.points
    ]
    periods = [p.period for p in charts[0].points] if charts else []
    x = {
        "field": "period",
        "type": "ordinal",
        "sort": periods,
        "title": None,
        "axis": {"labelAngle": -90, "labelFontSize": 8, "labelOverlap": True},
    }
    y = {"type": "quantitative", "title": y_title}
    order = ["point", "signal", "incomplete"]
    spec: dict[str, Any] = {
        "$schema": SCHEMA,
        "title": title,
        "data": {"values": rows},
        "facet": {
            "field": "unit",
            "type": "nominal",
            "title": None,
            "sort": [c.unit_name for c in charts],
        },
        "columns": columns,
        "spec": {
            "width": 220,
            "height": 120,
            "layer": [
                {
                    "mark": {
                        "type": "line",
                        "color": LINE_COLOUR,
                        "invalid": "break-paths-show-domains",
                    },
                    "encoding": {"x": x, "y": {"field": "value", **y}},
                },
                {
                    "mark": {"type": "line", "color": MUTED_COLOUR, "strokeWidth": 1},
                    "encoding": {"x": x, "y": {"field": "centre", **y}},
                },
                {
                    "mark": {"type": "point", "filled": True, "size": 30},
                    "encoding": {
                        "x": x,
                        "y": {"field": "value", **y},
                        "color": {
                            "field": "status",
                            "type": "nominal",
                            "legend": {"title": None, "orient": "bottom"},
                            "scale": {
                                "domain": [labels[s] for s in order],
                                "range": [LINE_COLOUR, SIGNAL_COLOUR, LINE_COLOUR],
                            },
                        },
                        "shape": {
                            "field": "status",
                            "type": "nominal",
                            "legend": {"title": None, "orient": "bottom"},
                            "scale": {
                                "domain": [labels[s] for s in order],
                                "range": [STATUS_STYLE[s][1] for s in order],
                            },
                        },
                        "fillOpacity": {
                            "condition": {"test": "datum.incomplete", "value": 0},
                            "value": 1,
                        },
                        "stroke": {"value": LINE_COLOUR},
                        "tooltip": [
                            {"field": "unit"},
                            {"field": "period"},
                            {"field": "value", "type": "quantitative", "format": ".1f"},
                        ],
                    },
                },
            ],
        },
        "resolve": {"scale": {"y": "shared"}},
        # the page labels the whole figure and gives the table as its text alternative;
        # per-mark ARIA in faceted panels would leave unlabelled symbol groups
        "config": {"view": {"stroke": "#dddddd"}},
        "description": title,
    }
    for layer in spec["spec"]["layer"]:
        layer["mark"]["aria"] = False
    return spec


def funnel_spec(
    units: Sequence[dict[str, Any]],
    curve: Sequence[dict[str, float]],
    *,
    pooled: float,
    title: str,
    language: str,
) -> dict[str, Any]:
    """Proportion against denominator per unit, 95 % and 99.8 % limits around the pooled rate."""
    x = {"field": "n", "type": "quantitative", "title": gettext_in(language, "Items counted")}
    y_title = gettext_in(language, "Per cent")
    limit_layers = []
    for field, dash, colour in (
        ("low95", [4, 3], MUTED_COLOUR),
        ("high95", [4, 3], MUTED_COLOUR),
        ("low998", [1, 0], "#555555"),
        ("high998", [1, 0], "#555555"),
    ):
        limit_layers.append(
            {
                "data": {"values": list(curve)},
                "mark": {"type": "line", "strokeDash": dash, "color": colour, "strokeWidth": 1},
                "encoding": {
                    "x": x,
                    "y": {"field": field, "type": "quantitative", "title": y_title},
                },
            }
        )
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": 560,
        "height": 300,
        "layer": [
            *limit_layers,
            {
                "data": {"values": [{"pooled": 100 * pooled}]},
                "mark": {"type": "rule", "color": MUTED_COLOUR},
                "encoding": {"y": {"field": "pooled", "type": "quantitative"}},
            },
            {
                "data": {"values": list(units)},
                "mark": {"type": "point", "filled": True, "size": 70, "color": LINE_COLOUR},
                "encoding": {
                    "x": x,
                    "y": {"field": "rate", "type": "quantitative", "title": y_title},
                    "tooltip": [
                        {"field": "unit"},
                        {"field": "rate", "type": "quantitative", "format": ".1f"},
                    ],
                },
            },
            {
                "data": {"values": list(units)},
                "mark": {"type": "text", "align": "left", "dx": 6, "fontSize": 10},
                "encoding": {
                    "x": x,
                    "y": {"field": "rate", "type": "quantitative"},
                    "text": {"field": "unit"},
                },
            },
        ],
        "config": {"view": {"stroke": None}},
    }

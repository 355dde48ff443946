"""Vega-Lite specs of the comparison: small multiples on a shared y-axis, and a funnel plot.

These draw many units at once (not one ChartResult), so they live beside the comparison
rather than in ``app.charts.spec``. They carry no counts: a suppressed point is a gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.charts.numbers import format_number, vega_locale
from app.charts.rulesets import rule_set_name
from app.charts.spec import LINE_COLOUR, MUTED_COLOUR, SCHEMA, SIGNAL_COLOUR, STATUS_STYLE
from app.core.i18n import gettext_in
from app.measures.chart_data import MeasureChart

WARNING_COLOUR = "#b35900"


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
    rules = {chart.rules for chart in charts}
    subtitle = rule_set_name(rules.pop(), language) if len(rules) == 1 else None
    spec: dict[str, Any] = {
        "$schema": SCHEMA,
        "title": {"text": title, **({"subtitle": subtitle} if subtitle else {})},
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
                            {"field": "value", "type": "quantitative", "format": ",.1f"},
                        ],
                    },
                },
            ],
        },
        "resolve": {"scale": {"y": "shared"}},
        # the page labels the whole figure and gives the table as its text alternative;
        # per-mark ARIA in faceted panels would leave unlabelled symbol groups
        "config": {"view": {"stroke": "#dddddd"}, "locale": {"number": vega_locale(language)}},
        "description": title,
    }
    for layer in spec["spec"]["layer"]:
        layer["mark"]["aria"] = False
    return spec


FUNNEL_STYLE = {  # position: (colour, shape); outside the limits differs in both
    "inside": (LINE_COLOUR, "circle"),
    "above95": (WARNING_COLOUR, "triangle-up"),
    "below95": (WARNING_COLOUR, "triangle-down"),
    "above": (SIGNAL_COLOUR, "diamond"),
    "below": (SIGNAL_COLOUR, "square"),
}


def funnel_position_labels(language: str) -> dict[str, str]:
    """Legend words for where a unit lies against the funnel's limits."""
    return {
        "inside": gettext_in(language, "Within the limits"),
        "above95": gettext_in(language, "Above the 95 % limit"),
        "below95": gettext_in(language, "Below the 95 % limit"),
        "above": gettext_in(language, "Above the 99.8 % limit"),
        "below": gettext_in(language, "Below the 99.8 % limit"),
    }


def funnel_spec(
    units: Sequence[dict[str, Any]],
    curve: Sequence[dict[str, float]],
    *,
    pooled: float,
    title: str,
    language: str,
) -> dict[str, Any]:
    """Proportion against denominator per unit, 95 % and 99.8 % limits around the pooled rate.

    Units outside a limit differ in colour and shape and carry their name; the others are
    named in their tooltip only, so that labels do not pile up where most units sit.
    """
    x = {
        "field": "n",
        "type": "quantitative",
        "title": gettext_in(language, "Items counted"),
        "axis": {"tickCount": 8, "labelOverlap": True},
    }
    y_title = gettext_in(language, "Per cent")
    labels = funnel_position_labels(language)
    present = [p for p in FUNNEL_STYLE if any(u.get("position", "inside") == p for u in units)]
    rows = [
        {
            **unit,
            "where": labels[unit.get("position", "inside")],
            "rate_text": f"{format_number(unit['rate'], language)} %",
            "n_text": format_number(unit["n"], language, decimals=0),
            "named": unit.get("position", "inside") != "inside",
        }
        for unit in units
    ]
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
    by_where = {"field": "where", "type": "nominal"}
    legend = {"title": None, "orient": "bottom"}
    domain = [labels[p] for p in present]
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
                "data": {"values": rows},
                "mark": {"type": "point", "filled": True, "size": 70, "opacity": 1},
                "encoding": {
                    "x": x,
                    "y": {"field": "rate", "type": "quantitative", "title": y_title},
                    "color": {
                        **by_where,
                        "scale": {"domain": domain, "range": [FUNNEL_STYLE[p][0] for p in present]},
                        "legend": legend,
                    },
                    "shape": {
                        **by_where,
                        "scale": {"domain": domain, "range": [FUNNEL_STYLE[p][1] for p in present]},
                        "legend": legend,
                    },
                    "tooltip": [
                        {"field": "unit", "title": gettext_in(language, "Unit")},
                        {"field": "rate_text", "title": y_title},
                        {"field": "n_text", "title": gettext_in(language, "Items counted")},
                        {"field": "where", "title": gettext_in(language, "Position")},
                    ],
                },
            },
            {
                "data": {"values": rows},
                "transform": [{"filter": "datum.named"}],
                "mark": {"type": "text", "align": "left", "dx": 7, "dy": -6, "fontSize": 11},
                "encoding": {
                    "x": x,
                    "y": {"field": "rate", "type": "quantitative"},
                    "text": {"field": "unit"},
                },
            },
        ],
        "config": {"view": {"stroke": None}, "locale": {"number": vega_locale(language)}},
    }

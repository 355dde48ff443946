"""Vega-Lite specs built from chart results, and their SVG rendering."""

from __future__ import annotations

from typing import Any

from app.charts import Annotation, SeriesPoint, chart_spec, compute_chart, render_svg
from app.charts.models import ChartResult


def p_result() -> ChartResult:
    """A p chart with a sigma signal, an excluded point and an incomplete last week."""
    counts = [(8, 10), (9, 10), (7, 10), (9, 10), (8, 10), (2, 10), (9, 10), (8, 10), (5, 10)]
    points = [
        SeriesPoint(
            period=f"2026-W{week:02d}",
            numerator=y,
            denominator=n,
            incomplete=week == len(counts),
        )
        for week, (y, n) in enumerate(counts, start=1)
    ]
    return compute_chart(points, chart="p", exclude=[2])


def layer_fields(spec: dict[str, Any]) -> list[str | None]:
    """Return the y field of every layer."""
    return [layer["encoding"].get("y", {}).get("field") for layer in spec["layer"]]


def test_spc_spec_has_value_centre_and_step_limits() -> None:
    """Data line, centre line per phase, two step limit lines and the points."""
    spec = chart_spec(p_result(), title="Admission checklist on time", language="en")
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v5")
    assert spec["title"] == {"text": "Admission checklist on time", "subtitle": "Anhøj rules"}
    assert layer_fields(spec) == ["value", "centre", "lower", "upper", "value"]
    limits = spec["layer"][2]
    assert limits["mark"]["interpolate"] == "step"
    assert spec["layer"][1]["encoding"]["detail"]["field"] == "part"
    assert len(spec["data"]["values"]) == 9


def test_run_chart_spec_has_no_limits_and_a_default_title() -> None:
    """Run charts draw no control limits; the title names the chart type."""
    result = compute_chart([SeriesPoint(period=str(i), numerator=i % 3) for i in range(1, 12)])
    spec = chart_spec(result, language="en")
    assert layer_fields(spec) == ["value", "centre", "value"]
    assert spec["title"]["text"] == "Run chart"


def test_signal_points_differ_in_colour_and_shape_and_incomplete_ones_are_hollow() -> None:
    """Status drives colour and shape; incomplete points have no fill."""
    spec = chart_spec(p_result(), language="en")
    rows = {row["period"]: row for row in spec["data"]["values"]}
    assert rows["2026-W06"]["status"] == "Signal"
    assert rows["2026-W02"]["status"] == "Excluded"
    assert rows["2026-W09"]["status"] == "Incomplete"
    assert rows["2026-W01"]["status"] == "Point"
    points = spec["layer"][-1]["encoding"]
    colours = dict(
        zip(points["color"]["scale"]["domain"], points["color"]["scale"]["range"], strict=True)
    )
    shapes = dict(
        zip(points["shape"]["scale"]["domain"], points["shape"]["scale"]["range"], strict=True)
    )
    assert colours["Signal"] != colours["Point"]
    assert shapes["Signal"] != shapes["Point"]
    fills = dict(
        zip(points["fill"]["scale"]["domain"], points["fill"]["scale"]["range"], strict=True)
    )
    assert fills["Incomplete"] == "#ffffff" and fills["Point"] == colours["Point"]


def test_runs_signal_makes_the_centre_line_red_and_dashed() -> None:
    """A phase with a runs signal is flagged on its centre line."""
    result = compute_chart([SeriesPoint(period=str(i), numerator=i) for i in range(1, 13)])
    spec = chart_spec(result, language="en")
    assert all(row["runs_signal"] for row in spec["data"]["values"])
    centre = spec["layer"][1]["encoding"]
    assert centre["strokeDash"]["condition"]["test"] == "datum.runs_signal"


def test_goal_and_annotations_add_labelled_rules() -> None:
    """A goal line and vertical rules at annotated periods; unknown periods are dropped."""
    spec = chart_spec(
        p_result(),
        goal=0.9,
        annotations=[Annotation("2026-W04", "New checklist"), ("2030-W01", "Not on the chart")],
        language="en",
    )
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks[-4:] == ["rule", "text", "rule", "text"]
    assert spec["layer"][-4]["data"]["values"][0]["goal"] == 0.9
    assert spec["layer"][-2]["data"]["values"] == [{"period": "2026-W04", "note": "New checklist"}]


def test_render_svg_returns_svg_text() -> None:
    """vl-convert turns the spec into SVG without a browser."""
    svg = render_svg(chart_spec(p_result(), goal=0.9, language="nb"))
    assert svg.lstrip().startswith("<svg")
    assert "2026-W06" in svg


def test_incomplete_points_are_hollow_in_the_legend_too() -> None:
    """The fill is a channel of its own with the legend, so the legend's symbol is hollow;
    a mark-wide "filled" with a per-datum opacity left the legend's symbol filled."""
    points = chart_spec(p_result(), language="en")["layer"][-1]
    assert points["mark"]["filled"] is False
    assert "fillOpacity" not in points["encoding"]
    assert points["encoding"]["fill"]["legend"] == points["encoding"]["color"]["legend"]
    svg = render_svg(chart_spec(p_result(), language="en"))
    legend = svg[svg.index('class="mark-symbol role-legend-symbol') :]
    assert 'fill="#ffffff"' in legend


def test_subtitle_names_the_rule_set_in_the_users_language() -> None:
    """Every chart says which rules it is read by."""
    result = compute_chart(p_result_points(), chart="p", rules="mdc")
    assert chart_spec(result, language="en")["title"]["subtitle"] == "Making Data Count rules"
    assert chart_spec(result, language="nb")["title"]["subtitle"] == "Making Data Count-reglene"


def p_result_points() -> list[SeriesPoint]:
    """Twelve weeks of 8 of 10, then 10 of 10."""
    return [SeriesPoint(f"2026-W{w:02d}", 8 if w < 12 else 10, 10) for w in range(1, 13)]


def test_x_axis_starts_at_the_first_period_with_a_value() -> None:
    """Four empty weeks before the first count are off the axis but kept in the data."""
    points = [SeriesPoint(f"2026-W{w:02d}") for w in range(1, 5)] + [
        SeriesPoint(f"2026-W{w:02d}", 3, 3) for w in range(5, 12)
    ]
    spec = chart_spec(compute_chart(points), language="en")
    assert spec["layer"][0]["encoding"]["x"]["sort"][0] == "2026-W05"
    assert spec["transform"] == [{"filter": "datum.number >= 5"}]
    assert len(spec["data"]["values"]) == 11


def test_tooltip_gives_the_counts_and_numbers_in_the_users_language() -> None:
    """ "3 av 3" and "73,1 %" in bokmål; the axes get Vega's bokmål number locale."""
    points = [SeriesPoint("2026-W01", 3, 3), SeriesPoint("2026-W02", 19, 26)]
    spec = chart_spec(compute_chart(points, multiply=100), language="nb")
    rows = spec["data"]["values"]
    assert (rows[0]["count_text"], rows[0]["value_text"]) == ("3 av 3", "100 %")
    assert rows[1]["value_text"] == "73,1 %"
    tooltip = [item["field"] for item in spec["layer"][-1]["encoding"]["tooltip"]]
    assert tooltip[:3] == ["period", "value_text", "count_text"]
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    english = chart_spec(compute_chart(points, multiply=100), language="en")
    assert english["data"]["values"][1]["value_text"] == "73.1 %"
    assert english["data"]["values"][0]["count_text"] == "3 of 3"


def test_an_all_zero_chart_has_a_y_axis_with_room() -> None:
    """All values 0 gave Vega a domain of [0, 0] (ticks "0.000000"); now 0 to 10 %."""
    points = [SeriesPoint(f"2026-W{w:02d}", 0, 4) for w in range(1, 11)]
    spec = chart_spec(compute_chart(points, multiply=100), language="en")
    assert spec["layer"][0]["encoding"]["y"]["scale"] == {"domain": [0.0, 10.0]}
    varied = chart_spec(p_result(), language="en")
    assert "scale" not in varied["layer"][0]["encoding"]["y"]

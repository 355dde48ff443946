"""Chart maths: run charts with Anhøj or IHI rules and SPC charts (p, u, c, I) with those or
the Making Data Count rules, pure Python.

No database, no web, no files (an import-linter contract keeps it so). The measures service
aggregates counts per period, builds ``SeriesPoint``s and calls ``compute_chart``; pages,
the API and exports use the ``ChartResult`` and ``chart_spec``.
"""

from app.charts.analysis import compute_chart, point_value
from app.charts.models import (
    Annotation,
    ChartResult,
    ChartType,
    Finding,
    FindingKind,
    PartResult,
    PointResult,
    RuleSet,
    SeriesPoint,
)
from app.charts.rulesets import (
    DEFAULT_RULE_SET,
    analyse,
    rule_set_for_chart,
    rule_set_name,
    rule_set_summary,
)
from app.charts.runs import MIN_USEFUL_POINTS, crossings_limit, longest_run_limit
from app.charts.series_csv import SeriesFileError, parse_series_csv
from app.charts.spec import chart_spec, render_png, render_svg

__all__ = [
    "DEFAULT_RULE_SET",
    "MIN_USEFUL_POINTS",
    "Annotation",
    "ChartResult",
    "ChartType",
    "Finding",
    "FindingKind",
    "PartResult",
    "PointResult",
    "RuleSet",
    "SeriesFileError",
    "SeriesPoint",
    "analyse",
    "chart_spec",
    "compute_chart",
    "crossings_limit",
    "longest_run_limit",
    "parse_series_csv",
    "point_value",
    "render_png",
    "render_svg",
    "rule_set_for_chart",
    "rule_set_name",
    "rule_set_summary",
]

"""Rule sets by name: which one a chart type can use, what each is called, and ``analyse``.

A learning network chooses ``anhoej`` (the default), ``ihi`` or ``mdc`` (DESIGN §12). The
Making Data Count rules are for SPC charts; a run chart of a network that chose them is
read by the Anhøj rules, and says so. Callers that want MDC's SPC charts ask for the SPC
chart of the measure's type (``spc_chart_for``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.charts.analysis import compute_chart
from app.charts.models import SPC_CHARTS, ChartResult, ChartType, RuleSet, SeriesPoint
from app.core.i18n import gettext_in

DEFAULT_RULE_SET: RuleSet = "anhoej"


def rule_set_for_chart(rule_set: str, chart: str) -> RuleSet:
    """Return the rule set a chart type is read by under a network's choice."""
    if rule_set == "mdc":
        return "mdc" if chart in SPC_CHARTS else DEFAULT_RULE_SET
    if rule_set == "ihi":
        return "ihi"
    return DEFAULT_RULE_SET


def rule_set_name(rule_set: str, language: str) -> str:
    """Return the name of a rule set as a chart's caption says it."""
    names = {
        "anhoej": gettext_in(language, "Anhøj rules"),
        "ihi": gettext_in(language, "IHI rules"),
        "mdc": gettext_in(language, "Making Data Count rules"),
    }
    return names.get(rule_set, names[DEFAULT_RULE_SET])


def rule_set_summary(rule_set: str, language: str) -> str:
    """Return one sentence on what a rule set looks for, with its conventions."""
    texts = {
        "anhoej": gettext_in(
            language,
            "Anhøj rules: an unusually long run on one side of the centre line, or unusually "
            "few crossings of it (points on the line are left out); for SPC charts also "
            "points beyond the 3-sigma limits.",
        ),
        "ihi": gettext_in(
            language,
            "IHI rules: a shift of 6 or more on one side of the median, a trend of 5 or more "
            "rising or falling (equal values are skipped), too few or too many runs; for SPC "
            "charts also points beyond the 3-sigma limits.",
        ),
        "mdc": gettext_in(
            language,
            "Making Data Count rules: a point beyond the 3-sigma limits; 7 points in a row on "
            "one side of the centre line (a point on the line breaks the run); 7 points in a "
            "row rising or falling (a tie breaks the trend); 2 of 3 points in a row beyond 2 "
            "sigma on the same side (points beyond 3 sigma count).",
        ),
    }
    return texts.get(rule_set, texts[DEFAULT_RULE_SET])


def analyse(
    points: Sequence[SeriesPoint], *, chart: ChartType, rule_set: str, **options: Any
) -> ChartResult:
    """Compute a chart under a network's rule set; each point's ``rules`` names its rules."""
    return compute_chart(points, chart=chart, rules=rule_set_for_chart(rule_set, chart), **options)

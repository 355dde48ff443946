"""Advice on reading a chart: when a weekly chart has too few items a week to be read.

A weekly share of 2 or 3 items jumps between 0 and 100 %: the limits are wide and every
week looks like news. With a median denominator below ``SMALL_WEEKLY_DENOMINATOR`` the page
suggests the monthly view (about four times the items per point) and says why.
"""

from __future__ import annotations

import statistics

from app.charts.models import ChartResult

SMALL_WEEKLY_DENOMINATOR = 10


def median_denominator(result: ChartResult) -> float | None:
    """Return the median denominator of the points that have one (None when none has)."""
    denominators = [p.denominator for p in result.points if p.denominator]
    return float(statistics.median(denominators)) if denominators else None


def too_few_per_period(result: ChartResult) -> float | None:
    """Return the median denominator when it is below the threshold, else None."""
    median = median_denominator(result)
    return median if median is not None and median < SMALL_WEEKLY_DENOMINATOR else None

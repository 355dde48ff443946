"""Which signals are news: the week's point must make them, not merely continue them.

A share rising by one point a week (1 %, 2 %, ... of 100) from W01: its run chart's median
sits in the middle, so the later half is one run above it. With 15 weeks the median is W08's
8 % (on the line), 14 useful points allow a run of round(log2(14)) + 3 = 7, and the run above
is 7: no signal. With 16 weeks the run above is 8 against a limit of 7: a signal that W16
brought. With 17 weeks the run is 8 useful points (W09, the median, is on the line) against
a limit of round(log2(16)) + 3 = 7: still a signal, but W17 did not make it, so not news.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.digest.service import DigestWeek, chart_before, new_signals
from app.measures.access import Unit
from app.measures.aggregate import CountRow, Level
from app.measures.chart_data import MeasureChart, MeasureInfo, build_chart
from app.measures.periods import Window

FIRST = date(2026, 1, 5)  # W02 ... the weeks are numbered from here
INFO = MeasureInfo(
    id="rising",
    title="Rising",
    description="",
    type="proportion",
    periods=["week"],
    default_period="week",
    direction="up",
    goal=None,
    core=False,
    chart="run",
)


def rising_chart(weeks: int) -> MeasureChart:
    """The rising share over some weeks, counted long after (every week complete)."""
    last_monday = FIRST + timedelta(weeks=weeks - 1)
    rows = {
        FIRST + timedelta(weeks=k): CountRow(1, FIRST + timedelta(weeks=k), None, k + 1, 100, 0)
        for k in range(weeks)
    }
    window = Window(
        first_day=FIRST,
        last_day=last_monday + timedelta(days=6),
        now=datetime(2026, 12, 1, tzinfo=UTC),
        by_week=True,
        by_month=False,
    )
    return build_chart(
        info=INFO,
        level=Level.team,
        unit=Unit(1, "Team", frozenset({1})),
        period="week",
        window=window,
        rows=rows,
        hide_small=False,
    )


def test_a_run_is_news_in_the_week_it_becomes_unusual() -> None:
    assert new_signals(rising_chart(15), DigestWeek(FIRST + timedelta(weeks=14))) == []
    (signal,) = new_signals(rising_chart(16), DigestWeek(FIRST + timedelta(weeks=15)))
    assert signal.good is True and signal.period == "2026-W17"
    assert signal.text.startswith("Unusually long run above the median: 8 points")


def test_a_run_that_goes_on_is_not_news_again() -> None:
    chart = rising_chart(17)
    assert new_signals(chart, DigestWeek(FIRST + timedelta(weeks=16))) == []
    still = [f.kind for f in chart.result.findings() if f.is_signal and 17 in f.points]
    assert "long_run" in still  # the signal holds, the digest just does not repeat it


def test_the_chart_before_is_the_chart_of_the_earlier_weeks() -> None:
    before = chart_before(rising_chart(16).result, 16).model_dump()
    earlier = rising_chart(15).result.model_dump()
    for result in (before, earlier):  # phases are named by number in the chart before
        for part in result["parts"]:
            part.pop("label")
    assert before == earlier

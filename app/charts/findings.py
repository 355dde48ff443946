"""Plain-language findings of a chart phase, in every language of the app.

Message ids are English format strings with named placeholders; the bokmål catalogue
translates them. Period labels are used as given (``2026-W12``, ``2026-03``...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.charts.ihi import IhiAnalysis, Trend
from app.charts.mdc import MdcAnalysis, Stretch
from app.charts.models import Finding, FindingKind, Side
from app.charts.numbers import format_number
from app.charts.runs import ABOVE, Run, RunsAnalysis
from app.core.i18n import LANGUAGES, gettext_in


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention, a keyword of `make messages`
    """Mark a message id for extraction; ``translated`` translates it when it is used."""
    return msgid


LONG_RUN_MESSAGES = {
    ("above", True): N_(
        "Unusually long run above the median: {length} points in a row "
        "from {start} to {end} (more than {limit} is unusual)."
    ),
    ("below", True): N_(
        "Unusually long run below the median: {length} points in a row "
        "from {start} to {end} (more than {limit} is unusual)."
    ),
    ("above", False): N_(
        "Unusually long run above the centre line: {length} points in a row "
        "from {start} to {end} (more than {limit} is unusual)."
    ),
    ("below", False): N_(
        "Unusually long run below the centre line: {length} points in a row "
        "from {start} to {end} (more than {limit} is unusual)."
    ),
}
FEW_CROSSINGS_MESSAGES = {
    True: N_(
        "Too few crossings of the median: {crossings} "
        "(fewer than {limit} is unusual for {n_useful} points)."
    ),
    False: N_(
        "Too few crossings of the centre line: {crossings} "
        "(fewer than {limit} is unusual for {n_useful} points)."
    ),
}
SHIFT_MESSAGES = {
    ("above", True): N_("Shift: {length} points in a row above the median from {start} to {end}."),
    ("below", True): N_("Shift: {length} points in a row below the median from {start} to {end}."),
    ("above", False): N_(
        "Shift: {length} points in a row above the centre line from {start} to {end}."
    ),
    ("below", False): N_(
        "Shift: {length} points in a row below the centre line from {start} to {end}."
    ),
}
TREND_MESSAGES = {
    "up": N_("Trend: {length} points in a row going up from {start} to {end}."),
    "down": N_("Trend: {length} points in a row going down from {start} to {end}."),
}
SIGMA_MESSAGES = {
    ("above", False): N_("Point above the upper control limit: {periods}."),
    ("above", True): N_("Points above the upper control limit: {periods}."),
    ("below", False): N_("Point below the lower control limit: {periods}."),
    ("below", True): N_("Points below the lower control limit: {periods}."),
}
TWO_OF_THREE_MESSAGES = {
    "above": N_("2 of 3 points in a row more than 2 sigma above the centre line: {periods}."),
    "below": N_("2 of 3 points in a row more than 2 sigma below the centre line: {periods}."),
}
AT_LIMIT_MESSAGES = {
    True: N_(
        "The median is {limit}{unit}, the measure's limit: points can only fall on one side of it, "
        "so the run rules do not judge this phase. The measure is at its limit."
    ),
    False: N_(
        "The centre line is {limit}{unit}, the measure's limit: points can only fall on one side "
        "of it, so the run rules do not judge this phase. The measure is at its limit."
    ),
}
ASTRONOMICAL_MESSAGES = {
    False: N_("Astronomical point marked by the team: {periods}."),
    True: N_("Astronomical points marked by the team: {periods}."),
}


def translated(msgid: str, **fields: object) -> dict[str, str]:
    """Return a message in every language, with its placeholders filled in.

    Float fields are written in each language's own way (a decimal comma in bokmål).
    """
    return {
        language: gettext_in(language, msgid).format(
            **{
                name: format_number(value, language) if isinstance(value, float) else value
                for name, value in fields.items()
            }
        )
        for language in LANGUAGES
    }


def periods_text(numbers: Sequence[int], labels: Mapping[int, str]) -> str:
    """Return the period labels of some points as a comma-separated list."""
    return ", ".join(labels[number] for number in numbers)


def _finding(
    kind: FindingKind,
    part: int,
    text: dict[str, str],
    *,
    is_signal: bool = False,
    side: Side | None = None,
    points: Sequence[int] = (),
) -> Finding:
    """Build one finding."""
    return Finding(
        kind=kind, part=part, is_signal=is_signal, side=side, points=list(points), text=text
    )


def _side_name(run: Run) -> Side:
    """Return the side of a run as a word."""
    return "above" if run.side == ABOVE else "below"


def anhoej_findings(
    *, part: int, analysis: RunsAnalysis, median: bool, labels: Mapping[int, str]
) -> list[Finding]:
    """Describe the Anhøj rules' verdict on one phase."""
    found = []
    for run in analysis.long_runs:
        side = _side_name(run)
        text = translated(
            LONG_RUN_MESSAGES[(side, median)],
            length=run.length,
            start=labels[run.points[0]],
            end=labels[run.points[-1]],
            limit=analysis.longest_run_max,
        )
        found.append(_finding("long_run", part, text, is_signal=True, side=side, points=run.points))
    if analysis.too_few_crossings:
        text = translated(
            FEW_CROSSINGS_MESSAGES[median],
            crossings=analysis.crossings,
            limit=analysis.crossings_min,
            n_useful=analysis.n_useful,
        )
        useful = [number for run in analysis.runs for number in run.points]
        found.append(_finding("few_crossings", part, text, is_signal=True, points=useful))
    if not found:
        text = translated(
            "No sign of non-random variation in the runs: longest run {longest_run} "
            "(at most {longest_run_max} expected), {crossings} crossings "
            "(at least {crossings_min} expected).",
            longest_run=analysis.longest_run,
            longest_run_max=analysis.longest_run_max,
            crossings=analysis.crossings,
            crossings_min=analysis.crossings_min,
        )
        found.append(_finding("no_runs_signal", part, text))
    return found


def _trend_finding(part: int, trend: Trend, labels: Mapping[int, str]) -> Finding:
    """Describe one IHI trend."""
    direction: Side = "up" if trend.direction > 0 else "down"
    text = translated(
        TREND_MESSAGES[direction],
        length=trend.length,
        start=labels[trend.points[0]],
        end=labels[trend.points[-1]],
    )
    return _finding("trend", part, text, is_signal=True, side=direction, points=trend.points)


def ihi_findings(
    *, part: int, analysis: IhiAnalysis, median: bool, labels: Mapping[int, str]
) -> list[Finding]:
    """Describe the IHI rules' verdict on one phase."""
    found = []
    for run in analysis.shifts:
        side = _side_name(run)
        text = translated(
            SHIFT_MESSAGES[(side, median)],
            length=run.length,
            start=labels[run.points[0]],
            end=labels[run.points[-1]],
        )
        found.append(_finding("shift", part, text, is_signal=True, side=side, points=run.points))
    found.extend(_trend_finding(part, trend, labels) for trend in analysis.trends)
    if analysis.too_few_runs:
        text = translated(
            "Too few runs: {runs} runs (fewer than {limit} is unusual).",
            runs=analysis.runs,
            limit=analysis.runs_lower,
        )
        found.append(
            _finding("too_few_runs", part, text, is_signal=True, points=analysis.useful_points)
        )
    if analysis.too_many_runs:
        text = translated(
            "Too many runs: {runs} runs (more than {limit} is unusual).",
            runs=analysis.runs,
            limit=analysis.runs_upper,
        )
        found.append(
            _finding("too_many_runs", part, text, is_signal=True, points=analysis.useful_points)
        )
    if not found:
        text = translated(
            "No shift, trend or unusual number of runs: {runs} runs ({lower} to {upper} expected).",
            runs=analysis.runs,
            lower=analysis.runs_lower,
            upper=analysis.runs_upper,
        )
        found.append(_finding("no_ihi_signal", part, text))
    return found


def too_few_points_finding(*, part: int, n_useful: int, minimum: int) -> Finding:
    """Explain why a phase's runs were not judged."""
    text = translated(
        "Too few points to judge the runs: {n_useful} points off the centre line, "
        "at least {minimum} needed.",
        n_useful=n_useful,
        minimum=minimum,
    )
    return _finding("too_few_points", part, text)


def sigma_findings(
    *, part: int, above: Sequence[int], below: Sequence[int], labels: Mapping[int, str]
) -> list[Finding]:
    """Describe the points outside the control limits, or say there are none."""
    found = []
    sides: tuple[tuple[Side, Sequence[int]], ...] = (("above", above), ("below", below))
    for side, numbers in sides:
        if numbers:
            text = translated(
                SIGMA_MESSAGES[(side, len(numbers) > 1)], periods=periods_text(numbers, labels)
            )
            found.append(_finding("sigma", part, text, is_signal=True, side=side, points=numbers))
    if not found:
        found.append(
            _finding("within_limits", part, translated("All points are within the control limits."))
        )
    return found


def astronomical_finding(
    *, part: int, numbers: Sequence[int], labels: Mapping[int, str]
) -> Finding:
    """Report the points the team has marked as astronomical."""
    text = translated(
        ASTRONOMICAL_MESSAGES[len(numbers) > 1], periods=periods_text(numbers, labels)
    )
    return _finding("astronomical", part, text, is_signal=True, points=numbers)


def note_findings(
    *,
    part: int,
    frozen: Sequence[int],
    excluded: Sequence[int],
    incomplete: Sequence[int],
    labels: Mapping[int, str],
) -> list[Finding]:
    """Say which points the centre line rests on when frozen, and which were left out."""
    found = []
    if frozen:
        text = translated(
            "Centre line frozen on the first {count} points ({start} to {end}).",
            count=len(frozen),
            start=labels[frozen[0]],
            end=labels[frozen[-1]],
        )
        found.append(_finding("frozen", part, text, points=frozen))
    if excluded:
        text = translated(
            "Left out of the centre line and the rules: {periods}.",
            periods=periods_text(excluded, labels),
        )
        found.append(_finding("excluded", part, text, points=excluded))
    if incomplete:
        text = translated(
            "Not yet complete, so left out of the centre line and the rules: {periods}.",
            periods=periods_text(incomplete, labels),
        )
        found.append(_finding("incomplete", part, text, points=incomplete))
    return found


def mdc_findings(*, part: int, analysis: MdcAnalysis, labels: Mapping[int, str]) -> list[Finding]:
    """Describe the Making Data Count rules' verdict on one phase (limits apart)."""
    found = []
    for stretch in analysis.shifts:
        side: Side = "above" if stretch.direction > 0 else "below"
        text = translated(
            SHIFT_MESSAGES[(side, False)],
            length=stretch.length,
            start=labels[stretch.points[0]],
            end=labels[stretch.points[-1]],
        )
        found.append(
            _finding("shift", part, text, is_signal=True, side=side, points=stretch.points)
        )
    found.extend(_mdc_trend_finding(part, stretch, labels) for stretch in analysis.trends)
    for stretch in analysis.two_of_three:
        side = "above" if stretch.direction > 0 else "below"
        text = translated(TWO_OF_THREE_MESSAGES[side], periods=periods_text(stretch.points, labels))
        found.append(
            _finding("two_of_three", part, text, is_signal=True, side=side, points=stretch.points)
        )
    if not found:
        text = translated(
            "No shift (7 on one side), trend (7 rising or falling) or 2 of 3 beyond 2 sigma."
        )
        found.append(_finding("no_mdc_signal", part, text))
    return found


def _mdc_trend_finding(part: int, stretch: Stretch, labels: Mapping[int, str]) -> Finding:
    """Describe one Making Data Count trend."""
    direction: Side = "up" if stretch.direction > 0 else "down"
    text = translated(
        TREND_MESSAGES[direction],
        length=stretch.length,
        start=labels[stretch.points[0]],
        end=labels[stretch.points[-1]],
    )
    return _finding("trend", part, text, is_signal=True, side=direction, points=stretch.points)


def at_limit_finding(*, part: int, limit: float, per_cent: bool, median: bool) -> Finding:
    """Say that the centre line sits on the measure's limit, so the run rules do not judge."""
    text = translated(AT_LIMIT_MESSAGES[median], limit=limit, unit=" %" if per_cent else "")
    return _finding("at_limit", part, text)


def no_data_finding(*, part: int) -> Finding:
    """Say that a phase has no values to analyse."""
    return _finding("no_data", part, translated("No values to analyse."))

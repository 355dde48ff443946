"""Compute a chart: phases, baseline, centre line, limits, run rules, sigma signals, findings.

Conventions (MEASUREMENT.md §3, matching qicharts2 0.8):

- Points are numbered from 1 in time order; gaps (missing numerator, zero or missing
  denominator where one is needed) keep their number and their place.
- ``part_ends`` are the numbers of the last point of every phase but the last (qicharts2's
  ``part=12``: the first phase is points 1-12). A per-point ``part`` label starts a new
  phase wherever it changes. Both may be used together.
- ``freeze`` makes the first N points of the series the baseline of the *first* phase; later
  phases use all their points. The runs analysis always covers every point of a phase.
- Excluded and incomplete points are drawn but left out of the centre line, the limits and
  the run rules. An excluded point outside the limits still shows a sigma signal (as in
  qicharts2); an incomplete one does not, its value is provisional. Moving ranges of the I
  chart skip over excluded points but never span a gap.
- Rule sets: ``anhoej`` (longest run, crossings; ``runs``), ``ihi`` (shift, trend, number of
  runs; ``ihi``) and, for SPC charts only, ``mdc`` (beyond 3 sigma, 7 on one side, 7 rising
  or falling, 2 of 3 beyond 2 sigma; ``mdc``, whose docstring states how points on the
  centre line, ties and points beyond 3 sigma are read). Points beyond the limits are sigma
  signals under every rule set. Each point lists the rules it takes part in (``rules``).
- With fewer than ``MIN_USEFUL_POINTS`` useful points the run-family rules (all but the
  limits) are not judged.
- ``bounds`` are the least and greatest values a measure can take (0 and 1 for a share; a
  p chart has them without asking). A phase whose centre line sits on one is *at its
  limit*: its points can fall on one side only, so a long run or a shift there says nothing
  about the process; the run-family rules are not applied and the finding says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from app.charts import findings as text
from app.charts.ihi import analyse_ihi
from app.charts.limits import (
    BaselinePoint,
    Limits,
    average_moving_range,
    centre_line,
    control_limits,
    outside_limits,
    point_sigma,
)
from app.charts.mdc import MdcPoint, analyse_mdc
from app.charts.models import (
    PHASE_SIGNALS,
    RULES_OF,
    SPC_CHARTS,
    ChartResult,
    ChartType,
    Finding,
    PartResult,
    PointResult,
    RuleSet,
    SeriesPoint,
)
from app.charts.phases import PhaseLabels, by_part, part_numbers, phase_label
from app.charts.runs import MIN_USEFUL_POINTS, ON_LINE, analyse_runs, side_of

CHART_TYPES: tuple[ChartType, ...] = ("run", "p", "u", "c", "i")
RULE_SETS: tuple[RuleSet, ...] = ("anhoej", "ihi", "mdc")


class ChartOverflowError(ValueError):
    """The numbers of a chart exceed what a float holds; ``point`` is the 1-based culprit."""

    def __init__(self, point: int) -> None:
        """Keep the number of the point that makes the chart overflow."""
        super().__init__(f"point {point}: the numbers are too large to compute a chart")
        self.point = point


def point_value(chart: str, point: SeriesPoint) -> float | None:
    """Return the plotted value of a point (before ``multiply``), or None for a gap."""
    if point.numerator is None:
        return None
    if point.denominator is None:
        return None if chart in ("p", "u") else point.numerator
    if point.denominator == 0:
        return None
    return point.numerator / point.denominator


def compute_chart(
    points: Sequence[SeriesPoint],
    *,
    chart: ChartType = "run",
    rules: RuleSet = "anhoej",
    freeze: int | None = None,
    part_ends: Iterable[int] = (),
    exclude: Iterable[int] = (),
    astronomical: Iterable[int] = (),
    multiply: float = 1.0,
    screen_moving_ranges: bool = True,
    bounds: tuple[float, float] | None = None,
) -> ChartResult:
    """Compute a run or SPC chart with its run rules and findings; never fails on short data."""
    if chart not in CHART_TYPES:
        raise ValueError(f"unknown chart type: {chart!r}")
    if rules not in RULE_SETS:
        raise ValueError(f"unknown rule set: {rules!r}")
    if rules == "mdc" and chart not in SPC_CHARTS:
        raise ValueError("the Making Data Count rules are for SPC charts (p, u, c, i)")
    if bounds is None and chart == "p":
        bounds = (0.0, 1.0)
    if freeze is not None and freeze < 1:
        raise ValueError("freeze must be at least 1")
    if not (math.isfinite(multiply) and multiply > 0):
        raise ValueError("multiply must be a positive finite number")
    excluded = set(exclude)
    parts = part_numbers(points, part_ends)
    # The results are filled in place phase by phase, in unscaled units, then scaled once.
    work = [
        _working_point(
            number,
            point,
            value=point_value(chart, point),
            part=parts[number - 1],
            baseline=freeze is None or parts[number - 1] > 1 or number <= freeze,
            excluded=point.excluded or number in excluded,
        )
        for number, point in enumerate(points, start=1)
    ]
    marked = set(astronomical)
    part_results = []
    for members in by_part(work):
        part = members[0].part
        try:
            computed = _compute_part(
                part,
                members,
                label=phase_label(points, members),
                chart=chart,
                rules=rules,
                astronomical=[point.number for point in members if point.number in marked],
                screen=screen_moving_ranges,
                bounds=bounds,
                multiply=multiply,
            )
        except OverflowError as error:  # math.fsum of huge values
            raise ChartOverflowError(_largest(members)) from error
        part_results.append(computed)
    _finish_points(work, part_results, multiply, rules)
    _check_finite(work, part_results)
    return ChartResult(
        chart=chart,
        rules=rules,
        multiply=multiply,
        points=work,
        parts=[_scaled_part(result, multiply) for result in part_results],
    )


def _largest(members: list[PointResult]) -> int:
    """Return the number of the point with the largest value, count or denominator."""
    return max(
        members,
        key=lambda p: max(abs(p.value or 0.0), p.numerator or 0.0, p.denominator or 0.0),
    ).number


def _check_finite(work: list[PointResult], parts: list[PartResult]) -> None:
    """Raise ChartOverflowError unless every value, centre line and limit is a finite number."""
    isfinite = math.isfinite
    for point in work:
        for number in (point.value, point.centre, point.lower, point.upper):
            if number is not None and not isfinite(number):
                if point.value is None or isfinite(point.value):  # the centre overflowed
                    raise ChartOverflowError(_largest([p for p in work if p.part == point.part]))
                raise ChartOverflowError(point.number)
    for part in parts:
        if part.centre is not None and not isfinite(part.centre):
            raise ChartOverflowError(_largest([p for p in work if p.part == part.part]))


def _working_point(
    number: int,
    point: SeriesPoint,
    *,
    value: float | None,
    part: int,
    baseline: bool,
    excluded: bool,
) -> PointResult:
    """A point's result before its phase is computed: no centre line, limits or signals yet."""
    return PointResult(
        number=number,
        period=point.period,
        numerator=point.numerator,
        denominator=point.denominator,
        value=value,
        centre=None,
        lower=None,
        upper=None,
        part=part,
        baseline=baseline,
        included=not excluded and not point.incomplete,
        excluded=excluded,
        incomplete=point.incomplete,
        sigma_signal=False,
        runs_signal=None,
        signals=[],
    )


def _compute_part(
    part: int,
    members: list[PointResult],
    *,
    label: str | None,
    chart: ChartType,
    rules: RuleSet,
    astronomical: list[int],
    screen: bool,
    bounds: tuple[float, float] | None,
    multiply: float,
) -> PartResult:
    """Compute one phase in place (limits, sigma signals) and return its summary."""
    labels = PhaseLabels(members)
    baseline = [point for point in members if point.baseline and point.included]
    centre = centre_line(
        chart,
        [BaselinePoint(point.value, point.numerator, point.denominator) for point in baseline],
    )
    amr = None
    if chart == "i":
        amr = average_moving_range([point.value for point in baseline], screen=screen)
    known: dict[tuple[float | None, bool], Limits] = {}  # denominators repeat: work once each
    for point in members:
        key = (point.denominator, point.value is not None)
        limits = known.get(key)
        if limits is None:
            limits = known[key] = control_limits(
                chart, centre=centre, denominator=key[0], has_value=key[1], amr=amr
            )
        point.lower, point.upper = limits
        point.sigma_signal = not point.incomplete and outside_limits(point.value, limits)

    included = [point for point in members if point.included]
    useful: list[tuple[int, int]] = []
    if centre is not None:
        sides = [(p.number, side_of(p.value, centre)) for p in included if p.value is not None]
        useful = [(number, side) for number, side in sides if side != ON_LINE]
    anhoej = analyse_runs(useful)
    judged = anhoej.n_useful >= MIN_USEFUL_POINTS
    median = chart == "run"

    found: list[Finding] = []
    runs_signal: bool | None = None
    ihi = None
    limit = _bound_reached(centre, bounds)
    if centre is None:
        found.append(text.no_data_finding(part=part))
    elif limit is not None:
        found.append(
            text.at_limit_finding(
                part=part, limit=limit * multiply, per_cent=multiply == 100, median=median
            )
        )
    elif not judged:
        found.append(
            text.too_few_points_finding(
                part=part, n_useful=anhoej.n_useful, minimum=MIN_USEFUL_POINTS
            )
        )
    elif rules == "anhoej":
        runs_signal = anhoej.signal
        found += text.anhoej_findings(part=part, analysis=anhoej, median=median, labels=labels)
    elif rules == "mdc":
        mdc = analyse_mdc(
            [
                MdcPoint(
                    p.number,
                    p.value,
                    centre,
                    point_sigma(chart, centre=centre, denominator=p.denominator, amr=amr),
                )
                for p in included
                if p.value is not None
            ]
        )
        runs_signal = mdc.signal
        found += text.mdc_findings(part=part, analysis=mdc, labels=labels)
    else:
        ihi = analyse_ihi(
            runs=anhoej.runs,
            values=[(p.number, p.value) for p in included if p.value is not None],
        )
        runs_signal = ihi.signal
        found += text.ihi_findings(part=part, analysis=ihi, median=median, labels=labels)
    if chart in SPC_CHARTS and any(point.upper is not None for point in members):
        above = [p.number for p in members if p.sigma_signal and _above_upper(p)]
        below = [p.number for p in members if p.sigma_signal and not _above_upper(p)]
        found += text.sigma_findings(part=part, above=above, below=below, labels=labels)
    if astronomical:
        found.append(text.astronomical_finding(part=part, numbers=astronomical, labels=labels))
    window = [point.number for point in members if point.baseline]
    found += text.note_findings(
        part=part,
        frozen=window if len(window) < len(members) else [],
        excluded=[point.number for point in members if point.excluded],
        incomplete=[point.number for point in members if point.incomplete],
        labels=labels,
    )
    return PartResult(
        part=part,
        label=label,
        first_point=members[0].number,
        last_point=members[-1].number,
        centre=centre,
        n_obs=len(included),
        n_useful=anhoej.n_useful,
        longest_run=anhoej.longest_run,
        longest_run_max=anhoej.longest_run_max,
        crossings=anhoej.crossings,
        crossings_min=anhoej.crossings_min,
        runs_signal=runs_signal,
        runs=ihi.runs if ihi else None,
        runs_lower=ihi.runs_lower if ihi else None,
        runs_upper=ihi.runs_upper if ihi else None,
        sigma_signals=sum(point.sigma_signal for point in members),
        findings=found,
    )


def _bound_reached(centre: float | None, bounds: tuple[float, float] | None) -> float | None:
    """Return the bound the centre line sits on (the measure is at its limit), else None."""
    if centre is None or bounds is None:
        return None
    for bound in bounds:
        if math.isclose(centre, bound, rel_tol=1e-9, abs_tol=1e-12):
            return bound
    return None


def _above_upper(point: PointResult) -> bool:
    """Return whether a point lies above its upper limit (else a signal is below)."""
    upper = point.upper
    return point.value is not None and upper is not None and point.value > upper


def _scale(value: float | None, multiply: float) -> float | None:
    """Multiply a value that may be missing."""
    return None if value is None else value * multiply


def _scaled_part(result: PartResult, multiply: float) -> PartResult:
    """Return a phase summary with its centre line in the chart's unit."""
    return result.model_copy(update={"centre": _scale(result.centre, multiply)})


def _finish_points(
    work: list[PointResult], parts: list[PartResult], multiply: float, rules: RuleSet
) -> None:
    """Scale the points to the chart's unit and mark the phase and point signals on them."""
    by_part = {part.part: part for part in parts}
    names = RULES_OF[rules]
    order = {name: index for index, name in enumerate(names.values())}
    for part in parts:
        for finding in part.findings:
            if not finding.is_signal:
                continue
            point_level = finding.kind not in PHASE_SIGNALS
            rule = names.get(finding.kind)
            for number in finding.points:
                point = work[number - 1]
                if point_level and finding.kind not in point.signals:
                    point.signals.append(finding.kind)
                if rule is not None and rule not in point.rules:
                    point.rules = tuple(sorted((*point.rules, rule), key=order.__getitem__))
    centres = {part.part: _scale(part.centre, multiply) for part in parts}
    for point in work:
        point.centre = centres[point.part]
        point.runs_signal = by_part[point.part].runs_signal
        if multiply != 1.0:  # else keep the very same floats: a million fewer objects
            point.value = _scale(point.value, multiply)
            point.lower = _scale(point.lower, multiply)
            point.upper = _scale(point.upper, multiply)

"""Inputs and outputs of the chart maths: plain data (pydantic models and dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

ChartType = Literal["run", "p", "u", "c", "i"]
RuleSet = Literal["anhoej", "ihi", "mdc"]
Side = Literal["above", "below", "up", "down"]
FindingKind = Literal[
    # signals of non-random variation
    "long_run",
    "few_crossings",
    "sigma",
    "shift",
    "trend",
    "too_few_runs",
    "too_many_runs",
    "astronomical",
    "two_of_three",
    # plain notes
    "no_runs_signal",
    "no_ihi_signal",
    "no_mdc_signal",
    "at_limit",
    "within_limits",
    "too_few_points",
    "no_data",
    "frozen",
    "excluded",
    "incomplete",
]

SPC_CHARTS: frozenset[str] = frozenset({"p", "u", "c", "i"})
# Signals about a whole phase rather than particular points: drawn on the centre line.
PHASE_SIGNALS: frozenset[str] = frozenset({"few_crossings", "too_few_runs", "too_many_runs"})
# The rules of each rule set, in the order a point lists them, from the finding that shows each.
RULES_OF: dict[str, dict[str, str]] = {
    "anhoej": {
        "long_run": "long_run",
        "few_crossings": "few_crossings",
        "sigma": "beyond_limits",
        "astronomical": "astronomical",
    },
    "ihi": {
        "shift": "shift",
        "trend": "trend",
        "too_few_runs": "too_few_runs",
        "too_many_runs": "too_many_runs",
        "sigma": "beyond_limits",
        "astronomical": "astronomical",
    },
    "mdc": {
        "sigma": "beyond_limits",
        "shift": "shift",
        "trend": "trend",
        "two_of_three": "two_of_three",
    },
}


class Annotation(NamedTuple):
    """A labelled moment on the chart, e.g. a tested change, drawn as a vertical rule."""

    period: str
    text: str


@dataclass(slots=True)
class SeriesPoint:
    """One period of a measure, in time order: a count over a denominator, or a plain value.

    A plain dataclass, as is ``PointResult``: a national comparison makes tens of thousands,
    and a frozen dataclass takes three times as long to build. Treat both as read-only.
    Callers pass checked values (``series_csv`` checks a file's rows, SQL gives the counts).
    """

    period: str
    numerator: float | None = None
    denominator: float | None = None
    part: Annotated[
        str | None,
        Field(
            description="Phase label; a new phase starts where the label changes, None continues."
        ),
    ] = None
    incomplete: Annotated[bool, Field(description="The period is still open.")] = False
    excluded: Annotated[bool, Field(description="Left out of centre line, limits, rules.")] = False


class Finding(BaseModel):
    """A plain-language statement about one phase, with the points it concerns."""

    model_config = ConfigDict(frozen=True)

    kind: FindingKind
    part: int
    is_signal: bool
    side: Side | None = None
    points: list[int] = Field(default_factory=list, description="1-based point numbers.")
    text: dict[str, str] = Field(description="The sentence per language code (nb, en).")

    def text_in(self, language: str) -> str:
        """Return the sentence in a language, falling back to English."""
        return self.text.get(language) or self.text["en"]


@dataclass(slots=True)
class PointResult:
    """One point of the chart as drawn: value, centre line, limits and signals."""

    number: Annotated[int, Field(description="1-based position in the series.")]
    period: str
    numerator: float | None
    denominator: float | None
    value: Annotated[
        float | None, Field(description="None for a gap (missing or zero denominator).")
    ]
    centre: float | None
    lower: float | None
    upper: float | None
    part: int
    baseline: Annotated[
        bool, Field(description="Inside the baseline window (before a frozen end).")
    ]
    included: Annotated[bool, Field(description="Neither excluded nor incomplete.")]
    excluded: bool
    incomplete: bool
    sigma_signal: bool
    runs_signal: Annotated[
        bool | None, Field(description="The phase's runs signal, as in qicharts2.")
    ]
    signals: Annotated[
        list[FindingKind],
        Field(
            description="Point-level signals this point belongs to (long run, shift, trend, "
            "sigma, astronomical); phase-level ones show in runs_signal."
        ),
    ] = field(default_factory=list)
    rules: Annotated[
        tuple[str, ...],
        Field(
            description="Names of the chosen rule set's rules this point takes part in: for "
            "mdc beyond_limits, shift, trend, two_of_three; for anhoej long_run, "
            "few_crossings, beyond_limits; for ihi shift, trend, too_few_runs, "
            "too_many_runs, beyond_limits, astronomical. Empty when none (a tuple: the "
            "empty one is shared, a million points need no million lists)."
        ),
    ] = ()


class PartResult(BaseModel):
    """One phase: its centre line, runs analysis and findings."""

    part: int
    label: str | None
    first_point: int
    last_point: int
    centre: float | None
    n_obs: int = Field(description="Points analysed: included points, gaps counted.")
    n_useful: int = Field(description="Included points with a value, not on the centre line.")
    longest_run: int | None
    longest_run_max: int | None
    crossings: int | None
    crossings_min: int | None
    runs_signal: bool | None = Field(
        description="Non-random variation by the chosen rules; None with too few useful points."
    )
    runs: int | None = Field(default=None, description="IHI: number of runs.")
    runs_lower: int | None = Field(default=None, description="IHI: fewer runs is a signal.")
    runs_upper: int | None = Field(default=None, description="IHI: more runs is a signal.")
    sigma_signals: int
    findings: list[Finding]


class ChartResult(BaseModel):
    """A computed chart: one entry per input point and one per phase."""

    chart: ChartType
    rules: RuleSet
    multiply: float
    points: list[PointResult]
    parts: list[PartResult]

    def findings(self) -> list[Finding]:
        """Return every phase's findings in phase order."""
        return [finding for part in self.parts for finding in part.findings]

    def findings_in(self, language: str) -> list[str]:
        """Return every finding as a sentence in one language."""
        return [finding.text_in(language) for finding in self.findings()]

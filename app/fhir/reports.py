"""A measure's chart points as summary MeasureReports: one per unit and period, with strata.

Pure functions over the charts ``report_search`` gathers from the measure service. The counts
are the chart's: a suppressed period shows no count and no score, only a data-absent-reason
of ``masked`` on the count (and on the score).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.fhir.definitions import POPULATION_SYSTEM, network_id, organisation_id, team_id
from app.fhir.outcome import BASE
from app.measures.aggregate import Level
from app.measures.chart_data import MeasureChart, MeasurePoint
from app.measures.periods import period_end

DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
MASKED = {"extension": [{"url": DATA_ABSENT, "valueCode": "masked"}]}
STRATIFIER_SYSTEM = f"{BASE}/CodeSystem/measure-stratifier"
UNIT_SYSTEM = f"{BASE}/NamingSystem/organization-id"
FHIR_IDS = {Level.team: team_id, Level.organisation: organisation_id, Level.network: network_id}


def unit_reference(level: Level, unit_id: int) -> str:
    """The Organization a unit is named by: ``Organization/team-<id>``, ``org-`` or ``network-``."""
    return f"Organization/{FHIR_IDS[level](unit_id)}"


@dataclass(frozen=True)
class Stratum:
    """One lower unit's chart inside a report's unit (a team of an organisation, ...)."""

    level: Level
    chart: MeasureChart


def _population(code: str, count: float | None, masked: bool) -> dict[str, Any]:
    """One population: its count (none counted when nothing fell due), or masked."""
    population: dict[str, Any] = {"code": {"coding": [{"system": POPULATION_SYSTEM, "code": code}]}}
    if masked:
        population["_count"] = MASKED
    else:
        population["count"] = round(count or 0)
    return population


def _populations(kind: str, point: MeasurePoint) -> dict[str, Any]:
    """The populations and the score of one point."""
    masked = point.suppressed
    shown: dict[str, Any] = {}
    if kind == "proportion":
        shown["population"] = [
            _population("denominator", point.denominator, masked),
            _population("numerator", point.numerator, masked),
        ]
    else:  # a count counts its numerator; a mean, the items it is the mean of
        counted = point.numerator if kind == "count" else point.denominator
        shown["population"] = [_population("initial-population", counted, masked)]
    if masked or point.value is None:
        shown["measureScore"] = MASKED
    else:
        unit = {"unit": "%"} if kind == "proportion" else {}
        shown["measureScore"] = {"value": round(point.value, 4), **unit}
    return shown


def _stratifiers(kind: str, start: date, strata: Sequence[Stratum]) -> list[dict[str, Any]]:
    """One stratifier per lower level, a stratum per unit with a point in the same period."""
    stratifiers = []
    for level in (Level.organisation, Level.team):
        found = []
        for stratum in (s for s in strata if s.level == level):
            point = next((p for p in stratum.chart.points if p.period_start == start), None)
            if point is None:
                continue
            name = stratum.chart.unit_name
            code = FHIR_IDS[level](stratum.chart.unit_id)
            found.append(
                {
                    "value": {
                        "coding": [{"system": UNIT_SYSTEM, "code": code, "display": name}],
                        "text": name,
                    },
                    **_populations(kind, point),
                }
            )
        if found:
            coding = {"system": STRATIFIER_SYSTEM, "code": level.value}
            stratifiers.append({"code": [{"coding": [coding]}], "stratum": found})
    return stratifiers


def measure_report(
    chart: MeasureChart, point: MeasurePoint, strata: Sequence[Stratum] = ()
) -> dict[str, Any]:
    """One period of a unit's chart as a summary MeasureReport."""
    kind = chart.measure.type
    subject = unit_reference(chart.level, chart.unit_id)
    group: dict[str, Any] = _populations(kind, point)
    stratifiers = _stratifiers(kind, point.period_start, strata)
    if stratifiers:
        group["stratifier"] = stratifiers
    report_id = f"{chart.measure.id}.{FHIR_IDS[chart.level](chart.unit_id)}.{point.period}"
    return {
        "resourceType": "MeasureReport",
        "id": report_id[:64],
        "status": "pending" if point.incomplete else "complete",
        "type": "summary",
        "measure": f"{BASE}/Measure/{chart.measure.id}",
        "subject": {"reference": subject, "display": chart.unit_name},
        "period": {
            "start": point.period_start.isoformat(),
            "end": period_end(point.period_start, chart.period).isoformat(),
        },
        "group": [group],
    }

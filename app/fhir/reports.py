"""A measure's series for one team or organisation as summary MeasureReports, one per period.

The numbers come from the same service as the JSON chart API (``measure_series``), so the
shared suppression holds: a suppressed period shows no count and no score, only a
``data-absent-reason`` of ``masked``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.core.i18n import _
from app.fhir.definitions import POPULATION_SYSTEM, organisation_id, team_id
from app.fhir.outcome import BASE, FhirProblem
from app.measures.aggregate import Level
from app.measures.chart_data import MeasureChart, MeasurePoint
from app.measures.periods import period_end
from app.measures.service import measure_series
from app.org.scope import Viewer

DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
MASKED = [{"url": DATA_ABSENT, "valueCode": "masked"}]


def subject_unit(subject: str) -> tuple[Level, int]:
    """The unit a `subject` names: ``Organization/team-<id>`` or ``Organization/org-<id>``."""
    name = subject.removeprefix("Organization/")
    for prefix, level in (("team-", Level.team), ("org-", Level.organisation)):
        number = name.removeprefix(prefix)
        if name.startswith(prefix) and number.isascii() and number.isdigit() and len(number) < 12:
            return level, int(number)
    raise FhirProblem(
        400, _("Name the subject as Organization/team-<id> or Organization/org-<id>.")
    )


def _population(code: str, count: float | None, masked: bool) -> dict[str, Any]:
    """One population of a report: its count, or a masked absence when suppressed."""
    population: dict[str, Any] = {"code": {"coding": [{"system": POPULATION_SYSTEM, "code": code}]}}
    if masked or count is None:
        population["extension"] = MASKED
    else:
        population["count"] = round(count)
    return population


def _report(chart: MeasureChart, point: MeasurePoint, subject: str) -> dict[str, Any]:
    """One period of a chart as a summary MeasureReport."""
    masked = point.suppressed
    group: dict[str, Any] = {}
    if chart.measure.type == "proportion":
        group["population"] = [
            _population("denominator", point.denominator, masked),
            _population("numerator", point.numerator, masked),
        ]
    else:
        group["population"] = [_population("initial-population", point.denominator, masked)]
    if masked or point.value is None:
        group["measureScore"] = {"extension": MASKED}
    else:
        unit = "%" if chart.measure.type == "proportion" else None
        group["measureScore"] = {"value": round(point.value, 4), **({"unit": unit} if unit else {})}
    report_id = f"{chart.measure.id}.{subject.removeprefix('Organization/')}.{point.period}"
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


def measure_reports(
    session: Session, *, viewer: Viewer, measure_id: str, subject: str, now: datetime
) -> list[dict[str, Any]]:
    """Every period of a measure for one unit the viewer may see, oldest first."""
    level, unit = subject_unit(subject)
    chart = measure_series(
        session,
        viewer=viewer,
        measure_id=measure_id,
        level=level,
        unit_id=unit,
        period=None,
        start=None,
        end=None,
        now=now,
    )
    shown = f"Organization/{team_id(unit) if level == Level.team else organisation_id(unit)}"
    return [_report(chart, point, shown) for point in chart.points]

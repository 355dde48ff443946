"""MeasureReports on the seeded demo: for every unit and period a viewer may see, the counts
are the chart API's (``/api/v1/measures/{id}/chart``), strata agree with their units' own
reports, and a coordinator gets no count below the suppression threshold."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from sqlmodel import Session, select

from app.core.config import get_settings
from app.measures.catalogue import measures_in_use
from app.org.models import Team
from tests.fhir.conftest import demo_client
from tests.fhir.helpers import fhir_get, walk

LEVELS = {"team": "team", "org": "organisation", "network": "network"}
# Whose teams each demo user may see (slugs), and whether counts are hidden from them.
USERS = {
    "team@demo.no": {"trondheim-midtbyen"},
    "team.bergen@demo.no": {"bergen-arna", "bergen-fana"},
    "koordinator@demo.no": {
        "trondheim-midtbyen",
        "trondheim-heimdal",
        "molde-hjemme",
        "orkland-hjemme",
        "levanger-hjemme",
        "st-olavs-medisinsk-sengepost",
    },
}


def _shown(part: dict[str, Any]) -> dict[str, int | None]:
    """Each population's count, None where it is masked (and then no count is given)."""
    shown: dict[str, int | None] = {}
    for population in part["population"]:
        code = population["code"]["coding"][0]["code"]
        if "count" in population:
            shown[code] = population["count"]
        else:
            assert population["_count"]["extension"][0]["valueCode"] == "masked"
            shown[code] = None
    return shown


def _small(shown: dict[str, int | None], kind: str, threshold: int) -> list[int]:
    """Counts a viewer from outside the unit must not see (rule 1 of the suppression)."""
    if None in shown.values():
        return []
    if kind == "proportion":
        n, d = shown["numerator"] or 0, shown["denominator"] or 0
        values = [n, d, d - n]
    else:
        values = [v or 0 for v in shown.values()]
    return [v for v in values if 0 < v < threshold]


def _parts(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The report's own group and every stratum in it, with the unit each is about."""
    group = report["group"][0]
    parts = [(report["subject"]["reference"].removeprefix("Organization/"), group)]
    for stratifier in group.get("stratifier", []):
        parts += [(s["value"]["coding"][0]["code"], s) for s in stratifier["stratum"]]
    return parts


@pytest.mark.parametrize("email", sorted(USERS))
def test_every_report_equals_the_chart_api_and_hides_small_counts(
    demo_app, demo_db: Session, email: str
) -> None:  # type: ignore[no-untyped-def]
    client = demo_client(demo_app, email)
    threshold = get_settings().suppression_threshold
    team_ids = {t.slug: t.id for t in demo_db.exec(select(Team)).all()}
    outsider = email.startswith("koordinator")
    compared = 0
    for measure in measures_in_use().all():
        reports = walk(client, "/fhir/R4/MeasureReport", measure=measure.id, _count="200")
        by_subject: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for report in reports:
            by_subject[report["subject"]["reference"].removeprefix("Organization/")].append(report)
        teams = {s for s in by_subject if s.startswith("team-")}
        assert teams == {f"team-{team_ids[slug]}" for slug in USERS[email]}, measure.id
        own: dict[tuple[str, str], dict[str, int | None]] = {}
        for subject, found in by_subject.items():
            prefix, unit = subject.rsplit("-", 1)
            chart = client.get(
                f"/api/v1/measures/{measure.id}/chart",
                params={"level": LEVELS[prefix], "unit_id": unit},
            )
            assert chart.status_code == 200, chart.text
            points = {p["period_start"]: p for p in chart.json()["points"]}
            assert [r["period"]["start"] for r in found] == list(points), (measure.id, subject)
            for report in found:
                point = points[report["period"]["start"]]
                shown = _shown(report["group"][0])
                own[(subject, report["period"]["start"])] = shown
                if point["suppressed"]:
                    assert set(shown.values()) == {None}
                elif measure.type == "proportion":
                    assert (shown["numerator"], shown["denominator"]) == (
                        round(point["numerator"] or 0),  # nothing due: no count, a gap
                        round(point["denominator"] or 0),
                    ), (measure.id, subject, point["period"])
                else:
                    assert shown["initial-population"] == round(point["denominator"] or 0)
                compared += 1
        for report in reports:
            for unit, part in _parts(report):
                shown = _shown(part)
                assert own[(unit, report["period"]["start"])] == shown  # strata agree
                if outsider:
                    assert not _small(shown, measure.type, threshold), (measure.id, unit)
    assert compared > 100


def test_a_network_report_has_strata_per_organisation_and_team(demo_app, demo_db: Session) -> None:  # type: ignore[no-untyped-def]
    client = demo_client(demo_app, "koordinator@demo.no")
    network = fhir_get(client, "/fhir/R4/Organization")["entry"][0]["resource"]
    assert network["id"].startswith("network-")
    reports = fhir_get(
        client,
        "/fhir/R4/MeasureReport",
        measure="Measure/hph-2-on-time",
        subject=f"Organization/{network['id']}",
        period="ge2026-01-01",
        _count="200",
    )
    months = [e["resource"]["period"]["start"] for e in reports["entry"]]
    assert months == ["2026-01-01", "2026-02-01", "2026-03-01"]  # by month: hidden counts
    stratifiers = reports["entry"][0]["resource"]["group"][0]["stratifier"]
    assert [s["code"][0]["coding"][0]["code"] for s in stratifiers] == ["organisation", "team"]
    assert len(stratifiers[1]["stratum"]) == len(USERS["koordinator@demo.no"])
    ended = fhir_get(
        client,
        "/fhir/R4/MeasureReport",
        measure="hph-2-on-time",
        subject=f"Organization/{network['id']}",
        period="le2025-12-31",
        _count="200",
    )
    assert ended["total"] > 0
    assert all(e["resource"]["period"]["end"] <= "2025-12-31" for e in ended["entry"])

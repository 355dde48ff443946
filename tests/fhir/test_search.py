"""FHIR searches: paging by _count with next/previous links, filters, and 400s naming the
parameter for anything unknown or malformed (never a 500)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from app.fhir.capability import DEFAULT_COUNT, MAX_COUNT
from tests.fhir.helpers import fhir_get, local_path, walk
from tests.security.world import CORE_MEASURE, World


def _links(body: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {link["relation"]: link["url"] for link in body["link"]}


def test_pages_follow_next_and_previous_links_in_a_stable_order(
    nurse: TestClient, world: World
) -> None:
    everything = fhir_get(nurse, "/fhir/R4/Questionnaire")
    assert everything["total"] > 3 and len(everything["entry"]) == everything["total"]
    assert "next" not in _links(everything)
    ids = [e["resource"]["id"] for e in everything["entry"]]
    paged = walk(nurse, "/fhir/R4/Questionnaire", _count="2")
    assert [r["id"] for r in paged] == ids
    first = fhir_get(nurse, "/fhir/R4/Questionnaire", _count="2")
    second = fhir_get(nurse, local_path(_links(first)["next"]))
    assert "previous" not in _links(first)
    assert fhir_get(nurse, local_path(_links(second)["previous"]))["entry"] == first["entry"]
    assert parse_qs(urlsplit(_links(second)["self"]).query) == {"_count": ["2"], "_offset": ["2"]}
    pid = str(world.owners["A"].patient_id)
    responses = walk(nurse, "/fhir/R4/QuestionnaireResponse", patient=pid, _count="1")
    assert [r["id"] for r in responses] == [
        e["resource"]["id"]
        for e in fhir_get(nurse, "/fhir/R4/QuestionnaireResponse", patient=pid)["entry"]
    ]
    assert len(responses) == 2
    next_link = _links(fhir_get(nurse, "/fhir/R4/Task", patient=pid, _count="1"))["next"]
    assert parse_qs(urlsplit(next_link).query)["patient"] == [pid]  # the search is kept


def test_count_has_a_default_a_maximum_and_zero_gives_only_the_total(nurse: TestClient) -> None:
    self_link = _links(fhir_get(nurse, "/fhir/R4/Measure"))["self"]
    assert parse_qs(urlsplit(self_link).query)["_count"] == [str(DEFAULT_COUNT)]
    capped = fhir_get(nurse, "/fhir/R4/Measure", _count="100000")
    assert parse_qs(urlsplit(_links(capped)["self"]).query)["_count"] == [str(MAX_COUNT)]
    only_total = fhir_get(nurse, "/fhir/R4/Measure", _count="0")
    assert only_total["total"] > 10 and "entry" not in only_total
    beyond = fhir_get(nurse, "/fhir/R4/Measure", _offset="500")
    assert "entry" not in beyond and "previous" in _links(beyond)


def test_patients_page_through_the_patient_list(nurse: TestClient, world: World) -> None:
    patients = walk(nurse, "/fhir/R4/Patient", _count="1")
    assert str(world.owners["A"].patient_id) in {p["id"] for p in patients}
    assert all(
        p["managingOrganization"]["reference"].endswith(f"team-{world.owners['A'].team_id}")
        for p in patients
    )
    assert fhir_get(nurse, "/fhir/R4/Patient", name="zzz-nobody")["total"] == 0


def test_status_and_last_updated_narrow_each_search(nurse: TestClient, world: World) -> None:
    pid = str(world.owners["A"].patient_id)
    tasks = fhir_get(nurse, "/fhir/R4/Task", patient=pid)["entry"]
    statuses = {e["resource"]["status"] for e in tasks}
    assert "failed" in statuses  # the world's missed checklist
    for status in statuses:
        found = walk(nurse, "/fhir/R4/Task", patient=pid, status=status)
        assert found and {r["status"] for r in found} == {status}
    both = fhir_get(nurse, "/fhir/R4/Task", patient=pid, status=",".join(sorted(statuses)))
    assert both["total"] == len(tasks)
    assert (
        fhir_get(nurse, "/fhir/R4/Goal", patient=pid, **{"lifecycle-status": "active"})["total"]
        == 1
    )
    assert (
        fhir_get(nurse, "/fhir/R4/Goal", patient=pid, **{"lifecycle-status": "completed"})["total"]
        == 0
    )
    assert fhir_get(nurse, "/fhir/R4/EpisodeOfCare", patient=pid, status="active")["total"] == 1
    assert fhir_get(nurse, "/fhir/R4/Observation", patient=pid, status="final")["total"] == 2
    everything = fhir_get(nurse, "/fhir/R4/Observation", patient=pid)["total"]
    early = fhir_get(nurse, "/fhir/R4/Observation", patient=pid, _lastUpdated="lt2000-01-01")
    assert everything == 2 and early["total"] == 0
    response = fhir_get(nurse, "/fhir/R4/QuestionnaireResponse", patient=pid)["entry"][0]
    updated = response["resource"]["meta"]["lastUpdated"]
    exactly = nurse.get(
        "/fhir/R4/QuestionnaireResponse",
        params=[
            ("patient", pid),
            ("_lastUpdated", f"ge{updated}"),
            ("_lastUpdated", f"le{updated}"),
        ],
    ).json()
    assert response["resource"]["id"] in {e["resource"]["id"] for e in exactly["entry"]}


@pytest.mark.parametrize(
    ("url", "params", "location"),
    [
        ("/fhir/R4/Measure", {"_count": "ten"}, "http._count"),
        ("/fhir/R4/Measure", {"_count": "-1"}, "http._count"),
        ("/fhir/R4/Measure", {"_offset": "1e3"}, "http._offset"),
        ("/fhir/R4/Measure", {"name": "x"}, "http.name"),
        ("/fhir/R4/Task", {"patient": "Patient/abc"}, "http.patient"),
        ("/fhir/R4/Task", {"patient": "1", "status": "done"}, "http.status"),
        ("/fhir/R4/Goal", {"patient": "1", "status": "active"}, "http.status"),
        ("/fhir/R4/Observation", {}, "http.patient"),
        ("/fhir/R4/Patient", {"name": "x" * 101}, "http.name"),
        (
            "/fhir/R4/EpisodeOfCare",
            {"patient": "1", "_lastUpdated": "ge2026-02-30"},
            "http._lastUpdated",
        ),
        (
            "/fhir/R4/EpisodeOfCare",
            {"patient": "1", "_lastUpdated": "2026-03-01T10:00"},
            "http._lastUpdated",
        ),
        ("/fhir/R4/MeasureReport", {"measure": "no-such"}, "http.measure"),
        ("/fhir/R4/MeasureReport", {"measure": CORE_MEASURE, "subject": "Group/1"}, "http.subject"),
        (
            "/fhir/R4/MeasureReport",
            {"measure": CORE_MEASURE, "period": "sa2026-01-01"},
            "http.period",
        ),
        (
            "/fhir/R4/MeasureReport",
            {"measure": CORE_MEASURE, "period": "ge1990-01-01"},
            "http.period",
        ),
    ],
)
def test_bad_parameters_get_400_naming_the_parameter(
    nurse: TestClient, url: str, params: dict[str, str], location: str
) -> None:
    outcome = fhir_get(nurse, url, expect=400, **params)
    issue = outcome["issue"][0]
    assert (issue["code"], issue["location"]) == ("invalid", [location])
    assert issue["diagnostics"]


def test_a_parameter_given_twice_too_often_gets_400(nurse: TestClient) -> None:
    response = nurse.get("/fhir/R4/Task", params=[("patient", "1"), ("patient", "2")])
    assert response.status_code == 400
    assert response.json()["issue"][0]["location"] == ["http.patient"]
    three = [("patient", "1")] + [("_lastUpdated", "ge2026-01-01")] * 3
    assert nurse.get("/fhir/R4/Goal", params=three).status_code == 400

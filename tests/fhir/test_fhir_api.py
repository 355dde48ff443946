"""The FHIR R4 read API: valid resources, the same access rules as the pages, audited reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from fhir.resources.R4B import get_fhir_model_class
from sqlmodel import Session, col, func, select

from app.audit.models import AuditEntry
from app.org.models import Organisation
from tests.foundation.test_route_access import all_routes
from tests.security.world import CORE_MEASURE, NOW, World, build_world, signed_in

FHIR_JSON = "application/fhir+json"


@pytest.fixture()
def world(db: Session) -> Iterator[World]:
    """The security tests' world (teams A and B in one organisation, C in another), frozen."""
    with time_machine.travel(NOW, tick=False):
        yield build_world(db)


@pytest.fixture()
def nurse(app, world: World) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """A nurse of team A."""
    client = signed_in(app, world.users["nurse"])
    yield client
    client.close()


def valid(body: dict[str, Any]) -> Any:
    """Validate a resource (and every resource in a Bundle) with fhir.resources' R4B models."""
    model = get_fhir_model_class(body["resourceType"]).model_validate(body)
    for entry in body.get("entry", []):
        valid(entry["resource"])
    return model


def fhir_get(client: TestClient, url: str, status: int = 200, **params: str) -> dict[str, Any]:
    """GET a FHIR URL, check the status and media type, and return the validated body."""
    response = client.get(url, params=params, follow_redirects=False)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    body = response.json()
    valid(body)
    return body


def _newest_audit(db: Session) -> int:
    return int(db.exec(select(func.coalesce(func.max(AuditEntry.id), 0))).one())


def test_every_resource_of_a_patient_validates(nurse: TestClient, world: World) -> None:
    owned = world.owners["A"]
    pid = str(owned.patient_id)
    patient = fhir_get(nurse, f"/fhir/R4/Patient/{pid}")
    assert patient["name"] == [{"use": "anonymous", "text": owned.label}]
    assert "identifier" not in patient or all(
        "2.16.578.1.12.4.1.4.1" not in i["system"] for i in patient["identifier"]
    )  # never a national identity number
    for kind in ("EpisodeOfCare", "Task", "QuestionnaireResponse", "Goal", "Observation"):
        bundle = fhir_get(nurse, f"/fhir/R4/{kind}", patient=pid)
        assert bundle["type"] == "searchset" and bundle["total"] >= 1, kind
        for entry in bundle["entry"]:
            read = fhir_get(nurse, entry["fullUrl"].split("testserver", 1)[1])
            assert read == entry["resource"]
    episode = fhir_get(nurse, f"/fhir/R4/EpisodeOfCare/{owned.pathway_id}")
    assert episode["status"] == "active"
    assert episode["managingOrganization"]["reference"] == f"Organization/team-{owned.team_id}"
    task = fhir_get(nurse, f"/fhir/R4/Task/{owned.instance_id}")
    assert (task["status"], task["businessStatus"]["text"]) == ("failed", "missed")
    assert set(task["restriction"]["period"]) == {"start", "end"}
    assert task["focus"]["reference"].startswith("Questionnaire/")
    fhir_get(nurse, "/fhir/R4/" + task["focus"]["reference"])
    response = fhir_get(nurse, f"/fhir/R4/QuestionnaireResponse/{owned.instance_id}")
    assert response["status"] == "in-progress"
    assert response["questionnaire"].endswith("|1")
    assert response["item"][0]["linkId"] == owned.item_id
    assert response["item"][0]["answer"][0]["valueCoding"]["code"] == "yes"
    goal = fhir_get(nurse, f"/fhir/R4/Goal/{owned.goal_id}")
    assert goal["description"]["text"] == "Walk to the shop"
    assert goal["lifecycleStatus"] == "active"
    assert goal["achievementStatus"]["coding"][0]["code"] == "improving"  # 3 → 6
    rating = fhir_get(nurse, f"/fhir/R4/Observation/{owned.extra['rating_id']}")
    assert rating["valueInteger"] == 6
    assert rating["method"]["coding"][0]["code"] == "higher_is_better"


def test_a_nurse_of_another_team_gets_404_for_everything_of_the_patient(
    nurse: TestClient, world: World
) -> None:
    other = world.owners["B"]
    for url in (
        f"/fhir/R4/Patient/{other.patient_id}",
        f"/fhir/R4/EpisodeOfCare/{other.pathway_id}",
        f"/fhir/R4/Task/{other.instance_id}",
        f"/fhir/R4/QuestionnaireResponse/{other.instance_id}",
        f"/fhir/R4/Goal/{other.goal_id}",
        f"/fhir/R4/Observation/{other.extra['rating_id']}",
        "/fhir/R4/Patient/999999999",
        "/fhir/R4/Patient/not-a-number",
    ):
        outcome = fhir_get(nurse, url, status=404)
        assert outcome["resourceType"] == "OperationOutcome"
        assert outcome["issue"][0]["code"] == "not-found"
        assert other.label not in str(outcome)
    bundle = fhir_get(nurse, "/fhir/R4/Goal", patient=str(other.patient_id))
    assert bundle["total"] == 0 and other.label not in str(bundle)


def test_coordinators_get_no_patient_resources(app, world: World) -> None:  # type: ignore[no-untyped-def]
    owned = world.owners["A"]
    with signed_in(app, world.users["coordinator"]) as coordinator:
        fhir_get(coordinator, f"/fhir/R4/Patient/{owned.patient_id}", status=404)
        assert fhir_get(coordinator, "/fhir/R4/Patient")["total"] == 0
        for kind in ("EpisodeOfCare", "Task", "QuestionnaireResponse", "Goal", "Observation"):
            assert (
                fhir_get(coordinator, f"/fhir/R4/{kind}", patient=str(owned.patient_id))["total"]
                == 0
            ), kind
        # but they see the organisations of their network, with the Norwegian identifiers
        organisations = fhir_get(coordinator, "/fhir/R4/Organization")
        assert {e["resource"]["id"] for e in organisations["entry"]} >= {
            f"team-{world.owners['A'].team_id}",
            f"team-{world.owners['B'].team_id}",
        }
        assert f"team-{world.owners['C'].team_id}" not in str(organisations)


def test_organizations_carry_organisation_and_municipality_numbers(
    nurse: TestClient, world: World, db: Session
) -> None:
    team = world.owners["A"].team
    organisation = db.get(Organisation, team.organisation_id)
    assert organisation is not None
    organisation.org_number, organisation.municipality_number = "974760673", "1506"
    db.flush()
    found = fhir_get(nurse, f"/fhir/R4/Organization/org-{organisation.id}")
    assert {(i["system"], i["value"]) for i in found["identifier"]} == {
        ("urn:oid:2.16.578.1.12.4.1.4.101", "974760673"),
        ("urn:oid:2.16.578.1.12.4.1.1.3402", "1506"),
    }
    team_org = fhir_get(nurse, f"/fhir/R4/Organization/team-{team.id}")
    assert team_org["partOf"]["reference"] == f"Organization/org-{organisation.id}"
    fhir_get(nurse, f"/fhir/R4/Organization/team-{world.owners['C'].team_id}", status=404)


def test_fhir_reads_are_audited_with_their_patient(
    nurse: TestClient, world: World, db: Session
) -> None:
    owned = world.owners["A"]
    for url, params in (
        (f"/fhir/R4/Goal/{owned.goal_id}", {}),
        (f"/fhir/R4/Task/{owned.instance_id}", {}),
        ("/fhir/R4/Observation", {"patient": str(owned.patient_id)}),
    ):
        before = _newest_audit(db)
        fhir_get(nurse, url, **params)
        db.expire_all()
        entries = db.exec(select(AuditEntry).where(col(AuditEntry.id) > before)).all()
        assert entries and {e.patient_id for e in entries} == {owned.patient_id}, url
        assert {e.action for e in entries} == {"read"}
        assert {e.user_email for e in entries} == {world.users["nurse"].email}


def test_signed_out_requests_get_401_and_bad_searches_400(app, nurse: TestClient) -> None:  # type: ignore[no-untyped-def]
    with signed_in(app, None) as anonymous:
        outcome = fhir_get(anonymous, "/fhir/R4/Patient", status=401)
        assert outcome["issue"][0]["code"] == "login"
        fhir_get(anonymous, "/fhir/R4/metadata")  # the capability statement is public
    assert fhir_get(nurse, "/fhir/R4/Goal", status=400)["issue"][0]["code"] == "invalid"
    fhir_get(nurse, "/fhir/R4/Goal", status=400, patient="1", colour="blue")
    fhir_get(nurse, "/fhir/R4/QuestionnaireResponse", status=400, patient="1", _lastUpdated="x")
    fhir_get(nurse, "/fhir/R4/NoSuchType", status=404)


def test_last_updated_narrows_the_responses(nurse: TestClient, world: World) -> None:
    pid = str(world.owners["A"].patient_id)
    # The world's patient has two answered checklists (the first list and HPH 2).
    assert fhir_get(nurse, "/fhir/R4/QuestionnaireResponse", patient=pid)["total"] == 2
    since = fhir_get(
        nurse, "/fhir/R4/QuestionnaireResponse", patient=pid, _lastUpdated="ge2026-03-01"
    )
    assert since["total"] == 2
    later = fhir_get(
        nurse, "/fhir/R4/QuestionnaireResponse", patient=pid, _lastUpdated="gt2026-03-10"
    )
    assert later["total"] == 0


def test_the_capability_statement_lists_exactly_what_the_routes_serve(app) -> None:  # type: ignore[no-untyped-def]
    with signed_in(app, None) as anonymous:
        statement = fhir_get(anonymous, "/fhir/R4/metadata")
    served = {
        route.path.split("/")[3]
        for route in all_routes(app)
        if route.path.startswith("/fhir/R4/")
        and "metadata" not in route.path
        and route.path != "/fhir/R4/"  # the system-level batch/transaction (Bundle in)
    }
    listed = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(listed) == served
    for kind, resource in listed.items():
        codes = [i["code"] for i in resource["interaction"]]
        assert codes == (["search-type"] if kind == "MeasureReport" else ["read", "search-type"])
    assert {p["name"] for p in listed["QuestionnaireResponse"]["searchParam"]} == {
        "patient",
        "_lastUpdated",
    }


def _counts(bundle: dict[str, Any]) -> list[int]:
    return [
        p["count"]
        for entry in bundle["entry"]
        for group in entry["resource"]["group"]
        for p in group["population"]
        if "count" in p
    ]


def test_measure_reports_follow_the_chart_and_its_suppression(app, world: World) -> None:  # type: ignore[no-untyped-def]
    subject = f"Organization/team-{world.owners['A'].team_id}"
    with signed_in(app, world.users["team"]) as member:
        own = fhir_get(member, "/fhir/R4/MeasureReport", measure=CORE_MEASURE, subject=subject)
    assert own["total"] > 0 and max(_counts(own)) >= 1  # the team sees its own counts
    report = own["entry"][-1]["resource"]
    assert report["type"] == "summary" and report["measure"].endswith(f"/Measure/{CORE_MEASURE}")
    with signed_in(app, world.users["coordinator"]) as coordinator:
        seen = fhir_get(
            coordinator, "/fhir/R4/MeasureReport", measure=CORE_MEASURE, subject=subject
        )
        masked = [
            p
            for entry in seen["entry"]
            for p in entry["resource"]["group"][0]["population"]
            if p.get("extension", [{}])[0].get("valueCode") == "masked"
        ]
        assert masked and not [c for c in _counts(seen) if 0 < c < 5]
        fhir_get(coordinator, "/fhir/R4/MeasureReport", status=400, measure=CORE_MEASURE)
        other = f"Organization/team-{world.owners['C'].team_id}"
        outside = coordinator.get(
            "/fhir/R4/MeasureReport", params={"measure": CORE_MEASURE, "subject": other}
        )
        assert outside.status_code in (403, 404)
        assert valid(outside.json()).get_resource_type() == "OperationOutcome"

"""The GP review summary as a FHIR collection Bundle: valid, complete, audited, linked."""

from __future__ import annotations

from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from sqlmodel import Session, col, select

from app.audit.models import AuditEntry
from app.checklists.models import ChecklistInstance
from app.checklists.service import save_answer
from app.org.scope import resolve_viewer
from tests.fhir.helpers import fhir_get
from tests.security.world import World, signed_in


def _answer_medicines(db: Session, world: World) -> int:
    """Answer HPH 2's 'five or more medicines' for team A's patient; return the checklist."""
    owned = world.owners["A"]
    visit = db.exec(
        select(ChecklistInstance)
        .where(ChecklistInstance.pathway_id == owned.pathway_id)
        .where(ChecklistInstance.definition_id == "hph-2")
    ).one()
    viewer = resolve_viewer(db, world.users["nurse"])
    save_answer(
        db,
        viewer=viewer,
        instance_id=int(visit.id or 0),
        item_id="many_medicines",
        value="yes",
        expected_version=0,
    )
    db.flush()
    return int(visit.id or 0)


def test_the_gp_summary_bundle_holds_medicines_follow_ups_and_goals(
    nurse: TestClient, world: World, db: Session
) -> None:
    owned = world.owners["A"]
    visit_id = _answer_medicines(db, world)
    url = f"/fhir/R4/EpisodeOfCare/{owned.pathway_id}/$gp-summary"
    body = fhir_get(nurse, url)
    Bundle.model_validate(body)
    assert body["type"] == "collection"
    by_type: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for entry in body["entry"]:
        by_type.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    assert [p["id"] for p in by_type["Patient"]] == [str(owned.patient_id)]
    assert [e["id"] for e in by_type["EpisodeOfCare"]] == [str(owned.pathway_id)]
    response = next(r for r in by_type["QuestionnaireResponse"] if r["id"] == str(visit_id))
    answered = {item["linkId"]: item["answer"] for item in response["item"]}
    assert answered["many_medicines"][0]["valueCoding"]["code"] == "yes"
    follow_ups = [t for t in by_type["Task"] if t["id"].startswith("follow-up-")]
    assert f"follow-up-{owned.extra['follow_up_id']}" in {t["id"] for t in follow_ups}
    assert {t["code"]["coding"][0]["code"] for t in follow_ups} >= {"pressure-ulcer"}
    assert all(
        t["status"] in ("ready", "failed") and t["restriction"]["period"] for t in follow_ups
    )
    assert all(
        e["fullUrl"].startswith("urn:uuid:")
        for e in body["entry"]
        if "follow-up" in e["resource"]["id"]
    )
    assert [g["description"]["text"] for g in by_type["Goal"]] == ["Walk to the shop"]
    entries = db.exec(select(AuditEntry).where(col(AuditEntry.what) == "FHIR GP summary")).all()
    assert [(e.patient_id, e.user_email) for e in entries] == [
        (owned.patient_id, world.users["nurse"].email)
    ]


def test_only_the_patients_team_gets_the_gp_summary_bundle(
    app, nurse: TestClient, world: World
) -> None:  # type: ignore[no-untyped-def]
    other = world.owners["B"]
    outcome = fhir_get(nurse, f"/fhir/R4/EpisodeOfCare/{other.pathway_id}/$gp-summary", expect=404)
    assert other.label not in str(outcome)
    fhir_get(nurse, "/fhir/R4/EpisodeOfCare/not-a-number/$gp-summary", expect=404)
    with signed_in(app, world.users["coordinator"]) as coordinator:
        owned = world.owners["A"]
        fhir_get(coordinator, f"/fhir/R4/EpisodeOfCare/{owned.pathway_id}/$gp-summary", expect=403)


def test_the_printable_summary_links_to_the_bundle(nurse: TestClient, world: World) -> None:
    pathway_id = world.owners["A"].pathway_id
    page = nurse.get(f"/pathways/{pathway_id}/gp-summary")
    assert page.status_code == 200
    assert f'href="/fhir/R4/EpisodeOfCare/{pathway_id}/$gp-summary"' in page.text

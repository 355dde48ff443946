"""The GP review summary: medicine answers, open follow-ups and goals, for the patient's team."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.checklists.models import ChecklistInstance
from app.checklists.service import save_answer
from app.goals import service as goals
from app.risks.service import mark_done
from tests.factories import make_team, make_user, sign_in_client
from tests.risks.conftest import at, discharged

MONDAY = date(2026, 3, 2)


def _visit(db: Session):  # type: ignore[no-untyped-def]
    """A first home visit with medicine answers, two risks (one followed up) and a goal."""
    visit = discharged(db, MONDAY)
    visit.answer("medication_at_home", "no", at(MONDAY, 10))
    visit.answer("many_medicines", "yes", at(MONDAY, 10))
    visit.answer("fall_last_year", "yes", at(MONDAY, 10))
    visit.answer("pressure_ulcer_risk", "yes", at(MONDAY, 10))
    reconciliation = db.exec(
        select(ChecklistInstance)
        .where(ChecklistInstance.pathway_id == visit.pathway.id)
        .where(ChecklistInstance.definition_id == "legemiddelsamstemming")
    ).one()
    for item_id, value in (("sources", ["gp_list", "patient"]), ("discrepancies_found", "no")):
        save_answer(
            db,
            viewer=visit.viewer,
            instance_id=int(reconciliation.id or 0),
            item_id=item_id,
            value=value,
            expected_version=0,
            now=at(MONDAY, 10),
        )
    falls = visit.follow_ups()["falls"]
    mark_done(
        db,
        viewer=visit.viewer,
        follow_up_id=int(falls.id or 0),
        expected_version=falls.version,
        done_at=at(MONDAY, 11),
        now=at(MONDAY, 11),
    )
    goals.record_conversation(
        db,
        viewer=visit.viewer,
        pathway_id=int(visit.pathway.id or 0),
        held_on=MONDAY,
        participants=["patient", "nurse"],
        participants_other="",
        patient_words="Å gå til butikken selv",
        could_not_answer=False,
        not_answered_reason="",
        checklist_instance_id=None,
    )
    goals.create_goal(
        db,
        viewer=visit.viewer,
        pathway_id=int(visit.pathway.id or 0),
        activity="Gå trappen til kjelleren",
        baseline_rating=3,
        rated_on=MONDAY,
    )
    return visit


def test_the_summary_shows_medicines_open_follow_ups_and_goals(
    db: Session, client: TestClient
) -> None:
    visit = _visit(db)
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, visit.nurse)
    page = client.get(f"/pathways/{visit.pathway.id}/gp-summary")
    assert page.status_code == 200, page.text
    text = page.text
    assert "Summary for the GP review" in text and visit.patient.label in text
    # Medicines, as answered in the medication reconciliation and in HPH 2.
    assert "The GP&#39;s medication list, The patient or next of kin" in text
    assert "Were discrepancies found between the sources?</dt><dd>No</dd>" in text
    assert "The medicines at home match the medication list</dt><dd>No</dd>" in text
    assert "five or more regular medicines?</dt><dd>Yes</dd>" in text
    # Only the open follow-up: the falls assessment is done.
    assert "Pressure-ulcer prevention plan" in text
    assert "Falls assessment" not in text
    # What matters: the patient's words and the active goal with its rating.
    assert "Å gå til butikken selv" in text
    assert "Gå trappen til kjelleren" in text and "Latest rating 3 of 10" in text
    assert 'href="/static/gp-summary.css"' in text


def test_the_patient_page_and_the_hph3_checklist_link_to_the_summary(
    db: Session, client: TestClient
) -> None:
    visit = _visit(db)
    sign_in_client(client, visit.nurse)
    link = f'href="/pathways/{visit.pathway.id}/gp-summary"'
    assert link in client.get(f"/patients/{visit.patient.id}").text
    summary = client.get(f"/pathways/{visit.pathway.id}/gp-summary").text
    review = summary.split('href="/checklists/', 1)[1].split('"', 1)[0]
    assert link in client.get(f"/checklists/{review}").text
    assert link not in client.get(f"/checklists/{visit.instance.id}").text


def test_another_teams_nurse_gets_not_found(db: Session, client: TestClient) -> None:
    visit = _visit(db)
    sign_in_client(client, make_user(db, role="nurse", team=make_team(db)))
    assert client.get(f"/pathways/{visit.pathway.id}/gp-summary").status_code == 404

"""'What matters' once: the conversation answers the checklist item; nothing typed twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.checklists.service import complete_checklist, get_checklist
from app.core.db import utcnow
from app.pathways.events import record_event
from tests.factories import nurse_with_pathway, sign_in_client


@pytest.fixture()
def hph2(db: Session, client: TestClient):  # type: ignore[no-untyped-def]
    """A signed-in nurse and the first-home-visit checklist after yesterday's discharge."""
    team, nurse, viewer, patient, pathway = nurse_with_pathway(db)
    _event, created = record_event(
        db,
        viewer=viewer,
        pathway_id=pathway.id,
        kind="hospital_discharge",
        occurred_at=utcnow() - timedelta(days=1),
    )
    instance = next(i for i in created if i.definition_id == "hph-2")
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, nurse)
    return client, viewer, instance, pathway


def test_conversation_answers_the_item_and_counts_for_completion(db: Session, hph2) -> None:
    client, viewer, instance, pathway = hph2
    page = client.get(f"/checklists/{instance.id}").text
    assert "Open the 'what matters' conversation" in page
    assert 'name="value" value="talked"' not in page  # no choice, no free text to type
    assert 'id="field-what_matters_answer"' not in page
    today = utcnow().date().isoformat()
    saved = client.post(
        f"/pathways/{pathway.id}/what-matters/conversations",
        data={
            "held_on": today,
            "participants": ["patient"],
            "patient_words": "Å komme hjem til katten",
            "checklist_instance_id": str(instance.id),
        },
    )
    assert saved.status_code == 200 and str(saved.url).endswith(
        f"/checklists/{instance.id}#wm-item"
    )
    assert "Conversation recorded on" in saved.text
    assert "“Å komme hjem til katten”" in saved.text
    view = get_checklist(db, viewer=viewer, instance_id=int(instance.id or 0))
    assert view.values["what_matters"] == "talked"
    assert view.values["what_matters_answer"] == "Å komme hjem til katten"
    api = client.get(f"/api/v1/checklists/{instance.id}").json()
    assert {a["item_id"]: a["value"] for a in api["answers"]}["what_matters"] == "talked"
    client.put(
        f"/api/v1/checklists/{instance.id}/answers/medication_at_home",
        json={"value": "yes", "version": 0},
    )
    done = complete_checklist(db, viewer=viewer, instance_id=int(instance.id or 0))
    assert done.instance.status == "completed"


def test_patient_who_cannot_answer_yet_is_recorded_as_ask_later(db: Session, hph2) -> None:
    client, viewer, instance, pathway = hph2
    client.post(
        f"/pathways/{pathway.id}/what-matters/conversations",
        data={
            "held_on": utcnow().date().isoformat(),
            "participants": ["patient"],
            "could_not_answer": "1",
            "not_answered_reason": "Tired after the journey home",
            "checklist_instance_id": str(instance.id),
        },
    )
    view = get_checklist(db, viewer=viewer, instance_id=int(instance.id or 0))
    assert view.values["what_matters"] == "ask_later"
    assert "what_matters_answer" not in view.values


def test_half_yearly_review_offers_the_goals_for_re_rating(db: Session) -> None:
    from app.checklists.in_use import catalogue_in_use

    definition = catalogue_in_use().resolve("halvarlig", 1, None)
    assert definition.item("psfs_rerated").opens == "goals"

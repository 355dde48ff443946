"""Filling a checklist through the API and the tablet form: validation, conflicts, retries."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from app.checklists.models import ChecklistAnswer
from app.core.db import utcnow
from app.pathways.events import record_event
from tests.factories import make_team, make_user, nurse_with_pathway, sign_in_client

OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture()
def hph2(db: Session, client: TestClient):  # type: ignore[no-untyped-def]
    """A signed-in nurse and the first-home-visit checklist after yesterday's discharge."""
    team, nurse, viewer, patient, pathway = nurse_with_pathway(db)
    discharge = utcnow() - timedelta(days=1)
    _event, created = record_event(
        db, viewer=viewer, pathway_id=pathway.id, kind="hospital_discharge", occurred_at=discharge
    )
    instance = next(i for i in created if i.definition_id == "hph-2")
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, nurse)
    return client, instance, team, patient


def _put(client: TestClient, iid: int, item: str, value, version: int = 0, key: str | None = None):  # type: ignore[no-untyped-def]
    return client.put(
        f"/api/v1/checklists/{iid}/answers/{item}",
        json={"value": value, "version": version, "idempotency_key": key},
    )


def test_answers_of_each_type_are_saved_and_normalised(hph2) -> None:
    client, instance, *_ = hph2
    body = _put(client, instance.id, "fall_last_year", "yes").json()
    assert body["status"] == "in_progress"
    assert {a["item_id"]: a["value"] for a in body["answers"]} == {"fall_last_year": "yes"}
    assert "falls_assessment_started" in [i["id"] for i in body["items"]]


def test_conditional_item_appears_and_disappears(hph2) -> None:
    client, instance, *_ = hph2
    shown = _put(client, instance.id, "weight_loss", "yes").json()
    assert "nutrition_plan_started" in [i["id"] for i in shown["items"]]
    hidden = _put(client, instance.id, "weight_loss", "no", version=1).json()
    assert "nutrition_plan_started" not in [i["id"] for i in hidden["items"]]


def test_answer_to_a_hidden_item_is_refused(hph2) -> None:
    client, instance, *_ = hph2
    response = _put(client, instance.id, "nutrition_plan_started", "yes")
    assert response.status_code == 422
    assert "is not shown" in response.json()["detail"]


def test_unknown_item_and_wrong_type_are_refused(hph2) -> None:
    client, instance, *_ = hph2
    assert _put(client, instance.id, "no_such_item", "yes").status_code == 422
    wrong = _put(client, instance.id, "fall_last_year", "maybe")
    assert wrong.status_code == 422 and "yes, no or not relevant" in wrong.json()["detail"]


def test_second_nurse_with_a_stale_version_is_told_and_shown_the_other_value(hph2, db) -> None:
    client, instance, team, _patient = hph2
    assert _put(client, instance.id, "fall_last_year", "yes").status_code == 200
    conflict = _put(client, instance.id, "fall_last_year", "no", version=0)
    assert conflict.status_code == 409
    body = conflict.json()
    assert body["current_value"] == "yes" and body["current_version"] == 1
    stored = db.exec(
        select(ChecklistAnswer).where(ChecklistAnswer.item_id == "fall_last_year")
    ).one()
    assert stored.value == "yes"
    assert _put(client, instance.id, "fall_last_year", "no", version=1).status_code == 200


def test_retry_with_the_same_idempotency_key_is_not_a_conflict_or_a_duplicate(hph2, db) -> None:
    client, instance, *_ = hph2
    first = _put(client, instance.id, "fall_last_year", "yes", key="tablet-7-a1")
    again = _put(client, instance.id, "fall_last_year", "yes", key="tablet-7-a1")
    assert first.status_code == again.status_code == 200
    rows = db.exec(select(ChecklistAnswer).where(ChecklistAnswer.instance_id == instance.id)).all()
    assert [(r.item_id, r.version) for r in rows] == [("fall_last_year", 1)]


def test_complete_refuses_with_the_list_of_missing_required_items(hph2) -> None:
    client, instance, *_ = hph2
    refused = client.post(f"/api/v1/checklists/{instance.id}/complete", json={})
    assert refused.status_code == 422
    assert refused.json()["missing"] == ["medication_at_home"]
    assert "Answer these before completing" in refused.json()["detail"]


def test_complete_then_answers_are_closed(hph2) -> None:
    client, instance, *_ = hph2
    _put(client, instance.id, "medication_at_home", "yes")
    done = client.post(f"/api/v1/checklists/{instance.id}/complete", json={})
    assert done.status_code == 200 and done.json()["status"] == "completed"
    late = _put(client, instance.id, "fall_last_year", "yes")
    assert late.status_code == 409 and "completed" in late.json()["detail"]


def test_performed_at_in_the_future_is_refused(hph2) -> None:
    client, instance, *_ = hph2
    _put(client, instance.id, "medication_at_home", "yes")
    future = (utcnow() + timedelta(hours=2)).isoformat()
    response = client.post(
        f"/api/v1/checklists/{instance.id}/complete", json={"performed_at": future}
    )
    assert response.status_code == 422 and "future" in response.json()["detail"]


def test_not_applicable_needs_a_reason_and_closes_the_checklist(hph2) -> None:
    client, instance, *_ = hph2
    assert (
        client.post(
            f"/api/v1/checklists/{instance.id}/not-applicable", json={"reason": ""}
        ).status_code
        == 422
    )
    done = client.post(
        f"/api/v1/checklists/{instance.id}/not-applicable",
        json={"reason": "Pasienten flyttet til sykehjem"},
    )
    assert done.json()["status"] == "not_applicable"


def test_other_teams_nurse_gets_404_and_coordinator_too(hph2, db) -> None:
    client, instance, team, _patient = hph2
    client.cookies.clear()
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="nurse", team=make_team(db)))
    assert client.get(f"/api/v1/checklists/{instance.id}").status_code == 404
    client.cookies.clear()
    sign_in_client(client, make_user(db, role="coordinator", team=team))
    assert client.get(f"/api/v1/checklists/{instance.id}").status_code == 404


def test_saving_an_answer_is_audited(hph2, db) -> None:
    client, instance, _team, patient = hph2
    _put(client, instance.id, "fall_last_year", "no")
    whats = db.exec(select(AuditEntry.what).where(AuditEntry.patient_id == patient.id)).all()
    assert "answer hph-2" in whats


def test_tablet_form_saves_an_answer_and_returns_the_item_with_progress(hph2) -> None:
    client, instance, *_ = hph2
    response = client.post(
        f"/checklists/{instance.id}/answers/weight_loss",
        data={"value": "yes", "version": "0", "idempotency_key": "k"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'id="item-weight_loss"' in response.text and "Saved" in response.text
    assert 'id="progress"' in response.text and 'hx-swap-oob="true"' in response.text
    assert 'id="item-nutrition_plan_started"' in response.text


def test_tablet_form_number_out_of_range_shows_message_and_keeps_typed_value(db, client) -> None:
    team, nurse, viewer, _patient, pathway = nurse_with_pathway(db)
    _e, created = record_event(
        db,
        viewer=viewer,
        pathway_id=pathway.id,
        kind="homecare_start",
        occurred_at=utcnow() - timedelta(hours=3),
    )
    nutrition = next(i for i in created if i.definition_id == "ernaering")
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, nurse)
    response = client.post(
        f"/checklists/{nutrition.id}/answers/weight_kg", data={"value": "900", "version": "0"}
    )
    assert response.status_code == 422
    assert "must be a number between" in response.text and 'value="900"' in response.text


def test_tablet_complete_without_required_rerenders_with_the_missing_list(hph2) -> None:
    client, instance, *_ = hph2
    response = client.post(f"/checklists/{instance.id}/complete", data={"performed_at": ""})
    assert response.status_code == 422
    assert "Answer these before completing" in response.text


def test_tablet_complete_with_local_time_records_performed_at(hph2, db) -> None:
    client, instance, *_ = hph2
    _put(client, instance.id, "medication_at_home", "yes")
    when = (utcnow() - timedelta(minutes=30)).astimezone(OSLO).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/checklists/{instance.id}/complete", data={"performed_at": when}, follow_redirects=False
    )
    assert response.status_code == 303
    db.refresh(instance)
    assert instance.performed_at is not None
    assert instance.performed_at.astimezone(OSLO).strftime("%Y-%m-%dT%H:%M") == when
    assert isinstance(instance.recorded_at, datetime)


def test_my_day_lists_open_checklists_of_the_nurses_team_sorted(hph2, db) -> None:
    client, instance, *_ = hph2
    body = client.get("/api/v1/my-day").json()
    assert instance.id in [i["instance_id"] for i in body["open_now"]]
    page = client.get("/my-day?sort=patient")
    assert page.status_code == 200 and f"/checklists/{instance.id}" in page.text
    assert client.get("/my-day?sort=nonsense").status_code == 200

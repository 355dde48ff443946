"""A completion or "not applicable" queued on an offline tablet is safe to send again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.db import utcnow
from app.pathways.events import record_event
from tests.factories import nurse_with_pathway, sign_in_client


@pytest.fixture()
def hph2(db: Session, client: TestClient):  # type: ignore[no-untyped-def]
    """A signed-in nurse and the first-home-visit checklist after yesterday's discharge."""
    _team, nurse, viewer, _patient, pathway = nurse_with_pathway(db)
    _event, created = record_event(
        db,
        viewer=viewer,
        pathway_id=pathway.id,
        kind="hospital_discharge",
        occurred_at=utcnow() - timedelta(days=1),
    )
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, nurse)
    return client, next(i for i in created if i.definition_id == "hph-2")


def test_completion_sent_twice_with_its_key_is_a_replay_and_recorded_once(hph2, db) -> None:
    client, instance = hph2
    client.put(
        f"/api/v1/checklists/{instance.id}/answers/medication_at_home",
        json={"value": "yes", "version": 0},
    )
    form = {"performed_at": "", "idempotency_key": "queued-complete-1"}
    first = client.post(f"/checklists/{instance.id}/complete", data=form, follow_redirects=False)
    assert first.status_code == 303
    db.refresh(instance)
    recorded_at, version = instance.recorded_at, instance.version
    again = client.post(f"/checklists/{instance.id}/complete", data=form, follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    db.refresh(instance)
    assert (instance.status, instance.recorded_at, instance.version) == (
        "completed",
        recorded_at,
        version,
    )


def test_completion_of_a_closed_checklist_with_another_key_is_refused(hph2) -> None:
    client, instance = hph2
    client.put(
        f"/api/v1/checklists/{instance.id}/answers/medication_at_home",
        json={"value": "yes", "version": 0},
    )
    client.post(f"/checklists/{instance.id}/complete", data={"idempotency_key": "mine"})
    other = client.post(f"/checklists/{instance.id}/complete", data={"idempotency_key": "theirs"})
    assert other.status_code == 422
    assert "closed" in other.text.lower() or "already" in other.text.lower()


def test_not_applicable_sent_twice_with_its_key_is_a_replay(hph2, db) -> None:
    client, instance = hph2
    form = {"reason": "Moved to relatives", "idempotency_key": "queued-na-1"}
    url = f"/checklists/{instance.id}/not-applicable"
    assert client.post(url, data=form, follow_redirects=False).status_code == 303
    assert client.post(url, data=form, follow_redirects=False).status_code == 303
    db.refresh(instance)
    assert instance.status == "not_applicable"
    assert client.post(url, data={"reason": "Again"}, follow_redirects=False).status_code == 422


def test_a_late_retry_of_the_completion_does_not_close_a_reopened_checklist(hph2, db) -> None:
    client, instance = hph2
    client.put(
        f"/api/v1/checklists/{instance.id}/answers/medication_at_home",
        json={"value": "yes", "version": 0},
    )
    form = {"performed_at": "", "idempotency_key": "queued-complete-2"}
    assert client.post(f"/checklists/{instance.id}/complete", data=form).status_code == 200
    db.refresh(instance)
    reopened = client.post(
        f"/api/v1/checklists/{instance.id}/reopen",
        json={"reason": "Wrong answer on medication", "version": instance.version},
    )
    assert reopened.status_code == 200, reopened.text
    client.post(f"/checklists/{instance.id}/complete", data=form, follow_redirects=False)
    db.refresh(instance)
    assert instance.status == "in_progress"

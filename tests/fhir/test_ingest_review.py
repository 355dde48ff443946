"""The review list of incoming hospital events: the sending organisation's nurses link or
register, others never see it, and every look and change is audited as patient data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditEntry
from app.fhir.ingest_models import IncomingEncounter
from app.pathways.models import Pathway, PathwayEvent, Patient
from tests.factories import make_patient, make_team, make_user, sign_in_client
from tests.fhir.ingest_helpers import bundle, encounter, new_token, post_bundle, schedule_of

NOW = "2026-03-10 10:00:00+01:00"


@pytest.fixture()
def waiting(app, db: Session, bare_client: TestClient) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """An encounter for an unknown patient, waiting for the teams of organisation O."""
    with time_machine.travel(NOW, tick=False):
        team = make_team(db)
        other_team = make_team(db)  # another organisation
        secret = new_token(db, int(team.organisation_id))
        stay = encounter("W-1", "NEW-7", status="finished", end="2026-03-04T11:30:00+01:00")
        response = post_bundle(bare_client, bundle(stay), secret)
        assert response.json()["entry"][0]["response"]["status"] == "202 Accepted"
        record = db.exec(select(IncomingEncounter)).one()
        yield {"team": team, "other_team": other_team, "record": record, "secret": secret}


def _nurse(client: TestClient, db: Session, team: Any) -> TestClient:
    sign_in_client(client, make_user(db, role="nurse", team=team))
    return client


def test_the_sending_organisations_nurse_sees_the_waiting_event(
    client: TestClient, db: Session, waiting: dict[str, Any]
) -> None:
    with time_machine.travel(NOW, tick=False):
        _nurse(client, db, waiting["team"])
        page = client.get("/incoming")
        assert page.status_code == 200
        assert "NEW-7" in page.text
        detail = client.get(f"/incoming/{waiting['record'].id}")
        assert detail.status_code == 200 and "NEW-7" in detail.text
    whats = db.exec(select(AuditEntry.what).order_by(col(AuditEntry.id))).all()
    assert "incoming events" in whats and "incoming event" in whats


def test_another_organisations_nurse_sees_nothing(
    client: TestClient, db: Session, waiting: dict[str, Any]
) -> None:
    with time_machine.travel(NOW, tick=False):
        _nurse(client, db, waiting["other_team"])
        assert "NEW-7" not in client.get("/incoming").text
        assert client.get(f"/incoming/{waiting['record'].id}").status_code == 404
        refused = client.post(f"/incoming/{waiting['record'].id}/dismiss", data={"version": "1"})
        assert refused.status_code == 404
    assert db.get(IncomingEncounter, waiting["record"].id).state == "waiting"  # type: ignore[union-attr]


def test_linking_records_the_event_on_the_patients_pathway(
    client: TestClient, db: Session, waiting: dict[str, Any]
) -> None:
    with time_machine.travel(NOW, tick=False):
        patient = make_patient(db, waiting["team"], local_reference="OLD-7")
        _nurse(client, db, waiting["team"])
        record = waiting["record"]
        response = client.post(
            f"/incoming/{record.id}/link",
            data={"patient_id": str(patient.id), "version": str(record.version)},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        db.expire_all()
        pathway = db.exec(select(Pathway).where(Pathway.patient_id == patient.id)).one()
        kinds = db.exec(
            select(PathwayEvent.kind).where(PathwayEvent.pathway_id == pathway.id)
        ).all()
        assert kinds == ["hospital_discharge"]
        assert schedule_of(db, int(pathway.id or 0))
        again = client.post(
            f"/incoming/{record.id}/link",
            data={"patient_id": str(patient.id), "version": str(record.version)},
        )
        assert again.status_code == 409 and 'role="alert"' in again.text
        # the hospital sends it again: it is known, and nothing changes
        resend = post_bundle(
            TestClient(client.app),
            bundle(encounter("W-1", "NEW-7", status="finished", end="2026-03-04T11:30:00+01:00")),
            waiting["secret"],
        )
        assert resend.json()["entry"][0]["response"]["status"] == "200 OK"
    assert (
        len(db.exec(select(PathwayEvent).where(PathwayEvent.pathway_id == pathway.id)).all()) == 1
    )


def test_registering_the_patient_opens_a_pathway_from_the_stay(
    client: TestClient, db: Session, waiting: dict[str, Any]
) -> None:
    with time_machine.travel(NOW, tick=False):
        _nurse(client, db, waiting["team"])
        record = waiting["record"]
        response = client.post(
            f"/incoming/{record.id}/register",
            data={"team_id": str(waiting["team"].id), "label": "N.Y. 1941", "version": "1"},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        db.expire_all()
        patient = db.exec(select(Patient).where(Patient.local_reference == "NEW-7")).one()
        pathway = db.exec(select(Pathway).where(Pathway.patient_id == patient.id)).one()
        assert str(pathway.started_on) == "2026-03-01"  # the stay began then
        assert db.get(IncomingEncounter, record.id).state == "recorded"  # type: ignore[union-attr]
        assert "NEW-7" not in client.get("/incoming").text


def test_a_bad_label_is_refused_with_the_text_kept(
    client: TestClient, db: Session, waiting: dict[str, Any]
) -> None:
    with time_machine.travel(NOW, tick=False):
        _nurse(client, db, waiting["team"])
        record = waiting["record"]
        response = client.post(
            f"/incoming/{record.id}/register",
            data={"team_id": str(waiting["team"].id), "label": "x" * 41, "version": "1"},
        )
        assert response.status_code == 422
        assert 'role="alert"' in response.text and "x" * 41 in response.text
    assert db.exec(select(Patient).where(Patient.local_reference == "NEW-7")).first() is None

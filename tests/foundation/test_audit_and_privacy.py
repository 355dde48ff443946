"""The audit log is append-only and reviewable; a patient's data can be exported and erased."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, delete, select

from app.audit.guard import AuditLogIsAppendOnly
from app.audit.models import AuditEntry
from app.pathways.models import Pathway, Patient
from tests.factories import make_patient, make_team, make_user, sign_in_client


def test_audit_entries_cannot_be_changed_or_deleted(db: Session) -> None:
    entry = AuditEntry(action="read", what="patient", patient_id=1)
    db.add(entry)
    db.flush()
    with pytest.raises(AuditLogIsAppendOnly), db.begin_nested():
        entry.what = "nothing to see"
        db.flush()
    db.expire_all()
    entry = db.exec(select(AuditEntry).where(AuditEntry.id == entry.id)).one()
    with pytest.raises(AuditLogIsAppendOnly), db.begin_nested():
        db.delete(entry)
        db.flush()
    with pytest.raises(AuditLogIsAppendOnly), db.begin_nested():
        db.exec(delete(AuditEntry))  # type: ignore[call-overload]
    assert db.exec(select(AuditEntry.what).where(AuditEntry.id == entry.id)).one() == "patient"


def test_patient_can_see_who_has_seen_their_data(client: TestClient, db: Session) -> None:
    team = make_team(db)
    patient = make_patient(db, team)
    reader = make_user(db, role="nurse", team=team, email="leser@example.no")
    sign_in_client(client, reader)
    client.get(f"/api/v1/patients/{patient.id}")
    log = client.get(f"/api/v1/patients/{patient.id}/access-log").json()
    assert {"user": "leser@example.no", "action": "read"}.items() <= log[-1].items()
    page = client.get(f"/patients/{patient.id}/access-log")
    assert page.status_code == 200 and "leser@example.no" in page.text


def test_export_contains_the_patients_data_and_is_audited(client: TestClient, db: Session) -> None:
    team = make_team(db)
    patient = make_patient(db, team, label="E.X. 1930")
    sign_in_client(client, make_user(db, role="nurse", team=team))
    response = client.get(f"/api/v1/patients/{patient.id}/export")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    body = response.json()
    assert body["patient"]["label"] == "E.X. 1930" and len(body["pathways"]) == 1
    actions = db.exec(select(AuditEntry.action).where(AuditEntry.patient_id == patient.id)).all()
    assert "export" in actions


def test_erasure_removes_the_patient_and_is_itself_audited(client: TestClient, db: Session) -> None:
    team = make_team(db)
    patient = make_patient(db, team, label="S.L. 1929")
    patient_id = patient.id
    sign_in_client(client, make_user(db, role="team", team=team))
    wrong = client.post(f"/api/v1/patients/{patient_id}/erase", json={"confirm_label": "X"})
    assert wrong.status_code == 422
    done = client.post(f"/api/v1/patients/{patient_id}/erase", json={"confirm_label": "S.L. 1929"})
    assert done.status_code == 200
    db.expire_all()
    assert db.get(Patient, patient_id) is None
    assert db.exec(select(Pathway).where(Pathway.patient_id == patient_id)).first() is None
    actions = db.exec(select(AuditEntry.action).where(AuditEntry.patient_id == patient_id)).all()
    assert "erase" in actions


def test_nurse_cannot_erase(client: TestClient, db: Session) -> None:
    team = make_team(db)
    patient = make_patient(db, team, label="N.E. 1931")
    sign_in_client(client, make_user(db, role="nurse", team=team))
    response = client.post(
        f"/api/v1/patients/{patient.id}/erase", json={"confirm_label": "N.E. 1931"}
    )
    assert response.status_code == 422
    assert db.get(Patient, patient.id) is not None


def test_admin_reviews_the_audit_log_but_nurse_may_not(client: TestClient, db: Session) -> None:
    team = make_team(db)
    make_patient(db, team)
    admin = make_user(db, role="admin", team=team)
    sign_in_client(client, admin)
    page = client.get("/admin/audit?action=sign_in")
    assert page.status_code == 200 and admin.email in page.text
    client.cookies.clear()
    sign_in_client(client, make_user(db, role="nurse", team=team))
    assert client.get("/admin/audit").status_code == 403

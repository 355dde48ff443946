"""Patient data reaches only the teams a user works in; coordinators see none."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from tests.factories import make_organisation, make_patient, make_team, make_user, sign_in_client


def test_nurse_sees_only_own_team_patients(client: TestClient, db: Session) -> None:
    organisation = make_organisation(db)
    team_a, team_b = make_team(db, organisation), make_team(db, organisation)
    mine = make_patient(db, team_a, label="A.A. 1931")
    theirs = make_patient(db, team_b, label="B.B. 1932")
    sign_in_client(client, make_user(db, role="nurse", team=team_a))
    labels = [p["label"] for p in client.get("/api/v1/patients").json()]
    assert labels == ["A.A. 1931"]
    assert client.get(f"/api/v1/patients/{mine.id}").status_code == 200
    assert client.get(f"/api/v1/patients/{theirs.id}").status_code == 404


def test_nurse_patient_page_lists_only_own_team(client: TestClient, db: Session) -> None:
    organisation = make_organisation(db)
    team_a, team_b = make_team(db, organisation), make_team(db, organisation)
    make_patient(db, team_a, label="A.A. 1931")
    make_patient(db, team_b, label="B.B. 1932")
    sign_in_client(client, make_user(db, role="nurse", team=team_a))
    page = client.get("/patients").text
    assert "A.A. 1931" in page and "B.B. 1932" not in page


def test_organisation_team_member_sees_all_teams_of_the_organisation(
    client: TestClient, db: Session
) -> None:
    organisation = make_organisation(db)
    team_a, team_b = make_team(db, organisation), make_team(db, organisation)
    make_patient(db, team_a, label="A.A. 1931")
    make_patient(db, team_b, label="B.B. 1932")
    make_patient(db, make_team(db), label="C.C. 1933")
    sign_in_client(client, make_user(db, role="team", organisation=organisation))
    labels = sorted(p["label"] for p in client.get("/api/v1/patients").json())
    assert labels == ["A.A. 1931", "B.B. 1932"]


def test_coordinator_sees_no_patient(client: TestClient, db: Session) -> None:
    organisation = make_organisation(db)
    team = make_team(db, organisation)
    patient = make_patient(db, team, label="A.A. 1931")
    user = make_user(db, role="coordinator", organisation=organisation)
    sign_in_client(client, user)
    assert client.get("/api/v1/patients").json() == []
    assert client.get(f"/api/v1/patients/{patient.id}").status_code == 404
    assert client.get("/patients").status_code == 403
    assert "A.A. 1931" not in client.get("/coordinator").text


def test_admin_sees_no_patient(client: TestClient, db: Session) -> None:
    team = make_team(db)
    patient = make_patient(db, team)
    sign_in_client(client, make_user(db, role="admin", team=team))
    assert client.get("/api/v1/patients").json() == []
    assert client.get(f"/api/v1/patients/{patient.id}").status_code == 404


def test_reading_a_patient_is_audited(client: TestClient, db: Session) -> None:
    team = make_team(db)
    patient = make_patient(db, team)
    user = make_user(db, role="nurse", team=team)
    sign_in_client(client, user)
    client.get(f"/api/v1/patients/{patient.id}")
    entry = db.exec(select(AuditEntry).where(AuditEntry.patient_id == patient.id)).one()
    assert (entry.user_id, entry.action, entry.role) == (user.id, "read", "nurse")

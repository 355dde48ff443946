"""Signing in and out, sessions, lockout, and what signed-out users get."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from app.core.db import utcnow
from app.org.models import User, UserSession
from app.org.service import FAILURES_BEFORE_WAIT
from tests.factories import PASSWORD, make_team, make_user, sign_in_client


def test_signed_out_page_request_redirects_to_sign_in(client: TestClient) -> None:
    response = client.get("/my-day", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/my-day"


def test_signed_out_api_call_gets_401_json(client: TestClient) -> None:
    response = client.get("/api/v1/patients")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["detail"]


def test_sign_in_page_sets_httponly_samesite_cookie_and_redirects(
    client: TestClient, db: Session
) -> None:
    team = make_team(db)
    user = make_user(db, role="nurse", team=team)
    response = client.post(
        "/sign-in",
        data={"email": user.email.upper(), "password": PASSWORD, "next": "/patients"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/patients"
    cookie = response.headers["set-cookie"].lower()
    assert "hph_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert db.exec(select(UserSession).where(UserSession.user_id == user.id)).first() is not None


def test_sign_in_refuses_offsite_next(client: TestClient, db: Session) -> None:
    user = make_user(db, role="nurse", team=make_team(db))
    response = client.post(
        "/sign-in",
        data={"email": user.email, "password": PASSWORD, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_wrong_password_rerenders_form_with_message_and_counts_failure(
    client: TestClient, db: Session
) -> None:
    user = make_user(db, role="nurse", team=make_team(db))
    client.cookies.set("hph_lang", "en")
    response = client.post("/sign-in", data={"email": user.email, "password": "wrong-password"})
    assert response.status_code == 422
    assert "Wrong e-mail address or password." in response.text
    assert 'value="wrong-password"' not in response.text
    db.refresh(user)
    assert user.failed_sign_ins == 1


def test_wrong_password_message_is_norwegian_by_default(client: TestClient, db: Session) -> None:
    user = make_user(db, role="nurse", team=make_team(db))
    response = client.post("/sign-in", data={"email": user.email, "password": "nope"})
    assert response.status_code == 422
    assert "Feil e-postadresse eller passord." in response.text


def test_empty_sign_in_form_names_the_missing_fields(client: TestClient) -> None:
    client.cookies.set("hph_lang", "en")
    response = client.post("/sign-in", data={})
    assert response.status_code == 422
    assert "Enter your e-mail address." in response.text
    assert "Enter your password." in response.text


def test_account_waits_after_repeated_failures(client: TestClient, db: Session) -> None:
    user = make_user(db, role="nurse", team=make_team(db))
    for _ in range(FAILURES_BEFORE_WAIT):
        client.post("/api/v1/session", json={"email": user.email, "password": "bad-password"})
    response = client.post("/api/v1/session", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert (
        response.json()["detail"]
        == "For mange mislykkede innloggingsforsøk. Prøv igjen om 1 minutt."
    )
    db.refresh(user)
    assert user.locked_until is not None and user.locked_until > utcnow()


def test_sign_out_ends_the_session_on_the_server(client: TestClient, db: Session) -> None:
    user = make_user(db, role="nurse", team=make_team(db))
    sign_in_client(client, user)
    token = client.cookies.get("hph_session")
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/sign-out", follow_redirects=False).status_code == 303
    client.cookies.set("hph_session", token or "")
    assert client.get("/api/v1/me").status_code == 401


def test_expired_session_is_refused(client: TestClient, db: Session) -> None:
    user = make_user(db, role="nurse", team=make_team(db))
    sign_in_client(client, user)
    row = db.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    row.expires_at = utcnow() - timedelta(minutes=1)
    db.add(row)
    db.flush()
    assert client.get("/api/v1/me").status_code == 401


def test_idle_session_is_refused(client: TestClient, db: Session) -> None:
    user = make_user(db, role="nurse", team=make_team(db))
    sign_in_client(client, user)
    row = db.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    row.last_seen_at = utcnow() - timedelta(days=1)
    db.add(row)
    db.flush()
    assert client.get("/api/v1/me").status_code == 401


def test_inactive_user_cannot_sign_in(client: TestClient, db: Session) -> None:
    user = make_user(db, role="nurse", team=make_team(db), is_active=False)
    response = client.post("/api/v1/session", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 401


def test_sign_in_is_audited(client: TestClient, db: Session) -> None:
    user = make_user(db, role="nurse", team=make_team(db))
    sign_in_client(client, user)
    actions = db.exec(select(AuditEntry.action).where(AuditEntry.user_email == user.email)).all()
    assert "sign_in" in actions


def test_password_is_stored_as_argon2_hash(db: Session) -> None:
    user = make_user(db)
    stored = db.exec(select(User.password_hash).where(User.id == user.id)).one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_me_lists_roles_and_teams(client: TestClient, db: Session) -> None:
    team = make_team(db)
    user = make_user(db, role="nurse", team=team)
    sign_in_client(client, user)
    body = client.get("/api/v1/me").json()
    assert body["roles"] == ["nurse"]
    assert body["grants"][0]["team_ids"] == [team.id]


def test_home_redirects_each_role_to_its_page(client: TestClient, db: Session) -> None:
    team = make_team(db)
    for role, page in [("nurse", "/my-day"), ("team", "/team"), ("admin", "/admin")]:
        user = make_user(db, role=role, team=team)
        client.cookies.clear()
        sign_in_client(client, user)
        response = client.get("/", follow_redirects=False)
        assert response.headers["location"] == page
        assert client.get(page).status_code == 200


def test_role_page_refuses_other_roles(client: TestClient, db: Session) -> None:
    user = make_user(db, role="nurse", team=make_team(db))
    sign_in_client(client, user)
    assert client.get("/coordinator").status_code == 403
    assert client.get("/admin").status_code == 403

"""CSRF tokens on forms and htmx calls, security headers, and no secrets in responses."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core.config import Settings, get_settings
from app.org.models import UserSession
from tests.factories import PASSWORD, make_team, make_user, sign_in_client


def test_form_post_without_csrf_token_is_refused_with_a_clear_message(
    bare_client: TestClient, db: Session
) -> None:
    user = make_user(db, role="nurse", team=make_team(db))
    response = bare_client.post("/api/v1/session", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    bare_client.cookies.set("hph_lang", "en")
    refused = bare_client.post("/sign-out", data={})
    assert refused.status_code == 403
    assert "The form has expired" in refused.text
    assert bare_client.get("/api/v1/me").status_code == 200


def test_form_post_with_the_token_from_the_page_is_accepted(bare_client: TestClient, db) -> None:
    user = make_user(db, role="nurse", team=make_team(db))
    page = bare_client.get("/sign-in")
    token = bare_client.cookies.get("csrftoken")
    assert token and f'value="{token}"' in page.text
    response = bare_client.post(
        "/sign-in",
        data={"email": user.email, "password": PASSWORD, "csrftoken": token},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_htmx_header_token_is_accepted(bare_client: TestClient, db) -> None:
    user = make_user(db, role="nurse", team=make_team(db))
    bare_client.get("/sign-in")
    token = bare_client.cookies.get("csrftoken") or ""
    bare_client.post("/api/v1/session", json={"email": user.email, "password": PASSWORD})
    response = bare_client.post(
        "/language",
        data={"language": "en"},
        headers={"x-csrftoken": token},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_form_encoded_post_to_the_api_needs_the_token(bare_client: TestClient, db) -> None:
    user = make_user(db, role="nurse", team=make_team(db))
    bare_client.post("/api/v1/session", json={"email": user.email, "password": PASSWORD})
    response = bare_client.post("/api/v1/session", data={"email": user.email})
    assert response.status_code == 403


def test_pages_carry_a_strict_content_security_policy(client: TestClient) -> None:
    headers = client.get("/sign-in").headers
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"


def test_unexpected_error_shows_no_trace_or_secret(app, client: TestClient) -> None:
    @app.get("/boom-for-test")
    def _boom() -> None:
        raise RuntimeError("secret-value-in-exception")

    response = client.get("/boom-for-test")
    assert response.status_code == 500
    assert "secret-value-in-exception" not in response.text
    assert "Traceback" not in response.text


def test_id_beyond_64_bits_is_a_clear_422_not_a_server_error(client: TestClient, db) -> None:
    sign_in_client(client, make_user(db, role="nurse", team=make_team(db)))
    client.cookies.set("hph_lang", "en")
    response = client.get("/api/v1/patients/99999999999999999999")
    assert response.status_code == 422
    assert response.json()["detail"] == "A number in the request is out of range."


def test_bodyless_cross_site_post_to_the_api_needs_the_token(bare_client: TestClient, db) -> None:
    user = make_user(db, role="team", team=make_team(db))
    bare_client.post("/api/v1/session", json={"email": user.email, "password": PASSWORD})
    response = bare_client.post("/api/v1/patients/1/erase")
    assert response.status_code == 403


def test_cookieless_cross_site_sign_in_form_is_refused(bare_client: TestClient, db) -> None:
    attacker = make_user(db, role="nurse", team=make_team(db))
    response = bare_client.post(
        "/sign-in",
        data={"email": attacker.email, "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "hph_session" not in response.headers.get("set-cookie", "")


def test_cookieless_untyped_body_to_the_session_api_is_refused(bare_client: TestClient, db) -> None:
    attacker = make_user(db, role="nurse", team=make_team(db))
    body = f'{{"email": "{attacker.email}", "password": "{PASSWORD}"}}'.encode()
    response = bare_client.post("/api/v1/session", content=body)  # a no-cors fetch of a Blob
    assert response.status_code == 403
    assert "hph_session" not in response.headers.get("set-cookie", "")


def _proxied_app(app, monkeypatch: pytest.MonkeyPatch, proxies: str):  # type: ignore[no-untyped-def]
    """The application built with HPH_TRUSTED_PROXIES set, on the test's transaction."""
    from app.main import create_app

    monkeypatch.setenv("HPH_TRUSTED_PROXIES", proxies)
    get_settings.cache_clear()
    proxied = create_app()
    proxied.dependency_overrides = app.dependency_overrides
    return proxied


def test_address_comes_from_x_forwarded_for_only_through_a_trusted_proxy(
    app, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user(db, role="nurse", team=make_team(db))
    proxied = _proxied_app(app, monkeypatch, "10.0.0.0/8, 192.0.2.1")
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    credentials = {"email": user.email, "password": PASSWORD}
    for peer, expected in (("10.1.2.3", "203.0.113.9"), ("198.51.100.7", "198.51.100.7")):
        with TestClient(proxied, client=(peer, 4000)) as client:
            client.post("/api/v1/session", json=credentials, headers=forwarded)
            assert client.get("/api/v1/me").status_code == 200
        last = db.exec(
            select(UserSession.ip_address)
            .where(UserSession.user_id == user.id)
            .order_by(col(UserSession.id).desc())
        ).first()
        assert last == expected, peer


def test_trusted_proxies_setting_names_itself_when_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HPH_TRUSTED_PROXIES", "10.0.0.1,nginx")
    with pytest.raises(ValueError, match="HPH_TRUSTED_PROXIES: 'nginx' is not an address"):
        Settings()
    monkeypatch.setenv("HPH_TRUSTED_PROXIES", "")
    assert Settings().trusted_proxies == []

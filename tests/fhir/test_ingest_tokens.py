"""API token admin pages: created for one organisation and shown once, stored hashed, listed
with their last use, revoked at once, all audited; another network's admin reaches none."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.admin.changes import COMMAND_LINE
from app.audit.models import AuditEntry
from app.fhir.ingest_models import ApiToken
from app.fhir.tokens import token_hash
from tests.factories import make_organisation, make_user, sign_in_client
from tests.fhir.ingest_helpers import bundle, encounter, new_token, post_bundle


def test_an_admin_creates_a_token_that_is_shown_once_and_stored_hashed(
    client: TestClient, db: Session
) -> None:
    organisation = make_organisation(db)
    admin = make_user(db, role="admin", organisation=organisation)
    sign_in_client(client, admin)
    page = client.post("/admin/tokens", data={"organisation": organisation.slug, "name": "DIPS"})
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    secret = re.search(r'value="(hph_[^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    token = db.exec(select(ApiToken)).one()
    assert token.token_hash == token_hash(secret) and secret not in token.token_hash
    assert (token.organisation_id, token.name, token.created_by_user_id) == (
        organisation.id,
        "DIPS",
        admin.id,
    )
    listing = client.get("/admin/tokens")
    assert "DIPS" in listing.text and token.prefix in listing.text and secret not in listing.text
    entries = db.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
    created = [e for e in entries if e.what.startswith("admin: api token")]
    assert created and created[0].user_id == admin.id and secret not in (created[0].detail or "")


def test_a_revoked_token_is_refused_at_once(
    client: TestClient, bare_client: TestClient, db: Session
) -> None:
    organisation = make_organisation(db)
    secret = new_token(db, int(organisation.id or 0))
    token = db.exec(select(ApiToken)).one()
    assert post_bundle(bare_client, bundle(encounter("E-1", "R-1")), secret).status_code == 200
    sign_in_client(client, make_user(db, role="admin", organisation=organisation))
    revoked = client.post(f"/admin/tokens/{token.id}/revoke", follow_redirects=False)
    assert revoked.status_code == 303
    db.expire_all()
    assert db.get(ApiToken, token.id).revoked_at is not None  # type: ignore[union-attr]
    assert post_bundle(bare_client, bundle(encounter("E-2", "R-1")), secret).status_code == 401
    whats = db.exec(select(AuditEntry.what)).all()
    assert any(w.endswith(f"api token {token.id} revoked") for w in whats)
    assert f"api token {token.id} used" in whats


def test_an_admin_of_another_network_reaches_no_token(client: TestClient, db: Session) -> None:
    organisation = make_organisation(db)
    secret = new_token(db, int(organisation.id or 0))
    token = db.exec(select(ApiToken)).one()
    stranger = make_user(db, role="admin", organisation=make_organisation(db))
    sign_in_client(client, stranger)
    assert token.prefix not in client.get("/admin/tokens").text
    assert client.post(f"/admin/tokens/{token.id}/revoke").status_code == 404
    refused = client.post("/admin/tokens", data={"organisation": organisation.slug, "name": "X"})
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    db.expire_all()
    assert db.get(ApiToken, token.id).revoked_at is None  # type: ignore[union-attr]
    assert len(db.exec(select(ApiToken)).all()) == 1
    assert secret


def test_a_nurse_cannot_open_the_token_pages(client: TestClient, db: Session) -> None:
    from tests.factories import make_team

    team = make_team(db)
    sign_in_client(client, make_user(db, role="nurse", team=team))
    assert client.get("/admin/tokens").status_code in (403, 404)
    assert client.post("/admin/tokens", data={"name": "x"}).status_code in (403, 404)


def test_tokens_made_at_the_command_line_are_audited_as_the_command(db: Session) -> None:
    organisation = make_organisation(db)
    new_token(db, int(organisation.id or 0))
    entry = db.exec(select(AuditEntry).where(col(AuditEntry.what).contains("api token"))).one()
    assert entry.user_email == COMMAND_LINE

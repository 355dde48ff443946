"""Admin pages and /api/v1/admin: forms re-render with messages, scope holds, links work."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.org.models import Organisation, Team, User
from tests.factories import make_network, make_organisation, make_team, make_user, sign_in_client

STRONG = "lange ord på rad 2026"


def _network_admin(db: Session, client: TestClient):  # type: ignore[no-untyped-def]
    network = make_network(db)
    org = make_organisation(db, network)
    team = make_team(db, org)
    admin = make_user(db, role="admin", network=network)
    sign_in_client(client, admin)
    client.cookies.set("hph_lang", "en")
    return network, org, team, admin


def test_admin_creates_organisation_and_team_on_the_pages(db: Session, client: TestClient) -> None:
    network, *_ = _network_admin(db, client)
    page = client.get("/admin/organisations")
    assert page.status_code == 200 and network.name in page.text
    bad = client.post(
        "/admin/organisations",
        data={
            "slug": "voss",
            "name": "Voss herad",
            "network": network.slug,
            "kind": "municipality",
            "org_number": "921190294",
        },
    )
    assert bad.status_code == 422 and "wrong check digit" in bad.text
    assert 'value="Voss herad"' in bad.text
    made = client.post(
        "/admin/organisations",
        data={
            "slug": "voss",
            "name": "Voss herad",
            "network": network.slug,
            "kind": "municipality",
            "org_number": "921 190 298",
            "municipality_number": "4621",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    voss = db.exec(select(Organisation).where(Organisation.slug == "voss")).one()
    assert voss.org_number == "921190298"
    team = client.post(
        f"/admin/organisations/{voss.id}/teams",
        data={"slug": "voss-heime", "name": "Heimetenesta"},
        headers={"HX-Request": "true"},
    )
    assert team.headers.get("HX-Redirect") == f"/admin/organisations/{voss.id}"
    assert db.exec(select(Team).where(Team.slug == "voss-heime")).one().organisation_id == voss.id
    again = client.post(
        f"/admin/organisations/{voss.id}/teams", data={"slug": "voss-heime", "name": "Heimetenesta"}
    )
    assert again.status_code == 422 and "already taken" in again.text


def test_invite_shows_a_link_once_and_the_welcome_page_sets_the_password(
    db: Session, client: TestClient
) -> None:
    _network, _org, team, _admin = _network_admin(db, client)
    page = client.post(
        "/admin/users",
        data={
            "email": "Nina@Example.no",
            "name": "Nina",
            "role": "nurse",
            "scope": f"team:{team.slug}",
        },
    )
    assert page.status_code == 200
    link = re.search(r'value="(http://testserver/welcome/[^"]+)"', page.text)
    assert link, page.text
    path = link.group(1).removeprefix("http://testserver")
    duplicate = client.post(
        "/admin/users",
        data={
            "email": "nina@example.no",
            "name": "Nina",
            "role": "nurse",
            "scope": f"team:{team.slug}",
        },
    )
    assert duplicate.status_code == 422 and "already a user" in duplicate.text
    client.cookies.delete("hph_session")
    welcome = client.get(path)
    assert welcome.status_code == 200 and "Nina" in welcome.text
    weak = client.post(path, data={"password": "short", "repeat": "short"})
    assert weak.status_code == 422 and "at least 12 characters" in weak.text
    done = client.post(path, data={"password": STRONG, "repeat": STRONG})
    assert done.status_code == 200 and "nina@example.no" in done.text
    used = client.get(path)
    assert used.status_code == 410 and "already been used" in used.text
    signed = client.post("/api/v1/session", json={"email": "nina@example.no", "password": STRONG})
    assert signed.status_code == 200


def test_admin_deactivates_a_nurse_and_her_session_ends(
    db: Session, client: TestClient, app
) -> None:  # type: ignore[no-untyped-def]
    _network, _org, team, _admin = _network_admin(db, client)
    nurse = make_user(db, role="nurse", team=team)
    with TestClient(app) as tablet:
        sign_in_client(tablet, nurse)
        assert tablet.get("/api/v1/me").status_code == 200
        off = client.post(f"/admin/users/{nurse.id}/deactivate", follow_redirects=False)
        assert off.status_code == 303
        assert tablet.get("/api/v1/me").status_code == 401
    listed = client.get("/admin/users")
    assert "Deactivated" in listed.text


def test_api_covers_the_same_operations(db: Session, client: TestClient) -> None:
    network, org, team, _admin = _network_admin(db, client)
    tree = client.get("/api/v1/admin/organisations").json()
    assert tree[0]["slug"] == network.slug and tree[0]["manageable"] is True
    created = client.post(
        "/api/v1/admin/organisations",
        json={
            "slug": "alta",
            "name": "Alta kommune",
            "network": network.slug,
            "kind": "municipality",
            "org_number": "944588132",
        },
    )
    assert created.status_code == 201, created.text
    wrong = client.patch(
        f"/api/v1/admin/organisations/{org.id}", json={"name": "X", "org_number": "944588133"}
    )
    assert wrong.status_code == 422 and "check digit" in wrong.json()["detail"]
    team_made = client.post(
        "/api/v1/admin/teams",
        json={"slug": "alta-hjemme", "name": "Hjemme", "organisation": "alta"},
    )
    assert team_made.status_code == 201
    invited = client.post(
        "/api/v1/admin/users",
        json={
            "email": "per@example.no",
            "name": "Per",
            "role": "team",
            "scope": "team:alta-hjemme",
        },
    )
    assert invited.status_code == 201 and invited.json()["path"].startswith("/welcome/")
    user_id = invited.json()["user"]["id"]
    assert "password" not in str(invited.json()).lower()
    role = client.post(
        f"/api/v1/admin/users/{user_id}/memberships",
        json={"role": "nurse", "scope": f"team:{team.slug}"},
    )
    assert role.status_code == 201 and len(role.json()["memberships"]) == 2
    wrong_kind = client.post(
        f"/api/v1/admin/users/{user_id}/memberships",
        json={"role": "admin", "scope": f"team:{team.slug}"},
    )
    assert wrong_kind.status_code == 422 and "not on a team" in wrong_kind.json()["detail"]
    membership_id = role.json()["memberships"][1]["id"]
    assert (
        client.delete(f"/api/v1/admin/users/{user_id}/memberships/{membership_id}").status_code
        == 204
    )
    assert client.post(f"/api/v1/admin/users/{user_id}/deactivate").json()["active"] is False
    assert client.post(f"/api/v1/admin/users/{user_id}/reactivate").json()["active"] is True
    assert client.post(f"/api/v1/admin/users/{user_id}/unlock").status_code == 200
    assert client.post(f"/api/v1/admin/users/{user_id}/link").json()["path"].startswith("/welcome/")
    people = client.get("/api/v1/admin/users", params={"scope": "organisation:alta"}).json()
    assert [p["email"] for p in people] == ["per@example.no"]
    csv_body = "email,name,role,scope\nbad,X,nurse,team:alta-hjemme\n"
    refused = client.post("/api/v1/admin/import", files={"file": ("s.csv", csv_body, "text/csv")})
    assert refused.status_code == 422 and refused.json()["problems"][0].startswith("Row 2:")
    csv_body = "email,name,role,scope\nq@example.no,Q,nurse,team:alta-hjemme\n"
    ok = client.post("/api/v1/admin/import", files={"file": ("s.csv", csv_body, "text/csv")})
    assert ok.status_code == 200 and ok.json()["invited"][0]["email"] == "q@example.no"


def test_an_admin_of_one_network_cannot_reach_another(db: Session, client: TestClient) -> None:
    _network_admin(db, client)
    far_org = make_organisation(db)
    far_team = make_team(db, far_org)
    far_user = make_user(db, role="nurse", team=far_team)
    assert client.get(f"/admin/organisations/{far_org.id}").status_code == 404
    assert client.get(f"/admin/users/{far_user.id}").status_code == 404
    assert client.post(f"/api/v1/admin/users/{far_user.id}/deactivate").status_code == 404
    assert (
        client.patch(f"/api/v1/admin/organisations/{far_org.id}", json={"name": "X"}).status_code
        == 404
    )
    assert db.get(User, far_user.id).is_active  # type: ignore[union-attr]


def test_change_own_password_needs_the_current_one(db: Session, client: TestClient) -> None:
    _network, _org, _team, admin = _network_admin(db, client)
    wrong = client.post(
        "/account/password", data={"current": "nope", "password": STRONG, "repeat": STRONG}
    )
    assert wrong.status_code == 422 and "current password is not right" in wrong.text
    ok = client.post(
        "/account/password",
        data={"current": "correct horse battery", "password": STRONG, "repeat": STRONG},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    client.cookies.delete("hph_session")
    assert (
        client.post("/api/v1/session", json={"email": admin.email, "password": STRONG}).status_code
        == 200
    )


def test_nurses_and_coordinators_get_no_admin_page(db: Session, client: TestClient) -> None:
    team = make_team(db)
    sign_in_client(client, make_user(db, role="nurse", team=team))
    assert client.get("/admin/users").status_code == 403
    assert client.get("/api/v1/admin/organisations").status_code == 403


def test_an_organisations_admin_adding_an_organisation_is_told_why_not(
    db: Session, client: TestClient
) -> None:
    network = make_network(db)
    org = make_organisation(db, network)
    sign_in_client(client, make_user(db, role="admin", organisation=org))
    client.cookies.set("hph_lang", "en")
    page = client.post(
        "/admin/organisations",
        data={"slug": "x", "name": "X", "network": network.slug, "kind": "municipality"},
    )
    assert page.status_code == 422
    assert f'role="alert">There is no network &#39;{network.slug}&#39;.' in page.text
    assert db.exec(select(Organisation).where(Organisation.slug == "x")).first() is None

"""People on several teams pick one on "My day" and the dashboard; forms list teams by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.checklists.worklist import TEAM_COOKIE, my_day
from app.org.models import Membership
from app.org.scope import resolve_viewer
from app.pathways.events import record_event
from tests.factories import (
    make_organisation,
    make_patient,
    make_team,
    make_user,
    pathway_of,
    sign_in_client,
)


@pytest.fixture
def two_teams(db: Session):  # type: ignore[no-untyped-def]
    """A nurse on two teams of one organisation, each team with a patient discharged an hour ago."""
    organisation = make_organisation(db, name="Fjordby kommune")
    north, south = make_team(db, organisation), make_team(db, organisation)
    north.name, south.name = "Hjemmesykepleien Nord", "Hjemmesykepleien Sør"
    db.add_all([north, south])
    nurse = make_user(db, role="nurse", team=north)
    db.add(
        Membership(user_id=int(nurse.id or 0), role="nurse", scope_kind="team", team_id=south.id)
    )
    db.flush()
    viewer = resolve_viewer(db, nurse)
    now = datetime.now(UTC)
    for team, label in ((north, "NO-A 1931"), (south, "SO-B 1932")):
        pathway = pathway_of(db, make_patient(db, team, label=label))
        record_event(
            db,
            viewer=viewer,
            pathway_id=int(pathway.id or 0),
            kind="hospital_discharge",
            occurred_at=now - timedelta(hours=1),
            now=now,
        )
    return north, south, nurse


def test_my_day_of_one_team_leaves_out_the_other(db: Session, two_teams) -> None:  # type: ignore[no-untyped-def]
    north, south, nurse = two_teams
    viewer = resolve_viewer(db, nurse)
    every = my_day(db, viewer=viewer)
    labels = {i.patient_label for i in every.overdue + every.open_now + every.coming_up}
    assert labels == {"NO-A 1931", "SO-B 1932"}
    one = my_day(db, viewer=viewer, team_id=int(south.id or 0))
    assert {i.patient_label for i in one.overdue + one.open_now + one.coming_up} == {"SO-B 1932"}


def test_my_day_remembers_the_team_picked(client: TestClient, db: Session, two_teams) -> None:  # type: ignore[no-untyped-def]
    north, south, nurse = two_teams
    sign_in_client(client, nurse)
    page = client.get(f"/my-day?team={south.id}")
    assert page.status_code == 200
    assert "SO-B 1932" in page.text and "NO-A 1931" not in page.text
    assert "Hjemmesykepleien Nord" in page.text and "Fjordby kommune" not in page.text
    assert client.cookies.get(TEAM_COOKIE) == str(south.id)
    again = client.get("/my-day")
    assert "SO-B 1932" in again.text and "NO-A 1931" not in again.text
    every = client.get("/my-day?team=all")
    assert "SO-B 1932" in every.text and "NO-A 1931" in every.text
    unknown = client.get("/my-day?team=999999")  # not one of hers: the remembered choice holds
    assert unknown.status_code == 200 and "NO-A 1931" in unknown.text
    api = client.get(f"/api/v1/my-day?team_id={north.id}").json()
    assert {i["patient_label"] for i in api["open_now"] + api["overdue"]} == {"NO-A 1931"}
    other_team = make_team(db)
    assert client.get(f"/api/v1/my-day?team_id={other_team.id}").status_code == 403


def test_dashboard_switcher_redirects_to_the_team_and_remembers_it(
    client: TestClient, db: Session, two_teams
) -> None:  # type: ignore[no-untyped-def]
    north, south, nurse = two_teams
    sign_in_client(client, nurse)
    first = client.get("/dashboard", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == f"/teams/{north.id}/dashboard"
    picked = client.get(f"/dashboard?team={south.id}", follow_redirects=False)
    assert picked.headers["location"] == f"/teams/{south.id}/dashboard"
    assert (
        client.get("/dashboard", follow_redirects=False)
        .headers["location"]
        .endswith(f"/teams/{south.id}/dashboard")
    )
    page = client.get(f"/teams/{south.id}/dashboard")
    assert page.status_code == 200
    assert 'id="team-switch"' in page.text and "Hjemmesykepleien Nord" in page.text


def test_patient_registration_lists_teams_by_name(
    client: TestClient, db: Session, two_teams
) -> None:  # type: ignore[no-untyped-def]
    north, south, nurse = two_teams
    sign_in_client(client, nurse)
    client.get(f"/my-day?team={south.id}")
    page = client.get("/patients")
    assert f'<option value="{north.id}" >Hjemmesykepleien Nord</option>' in page.text
    assert f'<option value="{south.id}" selected>Hjemmesykepleien Sør</option>' in page.text
    assert "Fjordby kommune" not in page.text and f"({south.id})" not in page.text

"""What each team follows: non-core measures by choice, its own goal lines, access and audit."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from app.core.deps import Forbidden
from app.dashboards.service import team_dashboard
from app.measures import manual
from app.measures.aggregate import Level
from app.measures.following import (
    SettingsInvalid,
    followed_measures,
    measure_settings,
    update_measure_settings,
)
from app.measures.models import TeamMeasureSetting
from app.measures.service import measure_series
from tests.factories import make_network, make_organisation, make_team, make_user, sign_in_client
from tests.measures.conftest import local, viewer_of

NOW = local(date(2026, 3, 18))
CORE = "hph-2-on-time"  # core, goal 90 in the catalogue
OPTIONAL = "hph-2-completed"  # not core


@pytest.fixture
def world(db: Session):  # type: ignore[no-untyped-def]
    """A team in an organisation; its improvement-team member, a nurse, admins and a coordinator."""
    network = make_network(db)
    organisation = make_organisation(db, network)
    team = make_team(db, organisation)
    users = {
        "team": make_user(db, role="team", team=team),
        "nurse": make_user(db, role="nurse", team=team),
        "org_admin": make_user(db, role="admin", organisation=organisation),
        "coordinator": make_user(db, role="coordinator", network=network),
        "other_admin": make_user(db, role="admin", organisation=make_organisation(db, network)),
    }
    return team, users


def _stored(db: Session, team_id: int) -> list[tuple[str, bool, float | None]]:
    rows = db.exec(select(TeamMeasureSetting).where(TeamMeasureSetting.team_id == team_id)).all()
    return sorted((r.measure_id, r.followed, r.goal) for r in rows)


def test_a_team_follows_core_measures_and_the_ones_it_chooses(db: Session, world) -> None:  # type: ignore[no-untyped-def]
    team, users = world
    team_id = int(team.id or 0)
    before = [m.id for m in followed_measures(db, team_id=team_id)]
    assert CORE in before and OPTIONAL not in before
    update_measure_settings(
        db,
        viewer=viewer_of(db, users["team"]),
        team_id=team_id,
        followed=[OPTIONAL, CORE],
        goals={CORE: 75},
    )
    after = [m.id for m in followed_measures(db, team_id=team_id)]
    assert after == [*before, OPTIONAL]
    shown = {
        s.id: s for s in measure_settings(db, viewer=viewer_of(db, users["nurse"]), team_id=team_id)
    }
    assert shown[CORE].followed and shown[CORE].goal == 75 and shown[CORE].default_goal == 90
    assert shown[OPTIONAL].followed and shown[OPTIONAL].goal is None
    entry = db.exec(
        select(AuditEntry).where(AuditEntry.what == f"measure settings of team {team_id}")
    ).one()
    detail = json.loads(entry.detail or "{}")
    assert detail["before"] == {"followed": [], "goals": {}}
    assert detail["after"] == {"followed": [OPTIONAL], "goals": {CORE: 75}}
    update_measure_settings(
        db, viewer=viewer_of(db, users["org_admin"]), team_id=team_id, followed=[], goals={}
    )
    assert _stored(db, team_id) == []
    assert OPTIONAL not in [m.id for m in followed_measures(db, team_id=team_id)]


@pytest.mark.parametrize(
    ("followed", "goals", "field", "words"),
    [
        ([], {CORE: 120}, f"goal-{CORE}", "percentage from 0 to 100"),
        ([], {CORE: -1}, f"goal-{CORE}", "percentage from 0 to 100"),
        ([], {CORE: float("nan")}, f"goal-{CORE}", "percentage from 0 to 100"),
        (["no-such-measure"], {}, "followed", "There is no measure 'no-such-measure'"),
        ([], {"no-such-measure": 5}, "goal-no-such-measure", "There is no measure"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_half_saved(
    db: Session, world, followed: list[str], goals: dict[str, float], field: str, words: str
) -> None:  # type: ignore[no-untyped-def]
    team, users = world
    member = viewer_of(db, users["team"])
    team_id = int(team.id or 0)
    update_measure_settings(db, viewer=member, team_id=team_id, followed=[OPTIONAL], goals={})
    with pytest.raises(SettingsInvalid) as caught:
        update_measure_settings(
            db, viewer=member, team_id=team_id, followed=[*followed], goals={OPTIONAL: 50, **goals}
        )
    assert words in caught.value.problems[field]
    assert _stored(db, team_id) == [(OPTIONAL, True, None)]


@pytest.mark.parametrize("who", ["nurse", "coordinator", "other_admin"])
def test_only_the_improvement_team_and_admins_over_the_team_change_settings(
    db: Session, world, who: str
) -> None:  # type: ignore[no-untyped-def]
    team, users = world
    with pytest.raises((Forbidden, LookupError)):
        update_measure_settings(
            db,
            viewer=viewer_of(db, users[who]),
            team_id=int(team.id or 0),
            followed=[OPTIONAL],
            goals={},
        )
    assert _stored(db, int(team.id or 0)) == []


def test_the_team_goal_is_drawn_on_team_charts_only(db: Session, world) -> None:  # type: ignore[no-untyped-def]
    team, users = world
    team_id = int(team.id or 0)
    update_measure_settings(
        db, viewer=viewer_of(db, users["team"]), team_id=team_id, followed=[], goals={CORE: 75}
    )
    member = viewer_of(db, users["team"])
    chart = measure_series(
        db,
        viewer=member,
        measure_id=CORE,
        level=Level.team,
        unit_id=team_id,
        period="week",
        start=None,
        end=None,
        now=NOW,
    )
    assert chart.measure.goal == 75
    organisation = measure_series(
        db,
        viewer=member,
        measure_id=CORE,
        level=Level.organisation,
        unit_id=team.organisation_id,
        period="week",
        start=None,
        end=None,
        now=NOW,
    )
    assert organisation.measure.goal == 90
    item = next(
        i
        for i in team_dashboard(
            db, viewer=member, team_id=team_id, period="week", start=None, end=None, now=NOW
        )
        if i.info.id == CORE
    )
    goal_layers = [layer for layer in item.spec["layer"] if "goal" in json.dumps(layer).lower()]  # type: ignore[index]
    assert goal_layers and "75" in json.dumps(goal_layers)


def test_dashboard_shows_followed_then_manual_measures(db: Session, world) -> None:  # type: ignore[no-untyped-def]
    team, users = world
    team_id = int(team.id or 0)
    member = viewer_of(db, users["team"])
    measure = manual.create_manual_measure(
        db,
        viewer=member,
        team_id=team_id,
        fields=manual.ManualFields(key="falls", title="Falls assessed"),
    )
    manual.save_value(
        db,
        viewer=member,
        measure_id=int(measure.id or 0),
        period="2026-W10",
        numerator=3,
        denominator=4,
    )
    update_measure_settings(db, viewer=member, team_id=team_id, followed=[OPTIONAL], goals={})
    items = team_dashboard(
        db, viewer=member, team_id=team_id, period="week", start=None, end=None, now=NOW
    )
    ids = [item.info.id for item in items]
    assert ids[-2:] == [OPTIONAL, f"manual:{measure.id}"]
    assert items[-1].chart is not None and any(p.value == 75 for p in items[-1].chart.points)
    monthly = team_dashboard(
        db, viewer=member, team_id=team_id, period="month", start=None, end=None, now=NOW
    )
    assert monthly[-1].chart is None and "week" in (monthly[-1].message or "")


def test_settings_api_reads_replaces_and_refuses(client: TestClient, db: Session, world) -> None:  # type: ignore[no-untyped-def]
    team, users = world
    url = f"/api/v1/teams/{team.id}/measure-settings"
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, users["team"])
    listed = client.get(url)
    assert listed.status_code == 200
    assert {s["id"]: s["followed"] for s in listed.json()}[OPTIONAL] is False
    saved = client.put(url, json={"followed": [OPTIONAL], "goals": {CORE: 80}})
    assert saved.status_code == 200, saved.text
    core = next(s for s in saved.json() if s["id"] == CORE)
    assert core["goal"] == 80 and core["goal_in_use"] == 80 and core["default_goal"] == 90
    bad = client.put(url, json={"followed": [], "goals": {CORE: 101}})
    assert bad.status_code == 422 and "0 to 100" in bad.json()["detail"]
    assert _stored(db, int(team.id or 0)) == [(OPTIONAL, True, None), (CORE, False, 80.0)]
    assert client.put(url, json={}).status_code == 422
    assert client.get("/api/v1/teams/999999/measure-settings").status_code == 404
    assert (
        "/api/v1/teams/{team_id}/measure-settings"
        in client.get("/api/openapi.json").json()["paths"]
    )
    client.post("/sign-out")
    sign_in_client(client, users["nurse"])
    assert client.get(url).status_code == 200
    refused = client.put(url, json={"followed": [], "goals": {}})
    assert refused.status_code == 403
    assert _stored(db, int(team.id or 0)) == [(OPTIONAL, True, None), (CORE, False, 80.0)]


def test_settings_page_saves_and_rerenders_a_bad_goal_in_norwegian(
    client: TestClient, db: Session, world
) -> None:  # type: ignore[no-untyped-def]
    team, users = world
    sign_in_client(client, users["team"])
    url = f"/teams/{team.id}/measures/settings"
    page = client.get(url)
    assert page.status_code == 200 and 'name="follow"' in page.text
    refused = client.post(url, data={"follow": [OPTIONAL], f"goal-{CORE}": "150"})
    assert refused.status_code == 422
    assert "Målet for en andel er en prosent fra 0 til 100." in refused.text
    assert 'value="150"' in refused.text and _stored(db, int(team.id or 0)) == []
    typo = client.post(url, data={f"goal-{CORE}": "mye"})
    assert typo.status_code == 422 and _stored(db, int(team.id or 0)) == []
    saved = client.post(
        url, data={"follow": [OPTIONAL], f"goal-{CORE}": "82,5"}, follow_redirects=False
    )
    assert saved.status_code == 303
    assert _stored(db, int(team.id or 0)) == [(OPTIONAL, True, None), (CORE, False, 82.5)]
    dashboard = client.get(f"/teams/{team.id}/dashboard")
    assert dashboard.status_code == 200
    assert f"/teams/{team.id}/measures/settings" in dashboard.text
    assert f"/teams/{team.id}/manual-measures" in dashboard.text


def test_nurse_sees_the_settings_page_without_a_form_and_cannot_post(
    client: TestClient, db: Session, world
) -> None:  # type: ignore[no-untyped-def]
    team, users = world
    sign_in_client(client, users["nurse"])
    url = f"/teams/{team.id}/measures/settings"
    page = client.get(url)
    assert (
        page.status_code == 200
        and "disabled" in page.text
        and "Lagre innstillingene" not in page.text
    )
    assert client.post(url, data={"follow": [OPTIONAL]}).status_code == 403
    assert _stored(db, int(team.id or 0)) == []

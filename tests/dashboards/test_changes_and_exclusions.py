"""What a team records on its dashboard: tested changes (no future dates, measure titles,
edited, deleted after a confirmation, audited) and points left out as known special causes."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditEntry
from app.dashboards.service import team_dashboard
from app.measures.models import Annotation, PointExclusion
from app.org.scope import resolve_viewer
from tests.dashboards.polish_data import MEASURE, NOW, frozen, network  # noqa: F401 (fixtures)
from tests.factories import make_user, sign_in_client

TITLE = "First home visit within 3 days"


def _audits(db: Session, what: str) -> list[AuditEntry]:
    """The audit entries about one thing, oldest first."""
    query = select(AuditEntry).where(col(AuditEntry.what).startswith(what))
    return list(db.exec(query.order_by(col(AuditEntry.id))).all())


def test_a_tested_change_in_the_future_is_refused_keeping_what_was_typed(
    client: TestClient,
    db: Session,
    network,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    team = network["big"]
    client.cookies.set("hph_lang", "nb")
    sign_in_client(client, make_user(db, role="team", team=team))
    page = client.post(
        f"/teams/{team.id}/dashboard/annotations",
        data={"happened_on": "2026-12-01", "title": "Ny ringeliste", "measure_key": MEASURE},
    )
    assert page.status_code == 422
    assert "Datoen for endringen kan ikke være fram i tid" in page.text
    assert ">Ny ringeliste</textarea>" in page.text and 'max="2026-11-18"' in page.text
    assert db.exec(select(Annotation)).all() == []


def test_a_tested_change_is_edited_and_deleted_after_a_confirmation_all_audited(
    client: TestClient,
    db: Session,
    network,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    team = network["big"]
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="team", team=team))
    made = client.post(
        f"/teams/{team.id}/dashboard/annotations",
        data={"happened_on": "2026-10-05", "title": "Call list", "measure_key": MEASURE},
        follow_redirects=False,
    )
    assert made.status_code == 303
    note = db.exec(select(Annotation).where(Annotation.title == "Call list")).one()
    page = client.get(f"/teams/{team.id}/dashboard")
    assert f"({TITLE})" in page.text and f"({MEASURE})" not in page.text
    assert f"/dashboard/annotations/{note.id}/edit" in page.text
    base = f"/teams/{team.id}/dashboard/annotations/{note.id}"
    form = client.get(f"{base}/edit")
    assert form.status_code == 200 and ">Call list</textarea>" in form.text
    assert 'value="2026-10-05"' in form.text
    bad = client.post(f"{base}/edit", data={"happened_on": "2026-10-05", "title": " "})
    assert bad.status_code == 422 and "Say what was changed in a title" in bad.text
    saved = client.post(
        f"{base}/edit",
        data={"happened_on": "2026-10-06", "title": "Call list, week 2", "starts_phase": "1"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    db.refresh(note)
    assert (note.happened_on.isoformat(), note.title, note.measure_key, note.starts_phase) == (
        "2026-10-06",
        "Call list, week 2",
        None,
        True,
    )
    asked = client.get(f"{base}/delete")
    assert asked.status_code == 200 and "Delete the tested change?" in asked.text
    assert db.get(Annotation, note.id) is not None
    gone = client.post(f"{base}/delete", follow_redirects=False)
    assert gone.status_code == 303 and db.get(Annotation, note.id) is None
    entries = _audits(db, f"tested change {note.id} ")
    assert [e.action for e in entries] == ["create", "update", "delete"]
    change = json.loads(entries[1].detail or "{}")
    assert change["before"]["title"] == "Call list"
    assert change["after"]["title"] == "Call list, week 2"


def test_a_nurse_cannot_edit_a_tested_change(
    client: TestClient,
    db: Session,
    network,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    team = network["big"]
    note = Annotation(team_id=int(team.id or 0), happened_on=NOW.date(), title="Huddle")
    db.add(note)
    db.flush()
    sign_in_client(client, make_user(db, role="nurse", team=team))
    base = f"/teams/{team.id}/dashboard/annotations/{note.id}"
    assert client.get(f"{base}/edit").status_code == 403
    assert client.post(f"{base}/delete").status_code == 403
    assert db.get(Annotation, note.id) is not None


def test_a_point_left_out_is_drawn_apart_and_left_out_of_the_analysis(
    client: TestClient,
    db: Session,
    network,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    team = network["big"]
    client.cookies.set("hph_lang", "en")
    user = make_user(db, role="team", team=team)
    sign_in_client(client, user)
    url = f"/teams/{team.id}/dashboard/exclusions"
    bad = client.post(url, data={"measure_key": MEASURE, "period": "September", "reason": ""})
    assert bad.status_code == 422
    assert "Write the period like 2026-W05 or 2026-03." in bad.text
    assert "Say what the known special cause was." in bad.text
    assert 'value="September"' in bad.text
    future = client.post(url, data={"measure_key": MEASURE, "period": "2027-01", "reason": "x"})
    assert future.status_code == 422 and "This period has not begun yet." in future.text
    made = client.post(
        url,
        data={"measure_key": MEASURE, "period": "2026-09", "reason": "Journal system down"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    again = client.post(url, data={"measure_key": MEASURE, "period": "2026-09", "reason": "y"})
    assert again.status_code == 422 and "already excluded" in again.text

    viewer = resolve_viewer(db, user)
    items = team_dashboard(
        db, viewer=viewer, team_id=int(team.id or 0), period="month", start=None, end=None, now=NOW
    )
    hph2 = next(item for item in items if item.info.id == MEASURE)
    assert hph2.chart is not None and hph2.spec is not None
    september = next(p for p in hph2.chart.points if p.period == "2026-09")
    assert september.excluded and september.value is not None
    drawn = next(row for row in hph2.spec["data"]["values"] if row["period"] == "2026-09")
    assert drawn["status"] == "Excluded"
    point = next(p for p in hph2.chart.result.points if p.period == "2026-09")
    assert point.excluded and not point.included

    page = client.get(f"/teams/{team.id}/dashboard?period=month")
    assert "Journal system down" in page.text and "Left out" in page.text
    exclusion = db.exec(select(PointExclusion)).one()
    undone = client.post(f"{url}/{exclusion.id}/delete", follow_redirects=False)
    assert undone.status_code == 303 and db.exec(select(PointExclusion)).all() == []
    entries = _audits(db, f"excluded point {exclusion.id} ")
    assert [e.action for e in entries] == ["create", "delete"]
    assert json.loads(entries[0].detail or "{}")["after"]["period"] == "2026-09"


def test_exclusions_through_the_api_follow_the_same_rules(
    client: TestClient,
    db: Session,
    network,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    team = network["big"]
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="team", team=team))
    url = f"/api/v1/teams/{team.id}/exclusions"
    wrong = client.post(url, json={"measure_key": "nothing", "period": "2026-09", "reason": "x"})
    assert wrong.status_code == 422 and wrong.json()["detail"] == (
        "Choose one of the team's measures."
    )
    weekly = client.post(
        url, json={"measure_key": "goals-rerated", "period": "2026-W05", "reason": "x"}
    )
    assert weekly.status_code == 422 and "not by week" in weekly.json()["detail"]
    made = client.post(url, json={"measure_key": MEASURE, "period": "2026-08", "reason": "Flood"})
    assert made.status_code == 201 and made.json()["period"] == "2026-08"
    listed = client.get(url).json()
    assert "2026-08" in [x["period"] for x in listed]
    gone = client.delete(f"/api/v1/exclusions/{made.json()['id']}")
    assert gone.status_code == 204
    sign_in_client(client, make_user(db, role="nurse", team=team))
    refused = client.post(url, json={"measure_key": MEASURE, "period": "2026-07", "reason": "x"})
    assert refused.status_code == 403

"""Follow-ups in the day's work: raised with the answers, closed through the API and pages."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from app.core.db import utcnow
from app.org.models import Membership
from app.org.scope import resolve_viewer
from app.pathways.events import cancel_event
from app.pathways.lifecycle import transfer_pathway
from app.pathways.models import PathwayEvent, PathwayTeam
from tests.factories import make_team, make_user, sign_in_client
from tests.risks.conftest import Visit, at, discharged


def _signed_in(db: Session, client: TestClient) -> tuple[Visit, TestClient]:
    now = utcnow()
    visit = discharged(db, (now - timedelta(days=1)).date())
    user = make_user(db, role="nurse", team=visit.team)
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, user)
    return visit, client


def _put(client: TestClient, visit: Visit, item: str, value: str, version: int = 0):  # type: ignore[no-untyped-def]
    response = client.put(
        f"/api/v1/checklists/{visit.instance.id}/answers/{item}",
        json={"value": value, "version": version},
    )
    assert response.status_code == 200, response.text
    return response


def test_an_answer_raises_a_follow_up_listed_with_its_action_and_audited(
    db: Session, client: TestClient
) -> None:
    visit, client = _signed_in(db, client)
    _put(client, visit, "weight_loss", "yes")
    listed = client.get(f"/api/v1/pathways/{visit.pathway.id}/follow-ups")
    assert listed.status_code == 200
    [body] = listed.json()
    assert body["rule_id"] == "nutrition" and body["action"] == "Nutrition plan"
    assert body["status"] == "open" and body["owner"] == "home_care"
    assert "nutrition plan" in body["help"]
    audited = db.exec(select(AuditEntry.what).where(AuditEntry.patient_id == visit.patient.id))
    assert {"follow-ups"} <= set(audited.all())


def test_a_correction_cancels_the_open_follow_up_but_a_done_one_stays(
    db: Session, client: TestClient
) -> None:
    visit, client = _signed_in(db, client)
    _put(client, visit, "weight_loss", "yes")
    _put(client, visit, "fall_last_year", "yes")
    listed = {
        f["rule_id"]: f
        for f in client.get(f"/api/v1/pathways/{visit.pathway.id}/follow-ups").json()
    }
    falls = listed["falls"]
    done = client.post(f"/api/v1/follow-ups/{falls['id']}/done", json={"version": falls["version"]})
    assert done.status_code == 200 and done.json()["status"] == "done"
    _put(client, visit, "weight_loss", "no", version=1)
    _put(client, visit, "fall_last_year", "no", version=1)
    after = {
        f["rule_id"]: f["status"]
        for f in client.get(f"/api/v1/pathways/{visit.pathway.id}/follow-ups").json()
    }
    assert after == {"nutrition": "cancelled", "falls": "done"}
    # The risk back again: the cancelled follow-up opens with a fresh window.
    _put(client, visit, "weight_loss", "yes", version=2)
    again = {
        f["rule_id"]: f["status"]
        for f in client.get(f"/api/v1/pathways/{visit.pathway.id}/follow-ups").json()
    }
    assert again["nutrition"] == "open"


def test_bad_closings_are_refused_with_a_clear_message(db: Session, client: TestClient) -> None:
    visit, client = _signed_in(db, client)
    _put(client, visit, "pressure_ulcer_risk", "yes")
    [f] = client.get(f"/api/v1/pathways/{visit.pathway.id}/follow-ups").json()
    url = f"/api/v1/follow-ups/{f['id']}"
    future = (utcnow() + timedelta(hours=2)).isoformat()
    refused = client.post(f"{url}/done", json={"version": f["version"], "done_at": future})
    assert refused.status_code == 422
    assert refused.json()["detail"] == "The time the work was done cannot be in the future."
    before = (utcnow() - timedelta(days=3)).isoformat()
    early = client.post(f"{url}/done", json={"version": f["version"], "done_at": before})
    assert early.status_code == 422 and "before the risk was found" in early.json()["detail"]
    no_reason = client.post(f"{url}/not-needed", json={"version": f["version"], "reason": " "})
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"] == "Say why the follow-up is not needed."
    stale = client.post(f"{url}/not-needed", json={"version": f["version"] - 1, "reason": "x"})
    assert stale.status_code == 409 and "Reload" in stale.json()["detail"]
    ok = client.post(f"{url}/not-needed", json={"version": f["version"], "reason": "Has a plan"})
    assert ok.status_code == 200 and ok.json()["not_needed_reason"] == "Has a plan"
    again = client.post(f"{url}/done", json={"version": ok.json()["version"]})
    assert again.status_code == 422 and again.json()["detail"] == "The follow-up is already closed."


def test_a_follow_up_of_another_team_is_not_found(db: Session, client: TestClient) -> None:
    visit, _client = _signed_in(db, client)
    visit.answer("pressure_ulcer_risk", "yes", utcnow())
    follow_up = visit.follow_ups()["pressure-ulcer"]
    client.cookies.clear()
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, make_user(db, role="nurse", team=make_team(db)))
    response = client.post(f"/api/v1/follow-ups/{follow_up.id}/done", json={"version": 1})
    assert response.status_code == 404
    assert response.json()["detail"] == "The patient was not found."
    assert client.get(f"/api/v1/pathways/{visit.pathway.id}/follow-ups").status_code == 404


def test_transfer_moves_the_follow_ups_whose_window_ends_after_it(db: Session) -> None:
    visit = discharged(db, date(2026, 3, 2))
    visit.answer("pressure_ulcer_risk", "yes", at(date(2026, 3, 2), 10))  # due 5 March
    visit.answer("fall_last_year", "yes", at(date(2026, 3, 2), 10))  # due 16 March
    team_b = make_team(db)
    db.add(Membership(user_id=visit.nurse.id, role="nurse", scope_kind="team", team_id=team_b.id))
    db.flush()
    viewer = resolve_viewer(db, visit.nurse)
    transfer_pathway(
        db,
        viewer=viewer,
        pathway_id=int(visit.pathway.id or 0),
        team_id=int(team_b.id or 0),
        effective_at=at(date(2026, 3, 9), 8),
        expected_version=visit.pathway.version,
        now=at(date(2026, 3, 9), 9),
    )
    found = visit.follow_ups()
    assert found["pressure-ulcer"].team_id == visit.team.id
    assert found["falls"].team_id == team_b.id
    assert db.exec(select(PathwayTeam).where(PathwayTeam.team_id == team_b.id)).first()


def test_patient_page_and_my_day_show_the_follow_up_and_close_it(
    db: Session, client: TestClient
) -> None:
    visit, client = _signed_in(db, client)
    _put(client, visit, "many_medicines", "yes")
    page = client.get(f"/patients/{visit.patient.id}")
    assert page.status_code == 200
    assert "Medication review with the GP" in page.text and "Follow-ups of risks found" in page.text
    day = client.get("/my-day")
    assert "Medication review with the GP" in day.text and visit.patient.label in day.text
    follow_up = visit.follow_ups()["medication-review"]
    refused = client.post(
        f"/follow-ups/{follow_up.id}/not-needed",
        data={"version": follow_up.version, "reason": ""},
    )
    assert refused.status_code == 422 and "Say why the follow-up is not needed." in refused.text
    done = client.post(
        f"/follow-ups/{follow_up.id}/done",
        data={"version": follow_up.version, "done_at": ""},
        follow_redirects=False,
    )
    assert done.status_code == 303
    db.refresh(follow_up)
    assert follow_up.status == "done" and follow_up.done_at is not None
    assert "Medication review with the GP" not in client.get("/my-day").text


def test_cancelling_the_event_cancels_its_open_follow_ups(db: Session) -> None:
    visit = discharged(db, date(2026, 3, 2))
    visit.answer("fall_last_year", "yes", at(date(2026, 3, 2), 10))
    event = db.get(PathwayEvent, visit.instance.event_id)
    assert event is not None
    cancel_event(
        db, viewer=visit.viewer, event_id=int(event.id or 0), reason="Wrong patient",
        expected_version=event.version,
    )  # fmt: skip
    falls = visit.follow_ups()["falls"]
    assert (falls.status, falls.cancel_cause) == ("cancelled", "event_cancelled")


def test_the_patient_export_holds_the_follow_ups(db: Session, client: TestClient) -> None:
    visit, client = _signed_in(db, client)
    _put(client, visit, "fall_last_year", "yes")
    exported = client.get(f"/api/v1/patients/{visit.patient.id}/export")
    assert exported.status_code == 200
    assert [f["rule_id"] for f in exported.json()["follow_ups"]] == ["falls"]

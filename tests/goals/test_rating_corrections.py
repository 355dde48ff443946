"""Correcting a PSFS rating entered wrong: the old value kept, who and why, measures recompute."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from app.goals.models import GoalRating, GoalRatingCorrection
from tests.factories import make_team, make_user, sign_in_client
from tests.goals.conftest import Ward
from tests.measures.conftest import Counts, counts, local

MARCH = date(2026, 3, 1)


def _improved(db: Session, ward: Ward) -> Counts:
    found = counts(
        db,
        "psfs-improved",
        team=ward.team,
        period="month",
        first=MARCH,
        last=date(2026, 3, 31),
        now=local(date(2026, 3, 10), 12),
    )
    return found[MARCH]


def test_corrected_rating_keeps_the_old_value_and_recomputes_the_measure(
    client: TestClient, db: Session, ward: Ward
) -> None:
    api = sign_in_client(client, ward.nurse_user)
    client.cookies.set("hph_lang", "en")
    body = {"activity": "Gå tur", "baseline_rating": 2, "rated_on": "2026-01-20"}
    goal = api.post(f"/api/v1/pathways/{ward.pathway_id}/goals", json=body).json()
    rerated = api.post(
        f"/api/v1/goals/{goal['id']}/ratings", json={"rating": 6, "rated_on": "2026-03-02"}
    )
    assert rerated.status_code == 201, rerated.text
    # Baseline 2, re-rated 6: +4 on the mean, above the minimal important change of 2.
    assert _improved(db, ward) == Counts(numerator=1, denominator=1, pending=0)

    corrected = api.patch(
        f"/api/v1/goals/{goal['id']}/ratings/2026-03-02",
        json={"rating": 3, "reason": "Typed 6 for 3"},
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["rating"] == 3
    # Corrected to 3: +1 only, below the minimal important change.
    assert _improved(db, ward) == Counts(numerator=0, denominator=1, pending=0)

    stored = db.exec(select(GoalRating).where(GoalRating.goal_id == goal["id"])).all()
    assert sorted(r.rating for r in stored) == [2, 3]
    history = db.exec(select(GoalRatingCorrection)).all()
    assert [(h.old_rating, h.new_rating, h.reason) for h in history] == [(6, 3, "Typed 6 for 3")]
    assert history[0].corrected_by_id == ward.nurse_user.id
    audit = db.exec(select(AuditEntry).where(AuditEntry.what == "goal rating corrected")).one()
    assert audit.user_id == ward.nurse_user.id and "Typed 6 for 3" in (audit.detail or "")


def test_correction_needs_a_reason_a_new_value_and_a_visible_rating(
    client: TestClient, db: Session, ward: Ward
) -> None:
    api = sign_in_client(client, ward.nurse_user)
    client.cookies.set("hph_lang", "en")
    body = {"activity": "Gå tur", "baseline_rating": 2, "rated_on": "2026-01-20"}
    goal = api.post(f"/api/v1/pathways/{ward.pathway_id}/goals", json=body).json()
    url = f"/api/v1/goals/{goal['id']}/ratings/2026-01-20"
    assert api.patch(url, json={"rating": 4, "reason": ""}).status_code == 422
    assert api.patch(url, json={"rating": 11, "reason": "typo"}).status_code == 422
    same = api.patch(url, json={"rating": 2, "reason": "typo"})
    assert same.status_code == 409 and "already 2" in same.json()["detail"]
    missing = api.patch(
        f"/api/v1/goals/{goal['id']}/ratings/2026-02-01", json={"rating": 4, "reason": "x"}
    )
    assert missing.status_code == 404
    stranger = make_user(db, role="nurse", team=make_team(db))
    sign_in_client(client, stranger)
    assert client.patch(url, json={"rating": 4, "reason": "typo"}).status_code == 404


def test_page_form_corrects_a_rating_or_shows_what_to_fix(
    client: TestClient, db: Session, ward: Ward
) -> None:
    api = sign_in_client(client, ward.nurse_user)
    client.cookies.set("hph_lang", "en")
    body = {"activity": "Gå tur", "baseline_rating": 2, "rated_on": "2026-01-20"}
    goal = api.post(f"/api/v1/pathways/{ward.pathway_id}/goals", json=body).json()
    page = client.get(f"/pathways/{ward.pathway_id}/what-matters")
    assert "Correct a rating entered wrong" in page.text
    url = f"/pathways/{ward.pathway_id}/what-matters/goals/{goal['id']}/ratings/correct"
    refused = client.post(url, data={"rated_on": "2026-01-20", "rating": "4", "reason": ""})
    assert refused.status_code == 422
    done = client.post(url, data={"rated_on": "2026-01-20", "rating": "4", "reason": "Misheard"})
    assert done.status_code == 200 and "the old value is kept in the history" in done.text
    rating = db.exec(select(GoalRating).where(GoalRating.goal_id == goal["id"])).one()
    assert rating.rating == 4

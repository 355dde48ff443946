"""Moving a pathway to another team, ending it and reopening it, and what the measures count."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from app.checklists.models import ChecklistInstance
from app.org.models import Membership
from app.org.scope import resolve_viewer
from app.pathways.events import EventRejected, record_event
from app.pathways.lifecycle import (
    PathwayConflict,
    end_pathway,
    reopen_pathway,
    transfer_pathway,
)
from app.pathways.models import Pathway, Patient
from tests.factories import make_team, make_user, nurse_with_pathway, sign_in_client
from tests.measures.conftest import Counts, counts

OSLO = ZoneInfo("Europe/Oslo")


def _at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, datetime.min.time(), OSLO).replace(hour=hour)


def _instances(db: Session, pathway_id: int) -> dict[str, ChecklistInstance]:
    rows = db.exec(
        select(ChecklistInstance).where(ChecklistInstance.pathway_id == pathway_id)
    ).all()
    return {f"{r.definition_id}#{r.occurrence}": r for r in rows}


def _discharged(db: Session, viewer, pathway: Pathway, admitted: datetime, out: datetime) -> None:  # type: ignore[no-untyped-def]
    for kind, when in (("hospital_admission", admitted), ("hospital_discharge", out)):
        record_event(
            db, viewer=viewer, pathway_id=int(pathway.id or 0), kind=kind, occurred_at=when, now=out
        )


@pytest.fixture()
def two_teams(db: Session):  # type: ignore[no-untyped-def]
    """A nurse on teams A and B, and a patient of A discharged on Friday 6 March 2026."""
    team_a, nurse, _viewer, patient, pathway = nurse_with_pathway(db, started_on=date(2026, 3, 2))
    team_b = make_team(db)
    db.add(
        Membership(user_id=int(nurse.id or 0), role="nurse", scope_kind="team", team_id=team_b.id)
    )
    db.flush()
    viewer = resolve_viewer(db, nurse)
    _discharged(db, viewer, pathway, _at(date(2026, 3, 4), 9), _at(date(2026, 3, 6)))
    return team_a, team_b, viewer, patient, pathway


def test_transfer_moves_what_falls_due_after_it_and_leaves_what_fell_due_before(
    db: Session, two_teams
) -> None:
    team_a, team_b, viewer, patient, pathway = two_teams
    found = _instances(db, int(pathway.id or 0))
    # HPH 2 is due within 3 days (9 March), HPH 3 within 14 days (20 March).
    assert found["hph-2#0"].due_date == date(2026, 3, 9)
    assert found["hph-3#0"].due_date == date(2026, 3, 20)

    _pathway, moved = transfer_pathway(
        db,
        viewer=viewer,
        pathway_id=int(pathway.id or 0),
        team_id=int(team_b.id or 0),
        effective_at=_at(date(2026, 3, 12), 8),
        expected_version=pathway.version,
        now=_at(date(2026, 3, 13)),
    )

    found = _instances(db, int(pathway.id or 0))
    assert found["hph-2#0"].team_id == team_a.id
    assert found["hph-3#0"].team_id == team_b.id
    assert found["hph-4#0"].team_id == team_b.id
    assert moved == sum(1 for i in found.values() if i.team_id == team_b.id)
    assert db.get(Patient, patient.id).team_id == team_b.id  # type: ignore[union-attr]

    march = {"first": date(2026, 3, 1), "last": date(2026, 3, 31), "now": _at(date(2026, 4, 2))}
    empty: dict[date, Counts] = {}
    missed = {date(2026, 3, 1): Counts(numerator=0, denominator=1, pending=0)}
    assert counts(db, "hph-2-on-time", team=team_a, period="month", **march) == missed
    assert counts(db, "hph-2-on-time", team=team_b, period="month", **march) == empty
    assert counts(db, "hph-3-on-time", team=team_a, period="month", **march) == empty
    assert counts(db, "hph-3-on-time", team=team_b, period="month", **march) == missed


def test_transfer_refuses_same_team_unknown_team_future_and_before_start(
    db: Session, two_teams
) -> None:
    team_a, team_b, viewer, _patient, pathway = two_teams
    outsider = make_team(db)
    now = _at(date(2026, 3, 13))
    cases = [
        (team_a.id, _at(date(2026, 3, 12)), "already with this team"),
        (outsider.id, _at(date(2026, 3, 12)), "a team you work in"),
        (999_999, _at(date(2026, 3, 12)), "a team you work in"),
        (team_b.id, _at(date(2026, 3, 20)), "in the future"),
        (team_b.id, _at(date(2026, 2, 20)), "before the pathway started"),
    ]
    for team_id, when, expected in cases:
        with pytest.raises(EventRejected, match=expected):
            transfer_pathway(
                db,
                viewer=viewer,
                pathway_id=int(pathway.id or 0),
                team_id=int(team_id or 0),
                effective_at=when,
                expected_version=pathway.version,
                now=now,
            )
    with pytest.raises(PathwayConflict):
        transfer_pathway(
            db,
            viewer=viewer,
            pathway_id=int(pathway.id or 0),
            team_id=int(team_b.id or 0),
            effective_at=_at(date(2026, 3, 12)),
            expected_version=pathway.version - 1,
            now=now,
        )


def test_ending_cancels_what_would_fall_due_after_the_end_and_counts_it_nowhere(
    db: Session,
) -> None:
    team, _nurse, viewer, _patient, pathway = nurse_with_pathway(db, started_on=date(2026, 1, 5))
    pathway_id = int(pathway.id or 0)
    _discharged(db, viewer, pathway, _at(date(2026, 1, 29), 9), _at(date(2026, 2, 1)))
    ended, cancelled = end_pathway(
        db,
        viewer=viewer,
        pathway_id=pathway_id,
        ended_at=_at(date(2026, 2, 3)),
        reason="nursing_home",
        expected_version=pathway.version,
        now=_at(date(2026, 2, 3), 13),
    )
    assert (ended.status, ended.ended_on, ended.end_reason) == (
        "closed",
        date(2026, 2, 3),
        "nursing_home",
    )
    found = _instances(db, pathway_id)
    # Due on 1 and 2 February, before the end: they stay (and count, done or missed).
    assert found["hph-1#0"].status == "due"
    assert found["legemiddelsamstemming#0"].status == "due"
    # Due 4 Feb, 15 Feb, 1 Mar and in August: after the end, so cancelled.
    for key in ("hph-2#0", "hph-3#0", "hph-4#0", "halvarlig#0"):
        assert found[key].status == "cancelled", key
    assert cancelled == 4

    spring = {"first": date(2026, 2, 1), "last": date(2026, 3, 31), "now": _at(date(2026, 5, 1))}
    for measure in ("hph-2-on-time", "hph-3-on-time", "hph-4-on-time", "full-pathway"):
        assert counts(db, measure, team=team, period="month", **spring) == {}, measure
    assert counts(db, "readmission-30d", team=team, period="month", **spring) == {}
    assert counts(db, "hph-1-on-time", team=team, period="month", **spring) == {
        date(2026, 2, 1): Counts(numerator=0, denominator=1, pending=0)
    }


def test_completed_work_stays_when_the_pathway_ends_and_reopening_restores_the_rest(
    db: Session,
) -> None:
    _team, _nurse, viewer, _patient, pathway = nurse_with_pathway(db, started_on=date(2026, 1, 5))
    pathway_id = int(pathway.id or 0)
    _discharged(db, viewer, pathway, _at(date(2026, 1, 29), 9), _at(date(2026, 2, 1)))
    hph2 = _instances(db, pathway_id)["hph-2#0"]
    hph2.status, hph2.performed_at, hph2.recorded_at = "completed", _at(date(2026, 2, 2)), None
    db.add(hph2)
    db.flush()
    db.refresh(pathway)
    end_pathway(
        db,
        viewer=viewer,
        pathway_id=pathway_id,
        ended_at=_at(date(2026, 2, 3)),
        reason="died",
        expected_version=pathway.version,
        now=_at(date(2026, 2, 3), 13),
    )
    assert _instances(db, pathway_id)["hph-2#0"].status == "completed"
    db.refresh(pathway)
    with pytest.raises(EventRejected, match="already ended"):
        end_pathway(
            db,
            viewer=viewer,
            pathway_id=pathway_id,
            ended_at=_at(date(2026, 2, 3)),
            reason="died",
            expected_version=pathway.version,
        )
    with pytest.raises(EventRejected, match="Say why"):
        reopen_pathway(
            db, viewer=viewer, pathway_id=pathway_id, reason=" ", expected_version=pathway.version
        )
    reopened, restored = reopen_pathway(
        db,
        viewer=viewer,
        pathway_id=pathway_id,
        reason="Ended on the wrong patient",
        expected_version=pathway.version,
    )
    assert (reopened.status, reopened.ended_on, reopened.end_reason) == ("open", None, None)
    found = _instances(db, pathway_id)
    assert restored == 3
    assert {found[k].status for k in ("hph-3#0", "hph-4#0", "halvarlig#0")} == {"due"}
    assert found["hph-2#0"].status == "completed"


def test_end_needs_a_known_reason(db: Session) -> None:
    _team, _nurse, viewer, _patient, pathway = nurse_with_pathway(db, started_on=date(2026, 1, 5))
    with pytest.raises(EventRejected, match="Choose why"):
        end_pathway(
            db,
            viewer=viewer,
            pathway_id=int(pathway.id or 0),
            ended_at=_at(date(2026, 2, 3)),
            reason="bored",
            expected_version=pathway.version,
        )


def test_api_transfers_ends_and_reopens_with_clear_refusals(db: Session, app, client) -> None:  # type: ignore[no-untyped-def]
    team_a, _nurse, _viewer, patient, pathway = nurse_with_pathway(db, started_on=date(2026, 1, 5))
    team_b = make_team(db)
    nurse = make_user(db, role="nurse", team=team_a)
    db.add(
        Membership(user_id=int(nurse.id or 0), role="nurse", scope_kind="team", team_id=team_b.id)
    )
    db.flush()
    sign_in_client(client, nurse)
    client.cookies.set("hph_lang", "en")
    url = f"/api/v1/pathways/{pathway.id}"
    body = {"team_id": team_b.id, "effective_at": "2026-02-01T08:00:00+01:00", "version": 1}
    stale = client.post(f"{url}/transfer", json={**body, "version": 7})
    assert stale.status_code == 409 and stale.json()["current_version"] == pathway.version
    same = client.post(f"{url}/transfer", json={**body, "team_id": team_a.id})
    assert same.status_code == 422 and "already with this team" in same.json()["detail"]
    moved = client.post(f"{url}/transfer", json={**body, "version": pathway.version})
    assert moved.status_code == 200, moved.text
    assert moved.json()["team_id"] == team_b.id
    version = moved.json()["version"]
    end = {"ended_at": "2026-02-10T12:00:00+01:00", "reason": "moved_away", "version": version}
    assert client.post(f"{url}/end", json={**end, "reason": "bored"}).status_code == 422
    ended = client.post(f"{url}/end", json=end)
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "closed" and ended.json()["end_reason"] == "moved_away"
    twice = client.post(f"{url}/end", json={**end, "version": ended.json()["version"]})
    assert twice.status_code == 422
    reopened = client.post(
        f"{url}/reopen", json={"reason": "Wrong patient", "version": ended.json()["version"]}
    )
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    assert patient.id == reopened.json()["patient_id"]

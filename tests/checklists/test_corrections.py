"""Reopening a completed checklist: every version kept, who and why, measures recompute."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditEntry
from app.checklists.corrections import ReopenRefused, reopen_checklist
from app.checklists.models import ChecklistAnswerRevision, ChecklistStatusChange
from app.checklists.service import complete_checklist, save_answer
from app.pathways.events import record_event
from tests.factories import make_team, make_user, nurse_with_pathway, sign_in_client
from tests.measures.conftest import Counts, counts

OSLO = ZoneInfo("Europe/Oslo")
W10 = date(2026, 3, 2)


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=OSLO)


@pytest.fixture()
def visit(db: Session):  # type: ignore[no-untyped-def]
    """A nurse and the first-home-visit checklist after a discharge on Monday 2 March 2026."""
    team, nurse, viewer, patient, pathway = nurse_with_pathway(db)
    _event, created = record_event(
        db,
        viewer=viewer,
        pathway_id=pathway.id,
        kind="hospital_discharge",
        occurred_at=_at(W10, 10),
    )
    instance = next(i for i in created if i.definition_id == "hph-2")
    save_answer(
        db,
        viewer=viewer,
        instance_id=int(instance.id or 0),
        item_id="medication_at_home",
        value="yes",
        expected_version=0,
    )
    return team, nurse, viewer, patient, instance


def _hph2(db: Session, team) -> Counts:  # type: ignore[no-untyped-def]
    found = counts(
        db,
        "hph-2-on-time",
        team=team,
        period="week",
        first=W10,
        last=W10 + timedelta(6),
        now=_at(date(2026, 3, 20), 12),
    )
    return found[W10]


def test_on_time_then_reopened_then_completed_late_counts_late(db: Session, visit) -> None:
    team, _nurse, viewer, _patient, instance = visit
    iid = int(instance.id or 0)
    # Window: discharge Monday 2 March, first visit due by the end of Thursday 5 March.
    assert instance.window_end.astimezone(OSLO).date() == date(2026, 3, 5)
    with time_machine.travel(_at(date(2026, 3, 3), 12), tick=False):
        complete_checklist(
            db, viewer=viewer, instance_id=iid, performed_at=_at(date(2026, 3, 3), 11)
        )
    assert _hph2(db, team) == Counts(numerator=1, denominator=1, pending=0)
    with time_machine.travel(_at(date(2026, 3, 8), 12), tick=False):
        reopen_checklist(db, viewer=viewer, instance_id=iid, reason="Wrong patient's weight")
    assert instance.status == "in_progress" and instance.performed_at is None
    # Reopened, its window long closed: missed until completed again, in the denominator.
    assert _hph2(db, team) == Counts(numerator=0, denominator=1, pending=0)
    with time_machine.travel(_at(date(2026, 3, 9), 10), tick=False):
        complete_checklist(
            db, viewer=viewer, instance_id=iid, performed_at=_at(date(2026, 3, 9), 9)
        )
    assert _hph2(db, team) == Counts(numerator=0, denominator=1, pending=0)
    done = counts(
        db,
        "hph-2-completed",
        team=team,
        period="week",
        first=W10,
        last=W10 + timedelta(6),
        now=_at(date(2026, 3, 20), 12),
    )
    assert done[W10] == Counts(numerator=1, denominator=1, pending=0)
    history = db.exec(
        select(ChecklistStatusChange)
        .where(ChecklistStatusChange.instance_id == iid)
        .order_by(col(ChecklistStatusChange.id))
    ).all()
    assert [(h.action, h.reason) for h in history] == [
        ("completed", None),
        ("reopened", "Wrong patient's weight"),
        ("completed", None),
    ]
    assert history[0].performed_at == _at(date(2026, 3, 3), 11)
    assert history[1].performed_at == _at(date(2026, 3, 3), 11)
    assert history[2].performed_at == _at(date(2026, 3, 9), 9)
    assert {h.user_id for h in history} == {viewer.user_id}


def test_reopen_is_refused_without_reason_or_when_not_completed(db: Session, visit) -> None:
    _team, _nurse, viewer, _patient, instance = visit
    iid = int(instance.id or 0)
    with pytest.raises(ReopenRefused, match="Only a completed checklist"):
        reopen_checklist(db, viewer=viewer, instance_id=iid, reason="typo")
    complete_checklist(db, viewer=viewer, instance_id=iid, performed_at=_at(date(2026, 3, 3), 11))
    with pytest.raises(ReopenRefused, match="Say why"):
        reopen_checklist(db, viewer=viewer, instance_id=iid, reason="  ")


def test_api_reopen_needs_the_current_version_and_keeps_answer_versions(
    db: Session, client: TestClient, visit
) -> None:
    _team, nurse, viewer, patient, instance = visit
    iid = int(instance.id or 0)
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, nurse)
    done = client.post(
        f"/api/v1/checklists/{iid}/complete",
        json={"performed_at": _at(date(2026, 3, 3), 11).isoformat()},
    ).json()
    stale = client.post(
        f"/api/v1/checklists/{iid}/reopen", json={"reason": "typo", "version": done["version"] - 1}
    )
    assert stale.status_code == 409 and "changed the checklist meanwhile" in stale.json()["detail"]
    assert (
        client.post(
            f"/api/v1/checklists/{iid}/reopen", json={"reason": "", "version": done["version"]}
        ).status_code
        == 422
    )
    reopened = client.post(
        f"/api/v1/checklists/{iid}/reopen",
        json={"reason": "Medication was not checked", "version": done["version"]},
    )
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "missed"  # open again, its window long closed
    assert reopened.json()["performed_at"] is None
    changed = client.put(
        f"/api/v1/checklists/{iid}/answers/medication_at_home", json={"value": "no", "version": 1}
    )
    assert changed.status_code == 200
    values = db.exec(
        select(ChecklistAnswerRevision.value)
        .where(ChecklistAnswerRevision.instance_id == iid)
        .order_by(col(ChecklistAnswerRevision.version))
    ).all()
    assert values == ["yes", "no"]
    audit = db.exec(
        select(AuditEntry).where(
            AuditEntry.patient_id == patient.id, AuditEntry.what == "checklist hph-2 reopened"
        )
    ).one()
    assert audit.user_id == viewer.user_id and "Medication was not checked" in (audit.detail or "")


def test_a_nurse_of_another_team_cannot_reopen(db: Session, client: TestClient, visit) -> None:
    _team, _nurse, viewer, _patient, instance = visit
    iid = int(instance.id or 0)
    complete_checklist(db, viewer=viewer, instance_id=iid, performed_at=_at(date(2026, 3, 3), 11))
    stranger = make_user(db, role="nurse", team=make_team(db))
    sign_in_client(client, stranger)
    answer = client.post(f"/api/v1/checklists/{iid}/reopen", json={"reason": "x", "version": 3})
    assert answer.status_code == 404


def test_completed_page_is_read_only_says_who_and_offers_reopen(
    db: Session, client: TestClient, visit
) -> None:
    _team, nurse, _viewer, _patient, instance = visit
    iid = int(instance.id or 0)
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, nurse)
    when = _at(date(2026, 3, 3), 11).strftime("%Y-%m-%dT%H:%M")
    done = client.post(f"/checklists/{iid}/complete", data={"performed_at": when})
    assert done.status_code == 200 and str(done.url).endswith(f"/checklists/{iid}?completed=1")
    page = done.text
    assert f"HPH 2 – First home visit completed by {nurse.display_name} at" in page
    items = page[page.index('class="items"') : page.index('id="record"')]
    assert "<input" not in items and "<textarea" not in items
    assert '<p class="answer-text">Yes</p>' in items
    assert f"Completed by {nurse.display_name}." in page
    assert f'action="/checklists/{iid}/reopen"' in page
    refused = client.post(f"/checklists/{iid}/reopen", data={"reason": ""})
    assert refused.status_code == 422 and "Reason" in refused.text
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version is not None
    reopened = client.post(
        f"/checklists/{iid}/reopen", data={"reason": "Wrong answer", "version": version.group(1)}
    )
    assert reopened.status_code == 200
    assert 'name="value"' in reopened.text and "Wrong answer" in reopened.text


def test_only_the_completer_or_the_instance_team_may_reopen() -> None:
    from app.checklists.corrections import may_reopen
    from app.checklists.models import ChecklistInstance
    from app.org.scope import Grant, Viewer

    def nurse(user_id: int, team_id: int) -> Viewer:
        grant = Grant("nurse", "team", team_id, "Team", frozenset({team_id}), 1)
        return Viewer(user_id, f"n{user_id}@example.no", "N", "en", (grant,))

    instance = ChecklistInstance(team_id=1, completed_by_id=7)  # type: ignore[call-arg]
    assert may_reopen(nurse(8, 1), instance)  # a member of the checklist's team
    assert may_reopen(nurse(7, 2), instance)  # who completed it, since moved to another team
    assert not may_reopen(nurse(9, 2), instance)  # sees the patient through its own team only

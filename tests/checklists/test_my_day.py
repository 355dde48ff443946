"""My day: the nurse's own patients or the whole team's, by patient, filtered by when, paged."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.checklists.day_plan import PAGE_SIZE, my_day
from app.checklists.service import save_answer
from app.core.config import get_settings
from app.goals.models import Goal, WhatMattersConversation
from app.org.scope import resolve_viewer
from app.pathways.events import record_event
from tests.factories import make_patient, make_team, make_user, pathway_of, sign_in_client

NOW = datetime.now(UTC)  # the pages ask for the present


@pytest.fixture
def ward(db: Session):  # type: ignore[no-untyped-def]
    """Two nurses of one team: Anne discharged one patient ten days ago, Berit another today."""
    team = make_team(db)
    anne, berit = make_user(db, role="nurse", team=team), make_user(db, role="nurse", team=team)
    patients = []
    for nurse, label, ago in ((anne, "AN-1 1930", 10), (berit, "BE-2 1931", 0)):
        patient = make_patient(db, team, label=label)
        created = record_event(
            db,
            viewer=resolve_viewer(db, nurse),
            pathway_id=int(pathway_of(db, patient).id or 0),
            kind="hospital_discharge",
            occurred_at=NOW - timedelta(days=ago, hours=1),
            now=NOW,
        )[1]
        patients.append((patient, created))
    return team, anne, berit, patients


def _labels(day) -> set[str]:  # type: ignore[no-untyped-def]
    return {p.patient_label for p in day.patients}


def test_mine_is_the_patients_i_worked_on_and_team_is_everyone(db: Session, ward) -> None:  # type: ignore[no-untyped-def]
    _team, anne, _berit, patients = ward
    viewer = resolve_viewer(db, anne)
    assert _labels(my_day(db, viewer=viewer, now=NOW, who="mine")) == {"AN-1 1930"}
    assert _labels(my_day(db, viewer=viewer, now=NOW, who="team")) == {"AN-1 1930", "BE-2 1931"}
    # Anne answers one of Berit's patient's checklists: that patient is now hers too.
    theirs = next(i for i in patients[1][1] if i.definition_id == "hph-2")
    save_answer(
        db,
        viewer=viewer,
        instance_id=int(theirs.id or 0),
        item_id="fall_last_year",
        value="no",
        expected_version=0,
        now=NOW,
    )
    assert _labels(my_day(db, viewer=viewer, now=NOW, who="mine")) == {"AN-1 1930", "BE-2 1931"}


def test_overdue_items_show_days_overdue_and_filters_count(db: Session, ward) -> None:  # type: ignore[no-untyped-def]
    _team, anne, _berit, _patients = ward
    viewer = resolve_viewer(db, anne)
    every = my_day(db, viewer=viewer, now=NOW, who="team")
    assert every.counts["overdue"] >= 1
    assert sum(every.counts.values()) == len(every.items) and every.not_shown == 0
    today = NOW.astimezone(get_settings().zone).date()
    for item in every.items:
        assert item.when == (
            "overdue" if item.window_end < NOW else "today" if item.window_start <= NOW else "week"
        )
        assert item.days_overdue == ((today - item.due_date).days if item.when == "overdue" else 0)
    assert any(item.days_overdue > 0 for item in every.overdue)
    late = my_day(db, viewer=viewer, now=NOW, who="team", when="overdue")
    assert {i.when for i in late.items} == {"overdue"} and len(late.items) == every.counts[
        "overdue"
    ]
    assert _labels(late) == {"AN-1 1930"}  # Berit's patient was discharged today


def test_one_card_per_patient_with_what_matters_once(client: TestClient, db: Session, ward) -> None:  # type: ignore[no-untyped-def]
    _team, anne, _berit, patients = ward
    pathway = pathway_of(db, patients[0][0])
    db.add(
        WhatMattersConversation(
            pathway_id=int(pathway.id or 0),
            held_on=NOW.date(),
            patient_words="Å kunne gå til butikken selv",
            participants=["patient"],
        )
    )
    db.add(Goal(pathway_id=int(pathway.id or 0), position=1, activity="Gå trappa"))
    db.flush()
    sign_in_client(client, anne)
    page = client.get("/my-day?who=mine")
    assert page.status_code == 200
    assert page.text.count('class="patient-work"') == 1
    assert page.text.count("Å kunne gå til butikken selv") == 1 and "Gå trappa" in page.text
    opened = [
        i for i in patients[0][1] if i.status == "due" and i.window_end >= NOW - timedelta(days=14)
    ]
    assert len(re.findall(r'href="/checklists/\d+"', page.text)) >= 1
    assert any(f"/checklists/{i.id}" in page.text for i in opened)
    api = client.get("/api/v1/my-day?who=mine").json()
    assert api["patients"][0]["words"] == "Å kunne gå til butikken selv"
    assert api["patients"][0]["goals"] == ["Gå trappa"]


def test_my_day_is_paged_by_patient_with_a_count_of_what_is_not_shown(
    client: TestClient, db: Session
) -> None:  # type: ignore[no-untyped-def]
    team = make_team(db)
    nurse = make_user(db, role="nurse", team=team)
    viewer = resolve_viewer(db, nurse)
    now = datetime.now(UTC)
    for n in range(PAGE_SIZE + 3):
        patient = make_patient(db, team, label=f"PG-{n:02d} 1940")
        record_event(
            db,
            viewer=viewer,
            pathway_id=int(pathway_of(db, patient).id or 0),
            kind="hospital_discharge",
            occurred_at=now - timedelta(hours=1 + n),
            now=now,
        )
    sign_in_client(client, nurse)
    client.cookies.set("hph_lang", "en")
    first = client.get("/my-day?who=team&sort=patient")
    assert first.text.count('class="patient-work"') == PAGE_SIZE
    assert "PG-00 1940" in first.text and f"PG-{PAGE_SIZE:02d} 1940" not in first.text
    assert "page=2" in first.text and "more checklists on other pages" in first.text
    second = client.get("/my-day?who=team&sort=patient&page=2")
    assert (
        second.text.count('class="patient-work"') == 3 and f"PG-{PAGE_SIZE:02d} 1940" in second.text
    )
    beyond = client.get("/my-day?who=team&sort=patient&page=99")  # the last page, not an empty one
    assert beyond.status_code == 200 and beyond.text.count('class="patient-work"') == 3
    api = client.get("/api/v1/my-day?who=team&page=1").json()
    assert (api["page"], api["pages"], api["total_patients"]) == (1, 2, PAGE_SIZE + 3)
    shown = len(api["overdue"]) + len(api["open_now"]) + len(api["coming_up"])
    assert api["not_shown"] == sum(api["counts"].values()) - shown > 0
    assert client.get("/api/v1/my-day?who=nobody").status_code == 422

"""Hospital events in: a Bundle of Encounters schedules what the same events typed by hand do."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from sqlmodel import Session, col, select

from app.fhir.ingest_models import IncomingEncounter
from app.pathways.events import correct_event, record_event
from app.pathways.models import Pathway, PathwayEvent
from tests.factories import make_patient, make_team, nurse_with_pathway
from tests.fhir.ingest_helpers import (
    bundle,
    encounter,
    new_token,
    post_bundle,
    schedule_of,
)

OSLO = ZoneInfo("Europe/Oslo")
NOW = "2026-03-10 10:00:00+01:00"


@pytest.fixture()
def frozen() -> Iterator[None]:
    """'Now' is after the stays of these tests."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture()
def ward(db: Session, frozen: None):  # type: ignore[no-untyped-def]
    """A team with a nurse, two patients with open pathways (one for hand, one for the
    Bundle) and a token of their organisation."""
    team, _nurse, viewer, by_hand, hand_pathway = nurse_with_pathway(db)
    by_hand.local_reference = "HAND-1"
    imported = make_patient(db, team, with_pathway=False, local_reference="R-100")
    pathway = Pathway(patient_id=int(imported.id or 0), started_on=hand_pathway.started_on)
    db.add(pathway)
    db.flush()
    secret = new_token(db, int(team.organisation_id))
    return {
        "team": team,
        "viewer": viewer,
        "hand_pathway": hand_pathway,
        "pathway": pathway,
        "secret": secret,
    }


def events_of(db: Session, pathway_id: int) -> list[tuple[str, str, datetime]]:
    """A pathway's events: kind, status and time."""
    db.expire_all()
    rows = db.exec(
        select(PathwayEvent)
        .where(PathwayEvent.pathway_id == pathway_id)
        .order_by(col(PathwayEvent.occurred_at))
    ).all()
    return [(e.kind, e.status, e.occurred_at) for e in rows]


def statuses(response: Any) -> list[str]:
    """The per-entry statuses of a batch-response, after validating it as an R4B Bundle."""
    body = response.json()
    Bundle.model_validate(body)
    return [e["response"]["status"] for e in body["entry"]]


def test_an_imported_stay_schedules_exactly_what_the_same_stay_typed_by_hand_does(
    bare_client: TestClient, db: Session, ward: dict[str, Any]
) -> None:
    admitted = datetime(2026, 3, 1, 10, 0, tzinfo=OSLO)
    discharged = datetime(2026, 3, 4, 11, 30, tzinfo=OSLO)
    for kind, at in (("hospital_admission", admitted), ("hospital_discharge", discharged)):
        record_event(
            db, viewer=ward["viewer"], pathway_id=ward["hand_pathway"].id, kind=kind, occurred_at=at
        )
    db.flush()
    admission = encounter("E-1", "R-100", start="2026-03-01T10:00:00+01:00")
    first = post_bundle(bare_client, bundle(admission), ward["secret"])
    assert first.status_code == 200, first.text
    assert statuses(first) == ["201 Created"]
    finished = encounter("E-1", "R-100", status="finished", end="2026-03-04T11:30:00+01:00")
    second = post_bundle(bare_client, bundle(finished), ward["secret"])
    assert statuses(second) == ["201 Created"]
    by_hand = schedule_of(db, ward["hand_pathway"].id)
    assert by_hand, "the stay schedules checklists"
    assert schedule_of(db, ward["pathway"].id) == by_hand
    assert [e[:2] for e in events_of(db, ward["pathway"].id)] == [
        ("hospital_admission", "active"),
        ("hospital_discharge", "active"),
    ]


def test_sending_the_same_bundle_again_changes_nothing(
    bare_client: TestClient, db: Session, ward: dict[str, Any]
) -> None:
    stay = bundle(encounter("E-2", "R-100", status="finished", end="2026-03-04T11:30:00+01:00"))
    assert statuses(post_bundle(bare_client, stay, ward["secret"])) == ["201 Created"]
    before = (schedule_of(db, ward["pathway"].id), events_of(db, ward["pathway"].id))
    again = post_bundle(bare_client, stay, ward["secret"])
    assert statuses(again) == ["200 OK"]
    assert "nothing changes" in again.text
    assert (schedule_of(db, ward["pathway"].id), events_of(db, ward["pathway"].id)) == before
    assert len(db.exec(select(IncomingEncounter)).all()) == 1


def test_a_changed_period_corrects_the_event_like_a_correction_by_hand(
    bare_client: TestClient, db: Session, ward: dict[str, Any]
) -> None:
    event, _ = record_event(
        db,
        viewer=ward["viewer"],
        pathway_id=ward["hand_pathway"].id,
        kind="hospital_discharge",
        occurred_at=datetime(2026, 3, 4, 11, 30, tzinfo=OSLO),
    )
    correct_event(
        db,
        viewer=ward["viewer"],
        event_id=int(event.id or 0),
        occurred_at=datetime(2026, 3, 6, 9, 0, tzinfo=OSLO),
        expected_version=event.version,
    )
    stay = encounter("E-3", "R-100", status="finished", end="2026-03-04T11:30:00+01:00")
    post_bundle(bare_client, bundle(stay), ward["secret"])
    stay["period"]["end"] = "2026-03-06T09:00:00+01:00"
    moved = post_bundle(bare_client, bundle(stay), ward["secret"])
    assert statuses(moved) == ["200 OK"]
    assert "corrected" in moved.text
    assert schedule_of(db, ward["pathway"].id) == schedule_of(db, ward["hand_pathway"].id)


def test_entered_in_error_cancels_the_events_and_their_unfinished_checklists(
    bare_client: TestClient, db: Session, ward: dict[str, Any]
) -> None:
    stay = encounter("E-4", "R-100", status="finished", end="2026-03-04T11:30:00+01:00")
    post_bundle(bare_client, bundle(stay), ward["secret"])
    stay["status"] = "entered-in-error"
    response = post_bundle(bare_client, bundle(stay), ward["secret"])
    assert statuses(response) == ["200 OK"]
    assert [e[:2] for e in events_of(db, ward["pathway"].id)] == [
        ("hospital_discharge", "cancelled")
    ]
    assert {row[-1] for row in schedule_of(db, ward["pathway"].id)} == {"cancelled"}
    stay["status"] = "in-progress"
    again = post_bundle(bare_client, bundle(stay), ward["secret"])
    assert statuses(again) == ["409 Conflict"]


def test_an_unknown_patient_waits_in_the_review_list_and_the_outcome_says_so(
    bare_client: TestClient, db: Session, ward: dict[str, Any]
) -> None:
    response = post_bundle(bare_client, bundle(encounter("E-5", "NOBODY-9")), ward["secret"])
    assert statuses(response) == ["202 Accepted"]
    outcome = response.json()["entry"][0]["response"]["outcome"]
    assert outcome["issue"][0]["severity"] == "warning"
    assert "NOBODY-9" in outcome["issue"][0]["diagnostics"]
    assert "incoming events" in outcome["issue"][0]["diagnostics"]
    waiting = db.exec(select(IncomingEncounter)).one()
    assert (waiting.state, waiting.subject_value, waiting.patient_id) == (
        "waiting",
        "NOBODY-9",
        None,
    )


def test_in_a_batch_each_entry_stands_alone(
    bare_client: TestClient, db: Session, ward: dict[str, Any]
) -> None:
    backwards = encounter(
        "E-6",
        "R-100",
        status="finished",
        start="2026-03-05T10:00:00+01:00",
        end="2026-03-04T10:00:00+01:00",
    )
    good = encounter("E-7", "R-100", status="finished", end="2026-03-04T10:00:00+01:00")
    response = post_bundle(
        bare_client, bundle(backwards, {"resourceType": "Patient"}, good), ward["secret"]
    )
    assert statuses(response) == ["422 Unprocessable Entity", "400 Bad Request", "201 Created"]
    issues = [e["response"]["outcome"]["issue"][0] for e in response.json()["entry"]]
    assert issues[0]["expression"] == ["Bundle.entry[0].resource.period.end"]
    assert issues[1]["expression"] == ["Bundle.entry[1].resource.resourceType"]
    assert [e[0] for e in events_of(db, ward["pathway"].id)] == ["hospital_discharge"]


def test_a_transaction_is_all_or_nothing(
    bare_client: TestClient, db: Session, ward: dict[str, Any]
) -> None:
    good = encounter("E-8", "R-100", status="finished", end="2026-03-04T10:00:00+01:00")
    bad = encounter("E-9", "R-100", status="in-progress", start=None)
    response = post_bundle(bare_client, bundle(good, bad, kind="transaction"), ward["secret"])
    assert response.status_code == 422
    body = response.json()
    OperationOutcome.model_validate(body)
    assert body["issue"][1]["expression"] == ["Bundle.entry[1].resource.period.start"]
    assert events_of(db, ward["pathway"].id) == []
    assert db.exec(select(IncomingEncounter)).all() == []
    ok = post_bundle(bare_client, bundle(good, kind="transaction"), ward["secret"])
    assert ok.status_code == 200
    assert ok.json()["type"] == "transaction-response"
    assert statuses(ok) == ["201 Created"]


@pytest.mark.parametrize(
    ("body", "status", "expression"),
    [
        (b"{not json", 400, "Bundle"),
        (b'{"resourceType": "Patient"}', 400, "Bundle.resourceType"),
        (b'{"resourceType": "Bundle", "type": "collection"}', 400, "Bundle.type"),
        (b'{"resourceType": "Bundle", "type": "batch", "entry": {}}', 400, "Bundle.entry"),
        (b"\xff\xfe", 400, "Bundle"),
    ],
)
def test_an_unreadable_request_is_refused_with_its_place(
    bare_client: TestClient, ward: dict[str, Any], body: bytes, status: int, expression: str
) -> None:
    response = post_bundle(bare_client, body, ward["secret"])
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/fhir+json")
    outcome = response.json()
    OperationOutcome.model_validate(outcome)
    assert outcome["issue"][0]["expression"] == [expression]


def test_a_wrong_shape_names_the_element(bare_client: TestClient, ward: dict[str, Any]) -> None:
    broken = encounter("E-10", "R-100")
    broken["period"] = {"start": "yesterday"}
    response = post_bundle(bare_client, bundle(broken), ward["secret"])
    issue = response.json()["entry"][0]["response"]["outcome"]["issue"][0]
    assert issue["expression"] == ["Bundle.entry[0].resource.period.start"]
    assert response.json()["entry"][0]["response"]["status"] == "400 Bad Request"


def test_answers_are_in_the_language_the_system_asks_for(
    bare_client: TestClient, ward: dict[str, Any]
) -> None:
    english = post_bundle(bare_client, bundle(encounter("E-11", "NOBODY")), ward["secret"])
    norwegian = post_bundle(
        bare_client,
        bundle(encounter("E-12", "NOBODY")),
        ward["secret"],
        **{"accept-language": "nb-NO,nb;q=0.9"},
    )
    assert "No patient of" in english.text
    assert "No patient of" not in norwegian.text


def test_a_patient_named_by_another_organisations_team_is_refused(
    bare_client: TestClient, db: Session, ward: dict[str, Any]
) -> None:
    from app.fhir.clinical import local_reference_system

    other = make_team(db)
    make_patient(db, other, local_reference="R-100")
    named = encounter("E-13", "R-100", system=local_reference_system(int(other.id or 0)))
    response = post_bundle(bare_client, bundle(named), ward["secret"])
    assert statuses(response) == ["403 Forbidden"]
    issue = response.json()["entry"][0]["response"]["outcome"]["issue"][0]
    assert issue["expression"] == ["Bundle.entry[0].resource.subject.identifier.system"]


def test_a_discharge_before_the_admission_received_earlier_is_refused(
    bare_client: TestClient, db: Session, ward: dict[str, Any]
) -> None:
    admitted = encounter("E-14", "R-100", start="2026-03-05T10:00:00+01:00")
    assert statuses(post_bundle(bare_client, bundle(admitted), ward["secret"])) == ["201 Created"]
    early = encounter(
        "E-14", "R-100", status="finished", start=None, end="2026-03-04T10:00:00+01:00"
    )
    response = post_bundle(bare_client, bundle(early), ward["secret"])
    assert statuses(response) == ["422 Unprocessable Entity"]
    issue = response.json()["entry"][0]["response"]["outcome"]["issue"][0]
    assert issue["expression"] == ["Bundle.entry[0].resource.period.end"]
    assert "before the admission" in issue["diagnostics"]
    assert [e[0] for e in events_of(db, ward["pathway"].id)] == ["hospital_admission"]
    moved = encounter("E-14", "R-100", start="2026-03-03T08:00:00+01:00")
    assert statuses(post_bundle(bare_client, bundle(moved), ward["secret"])) == ["200 OK"]
    assert events_of(db, ward["pathway"].id)[0][2] == datetime(2026, 3, 3, 8, 0, tzinfo=OSLO)


@pytest.mark.parametrize(
    "period",
    [
        {"start": "0001-01-01T00:30:00+14:00"},
        {"start": "9999-12-31T23:59:59-12:00"},
        {"start": "0001-01-01"},
        {"start": "2026"},
        {"start": "2026-03-01T10:00:00+01:00", "end": "0001-01-01T00:00:00+14:00"},
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_refused_not_a_server_error(
    bare_client: TestClient, ward: dict[str, Any], period: dict[str, str]
) -> None:
    strange = encounter("E-15", "R-100")
    strange["period"] = period
    response = post_bundle(bare_client, bundle(strange), ward["secret"])
    assert response.status_code == 200, response.text
    assert statuses(response)[0][:1] == "4"


HOSTILE_ENTRIES: list[Any] = [
    [],
    "x",
    {"resource": []},
    {"resource": {"resourceType": "Encounter"}},
    {"request": "POST", "resource": encounter("H-1", "R-100")},
    {"request": {"method": "DELETE"}, "resource": encounter("H-2", "R-100")},
    {
        "resource": {
            **encounter("H-3", "R-100"),
            "identifier": [{"system": "s", "value": "v" * 500}],
        }
    },
    {"resource": {**encounter("H-4", "R-100"), "subject": {"reference": "Patient/1"}}},
    {"resource": {**encounter("H-5", "R-100"), "status": "unknown"}},
    {"resource": {**encounter("H-6", "R-100"), "class": {"code": "AMB"}}},
    {"resource": encounter("H-7", "R-100", start="2027-01-01T10:00:00+01:00")},
    {"resource": {**encounter("H-8", "R-100"), "period": None}},
    {"resource": {**encounter("H-9", "R-100"), "subject": {"identifier": {"value": "x" * 41}}}},
    {"resource": {**encounter("H-10", "R-100"), "identifier": [{"value": "no-system"}]}},
    {"resource": {**encounter("H-11", "R-100"), "period": {"start": 1e308}}},
]


@pytest.mark.parametrize("entry", HOSTILE_ENTRIES, ids=range(len(HOSTILE_ENTRIES)))
def test_a_hostile_entry_gets_its_own_4xx_outcome_with_a_place(
    bare_client: TestClient, db: Session, ward: dict[str, Any], entry: Any
) -> None:
    body = {"resourceType": "Bundle", "type": "batch", "entry": [entry]}
    response = post_bundle(bare_client, body, ward["secret"])
    assert response.status_code == 200, response.text
    assert statuses(response)[0][:1] == "4"
    issue = response.json()["entry"][0]["response"]["outcome"]["issue"][0]
    assert issue["expression"][0].startswith("Bundle.entry[0]") and issue["diagnostics"]
    assert events_of(db, ward["pathway"].id) == []

"""Events schedule checklists; corrections reschedule unfinished ones; done work stays."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlmodel import Session, select

from app.checklists.models import ChecklistInstance
from app.pathways.events import (
    EventConflict,
    EventRejected,
    cancel_event,
    correct_event,
    record_event,
)
from app.pathways.models import Pathway
from tests.factories import nurse_with_pathway

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 2, 10, 12, 0, tzinfo=OSLO)


def _instances(db: Session, pathway_id: int) -> dict[str, ChecklistInstance]:
    rows = db.exec(
        select(ChecklistInstance).where(ChecklistInstance.pathway_id == pathway_id)
    ).all()
    return {f"{r.definition_id}#{r.occurrence}": r for r in rows}


@pytest.fixture()
def setup(db: Session):  # type: ignore[no-untyped-def]
    return nurse_with_pathway(db, started_on=date(2026, 1, 5))


def test_discharge_schedules_checklists_for_the_responsible_team(db: Session, setup) -> None:
    team, _nurse, viewer, _patient, pathway = setup
    record_event(
        db,
        viewer=viewer,
        pathway_id=pathway.id,
        kind="hospital_admission",
        occurred_at=datetime(2026, 1, 15, 8, tzinfo=OSLO),
        now=NOW,
    )
    _event, created = record_event(
        db,
        viewer=viewer,
        pathway_id=pathway.id,
        kind="hospital_discharge",
        occurred_at=datetime(2026, 1, 20, 11, tzinfo=OSLO),
        now=NOW,
    )
    ids = sorted(i.definition_id for i in created)
    assert ids == ["halvarlig", "hph-1", "hph-2", "hph-3", "hph-4", "legemiddelsamstemming"]
    hph2 = _instances(db, pathway.id)["hph-2#0"]
    assert hph2.team_id == team.id
    assert (hph2.due_date, hph2.due_week, hph2.due_month) == (
        date(2026, 1, 23),
        date(2026, 1, 19),
        date(2026, 1, 1),
    )


def test_homecare_start_on_discharge_day_does_not_schedule_hph2_twice(db: Session, setup) -> None:
    _team, _nurse, viewer, _patient, pathway = setup
    record_event(
        db,
        viewer=viewer,
        pathway_id=pathway.id,
        kind="hospital_discharge",
        occurred_at=datetime(2026, 1, 20, 11, tzinfo=OSLO),
        now=NOW,
    )
    _event, created = record_event(
        db,
        viewer=viewer,
        pathway_id=pathway.id,
        kind="homecare_start",
        occurred_at=datetime(2026, 1, 20, 15, tzinfo=OSLO),
        now=NOW,
    )
    assert "hph-2" not in {i.definition_id for i in created}
    assert "ernaering" in {i.definition_id for i in created}


def test_correcting_a_discharge_moves_unfinished_checklists_and_keeps_done_work(
    db: Session, setup
) -> None:
    _team, _nurse, viewer, _patient, pathway = setup
    event, _created = record_event(
        db,
        viewer=viewer,
        pathway_id=pathway.id,
        kind="hospital_discharge",
        occurred_at=datetime(2026, 1, 20, 11, tzinfo=OSLO),
        now=NOW,
    )
    done = _instances(db, pathway.id)["hph-1#0"]
    done.status, done.performed_at = "completed", datetime(2026, 1, 20, 14, tzinfo=OSLO)
    db.add(done)
    db.flush()
    done_window = done.window_end
    _event, moved = correct_event(
        db,
        viewer=viewer,
        event_id=event.id,
        occurred_at=datetime(2026, 1, 27, 11, tzinfo=OSLO),
        expected_version=event.version,
        now=NOW,
    )
    instances = _instances(db, pathway.id)
    assert moved == len(instances) - 1
    assert instances["hph-1#0"].window_end == done_window
    assert instances["hph-1#0"].status == "completed"
    assert instances["hph-2#0"].due_date == date(2026, 1, 30)
    assert instances["hph-2#0"].due_month == date(2026, 1, 1)
    assert instances["hph-4#0"].due_date == date(2026, 2, 24)


def test_stale_correction_is_a_conflict(db: Session, setup) -> None:
    _team, _nurse, viewer, _patient, pathway = setup
    event, _ = record_event(
        db,
        viewer=viewer,
        pathway_id=pathway.id,
        kind="homecare_start",
        occurred_at=datetime(2026, 1, 6, 9, tzinfo=OSLO),
        now=NOW,
    )
    with pytest.raises(EventConflict):
        correct_event(
            db,
            viewer=viewer,
            event_id=event.id,
            occurred_at=datetime(2026, 1, 7, 9, tzinfo=OSLO),
            expected_version=event.version + 5,
            now=NOW,
        )


def test_cancelling_an_admission_cancels_its_open_checklist_but_keeps_a_completed_one(
    db: Session, setup
) -> None:
    _team, _nurse, viewer, _patient, pathway = setup
    first, _ = record_event(
        db,
        viewer=viewer,
        pathway_id=pathway.id,
        kind="hospital_admission",
        occurred_at=datetime(2026, 1, 15, 8, tzinfo=OSLO),
        now=NOW,
    )
    _event, cancelled = cancel_event(
        db,
        viewer=viewer,
        event_id=first.id,
        reason="Registrert på feil pasient",
        expected_version=first.version,
    )
    assert cancelled == 1
    assert _instances(db, pathway.id)["innleggelse#0"].status == "cancelled"
    second, _ = record_event(
        db,
        viewer=viewer,
        pathway_id=pathway.id,
        kind="hospital_admission",
        occurred_at=datetime(2026, 1, 25, 8, tzinfo=OSLO),
        now=NOW,
    )
    report = next(i for i in _instances(db, pathway.id).values() if i.event_id == second.id)
    report.status, report.performed_at = "completed", datetime(2026, 1, 25, 9, tzinfo=OSLO)
    db.add(report)
    db.flush()
    cancel_event(
        db, viewer=viewer, event_id=second.id, reason="Feil", expected_version=second.version
    )
    db.refresh(report)
    assert report.status == "completed"


def test_cancel_needs_a_reason(db: Session, setup) -> None:
    _team, _nurse, viewer, _patient, pathway = setup
    event, _ = record_event(
        db,
        viewer=viewer,
        pathway_id=pathway.id,
        kind="homecare_start",
        occurred_at=datetime(2026, 1, 6, 9, tzinfo=OSLO),
        now=NOW,
    )
    with pytest.raises(EventRejected):
        cancel_event(
            db, viewer=viewer, event_id=event.id, reason="  ", expected_version=event.version
        )


@pytest.mark.parametrize(
    ("events", "kind", "when", "message"),
    [
        ([], "homecare_start", datetime(2026, 3, 1, 9, tzinfo=OSLO), "in the future"),
        ([], "homecare_start", datetime(2025, 12, 1, 9, tzinfo=OSLO), "before the pathway started"),
        (
            [("hospital_admission", 15), ("hospital_discharge", 18)],
            "hospital_discharge",
            datetime(2026, 1, 20, 9, tzinfo=OSLO),
            "must follow a hospital admission",
        ),
        (
            [("hospital_admission", 15)],
            "hospital_admission",
            datetime(2026, 1, 20, 9, tzinfo=OSLO),
            "already admitted",
        ),
        ([("pathway_end", 20)], "home_visit", datetime(2026, 1, 25, 9, tzinfo=OSLO), "closed"),
    ],
)
def test_events_out_of_order_are_refused_with_a_reason(
    db: Session, setup, events, kind, when, message
) -> None:
    _team, _nurse, viewer, _patient, pathway = setup
    db.exec(select(Pathway)).all()
    for event_kind, day in events:
        record_event(
            db,
            viewer=viewer,
            pathway_id=pathway.id,
            kind=event_kind,
            occurred_at=datetime(2026, 1, day, 9, tzinfo=OSLO),
            now=NOW,
        )
    with pytest.raises(EventRejected, match=message):
        record_event(db, viewer=viewer, pathway_id=pathway.id, kind=kind, occurred_at=when, now=NOW)


def test_pathway_end_closes_the_pathway_and_cancels_later_checklists(db: Session, setup) -> None:
    _team, _nurse, viewer, _patient, pathway = setup
    with time_machine.travel(NOW, tick=False):
        record_event(
            db,
            viewer=viewer,
            pathway_id=pathway.id,
            kind="homecare_start",
            occurred_at=datetime(2026, 1, 6, 9, tzinfo=OSLO),
            now=NOW,
        )
        record_event(
            db,
            viewer=viewer,
            pathway_id=pathway.id,
            kind="pathway_end",
            occurred_at=datetime(2026, 1, 20, 9, tzinfo=OSLO),
            now=NOW,
        )
    db.refresh(pathway)
    assert pathway.status == "closed" and pathway.ended_on == date(2026, 1, 20)
    nutrition = [i for k, i in _instances(db, pathway.id).items() if k.startswith("ernaering")]
    later = [i for i in nutrition if i.window_start > datetime(2026, 1, 20, 9, tzinfo=OSLO)]
    assert later and all(i.status == "cancelled" for i in later)


def test_organisation_that_adopted_a_variant_gets_it_on_new_checklists(db: Session) -> None:
    from app.checklists.adoptions import BEGINNING
    from app.checklists.models import VariantAdoption
    from app.checklists.service import get_checklist
    from app.org.scope import resolve_viewer
    from tests.factories import make_organisation, make_patient, make_team, make_user, pathway_of

    organisation = make_organisation(db, slug="molde", name="Molde kommune")
    db.add(
        VariantAdoption(
            organisation_id=organisation.id,
            checklist_id="hph-1",
            variant="molde-utskrivning",
            starts_on=BEGINNING,
        )
    )
    team = make_team(db, organisation)
    viewer = resolve_viewer(db, make_user(db, role="nurse", team=team))
    pathway = pathway_of(db, make_patient(db, team))
    _event, created = record_event(
        db,
        viewer=viewer,
        pathway_id=pathway.id,
        kind="hospital_discharge",
        occurred_at=datetime(2026, 1, 20, 11, tzinfo=OSLO),
        now=NOW,
    )
    call = next(i for i in created if i.definition_id == "hph-1")
    assert call.variant == "molde-utskrivning"
    assert next(i for i in created if i.definition_id == "hph-2").variant is None
    items = [
        item.id for item in get_checklist(db, viewer=viewer, instance_id=call.id).definition.items
    ]
    assert "next_of_kin_informed" in items and "discharge_info_received" in items

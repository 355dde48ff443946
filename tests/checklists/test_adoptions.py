"""Local variants adopted by an organisation from a date: scheduling, checks, access, audit, API."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from app.checklists.adoptions import (
    AdoptionInvalid,
    AdoptionNotFound,
    adopt_variant,
    adoption_overview,
    variants_in_force,
)
from app.checklists.models import VariantAdoption
from app.core import migrate
from app.core.db import build_engine
from app.org.models import LearningNetwork
from app.org.scope import resolve_viewer
from app.pathways.events import record_event
from tests.factories import (
    make_network,
    make_organisation,
    make_patient,
    make_team,
    make_user,
    pathway_of,
    sign_in_client,
)

OSLO = ZoneInfo("Europe/Oslo")
MONDAY = datetime(2026, 3, 2, 10, tzinfo=OSLO)


@pytest.fixture
def world(db: Session):  # type: ignore[no-untyped-def]
    """Organisation O1 (network N) with a team and a nurse, its admin, and another org's admin."""
    network = make_network(db)
    o1, o2 = make_organisation(db, network), make_organisation(db, make_network(db))
    team = make_team(db, o1)
    nurse = make_user(db, role="nurse", team=team)
    admin = make_user(db, role="admin", organisation=o1)
    other_admin = make_user(db, role="admin", organisation=o2)
    return o1, o2, team, nurse, admin, other_admin


def _discharge(db: Session, team, nurse, now: datetime):  # type: ignore[no-untyped-def]
    """Record a discharge for a new patient of the team at ``now``; return the hph-1 instance."""
    pathway = pathway_of(db, make_patient(db, team))
    _event, created = record_event(
        db,
        viewer=resolve_viewer(db, nurse),
        pathway_id=int(pathway.id or 0),
        kind="hospital_discharge",
        occurred_at=now,
        now=now,
    )
    return next(i for i in created if i.definition_id == "hph-1")


def test_instances_created_before_the_adoption_date_keep_the_old_variant(
    db: Session, world
) -> None:  # type: ignore[no-untyped-def]
    o1, _o2, team, nurse, admin, _ = world
    adopt_variant(
        db,
        viewer=resolve_viewer(db, admin),
        organisation_id=int(o1.id or 0),
        checklist_id="hph-1",
        variant="molde-utskrivning",
        starts_on=date(2026, 3, 5),
        now=MONDAY,
    )
    before = _discharge(db, team, nurse, datetime(2026, 3, 4, 23, 30, tzinfo=OSLO))
    after = _discharge(db, team, nurse, datetime(2026, 3, 5, 0, 30, tzinfo=OSLO))
    assert before.variant is None
    assert after.variant == "molde-utskrivning"
    adopt_variant(
        db,
        viewer=resolve_viewer(db, admin),
        organisation_id=int(o1.id or 0),
        checklist_id="hph-1",
        variant=None,
        starts_on=date(2026, 3, 9),
        now=datetime(2026, 3, 6, 9, tzinfo=OSLO),
    )
    back = _discharge(db, team, nurse, datetime(2026, 3, 9, 8, tzinfo=OSLO))
    db.refresh(after)
    assert back.variant is None and after.variant == "molde-utskrivning"


def test_adopting_again_on_the_same_date_replaces_and_is_audited_before_and_after(
    db: Session, world
) -> None:  # type: ignore[no-untyped-def]
    o1, _o2, _team, _nurse, admin, _ = world
    viewer = resolve_viewer(db, admin)
    for variant in ("molde-utskrivning", None):
        adopt_variant(
            db,
            viewer=viewer,
            organisation_id=int(o1.id or 0),
            checklist_id="hph-1",
            variant=variant,
            starts_on=date(2026, 3, 5),
            now=MONDAY,
        )
    rows = db.exec(select(VariantAdoption).where(VariantAdoption.organisation_id == o1.id)).all()
    assert [(r.checklist_id, r.variant, r.starts_on) for r in rows] == [
        ("hph-1", None, date(2026, 3, 5))
    ]
    entries = db.exec(
        select(AuditEntry).where(AuditEntry.what.startswith("variant adoption"))  # type: ignore[attr-defined]
    ).all()
    details = [json.loads(e.detail or "{}") for e in entries]
    assert details[0]["before"] == {"checklist": "hph-1", "variant": None}
    assert details[0]["after"]["variant"] == "molde-utskrivning"
    assert details[1]["before"]["variant"] == "molde-utskrivning"
    assert details[1]["after"] == {"checklist": "hph-1", "variant": None, "starts_on": "2026-03-05"}


@pytest.mark.parametrize(
    ("checklist_id", "variant", "starts_on", "field", "words"),
    [
        ("hph-2", "molde-utskrivning", date(2026, 3, 5), "variant", "belongs to the checklist"),
        ("hph-1", "no-such-variant", date(2026, 3, 5), "variant", "There is no variant"),
        ("no-such-list", None, date(2026, 3, 5), "checklist_id", "There is no checklist"),
        ("hph-1", "molde-utskrivning", date(2026, 3, 1), "starts_on", "today or a later date"),
    ],
)
def test_bad_adoptions_are_refused_with_a_message_and_nothing_saved(
    db: Session,
    world,
    checklist_id: str,
    variant: str | None,
    starts_on: date,
    field: str,
    words: str,
) -> None:  # type: ignore[no-untyped-def]
    o1, _o2, _team, _nurse, admin, _ = world
    with pytest.raises(AdoptionInvalid) as caught:
        adopt_variant(
            db,
            viewer=resolve_viewer(db, admin),
            organisation_id=int(o1.id or 0),
            checklist_id=checklist_id,
            variant=variant,
            starts_on=starts_on,
            now=MONDAY,
        )
    assert words in caught.value.problems[field]
    assert db.exec(select(VariantAdoption)).all() == []


def test_only_administrators_of_the_organisation_or_its_network_adopt(db: Session, world) -> None:  # type: ignore[no-untyped-def]
    o1, _o2, team, nurse, _admin, other_admin = world
    network_admin = make_user(db, role="admin", network=db.get(LearningNetwork, o1.network_id))
    for user in (other_admin, nurse, make_user(db, role="admin", team=team)):
        with pytest.raises(AdoptionNotFound):
            adoption_overview(db, viewer=resolve_viewer(db, user), organisation_id=int(o1.id or 0))
        with pytest.raises(AdoptionNotFound):
            adopt_variant(
                db,
                viewer=resolve_viewer(db, user),
                organisation_id=int(o1.id or 0),
                checklist_id="hph-1",
                variant=None,
                starts_on=date(2026, 3, 5),
                now=MONDAY,
            )
    adopt_variant(
        db,
        viewer=resolve_viewer(db, network_admin),
        organisation_id=int(o1.id or 0),
        checklist_id="hph-1",
        variant="molde-utskrivning",
        starts_on=date(2026, 3, 5),
        now=MONDAY,
    )
    in_force = variants_in_force(db, organisation_id=int(o1.id or 0), on=date(2026, 3, 5))
    assert in_force == {"hph-1": "molde-utskrivning"}


def test_variant_api_adopts_and_refuses_another_organisation(client, db: Session, world) -> None:  # type: ignore[no-untyped-def]
    o1, o2, _team, _nurse, admin, _ = world
    sign_in_client(client, admin)
    today = datetime.now(OSLO).date().isoformat()
    url = f"/api/v1/organisations/{o1.id}/variant-adoptions"
    created = client.post(
        url, json={"checklist_id": "hph-1", "variant": "molde-utskrivning", "starts_on": today}
    )
    assert created.status_code == 201, created.text
    assert created.json()["variant"] == "molde-utskrivning"
    listed = client.get(url).json()
    hph1 = next(item for item in listed if item["checklist_id"] == "hph-1")
    assert hph1["in_force"] == "molde-utskrivning"
    assert [c["variant"] for c in hph1["choices"]][:2] == [None, "molde-utskrivning"]
    wrong = client.post(
        url, json={"checklist_id": "hph-2", "variant": "molde-utskrivning", "starts_on": today}
    )
    assert wrong.status_code == 422 and "hører til sjekklisten" in wrong.json()["detail"]
    other = client.post(
        f"/api/v1/organisations/{o2.id}/variant-adoptions",
        json={"checklist_id": "hph-1", "variant": None, "starts_on": today},
    )
    assert other.status_code == 404
    assert (
        "/api/v1/organisations/{organisation_id}/variant-adoptions"
        in (client.get("/api/openapi.json").json()["paths"])
    )


def test_variant_page_shows_choices_and_rerenders_refusals_in_norwegian(
    client, db: Session, world
) -> None:  # type: ignore[no-untyped-def]
    o1, _o2, _team, _nurse, admin, _ = world
    sign_in_client(client, admin)
    page = client.get(f"/admin/organisations/{o1.id}/variants")
    assert page.status_code == 200 and "molde-utskrivning" in page.text
    client.cookies.set("hph_lang", "nb")
    refused = client.post(
        f"/admin/organisations/{o1.id}/variants",
        data={"checklist_id": "hph-1", "variant": "molde-utskrivning", "starts_on": "2020-01-01"},
    )
    assert refused.status_code == 422
    assert "Velg i dag eller en senere dato" in refused.text
    saved = client.post(
        f"/admin/organisations/{o1.id}/variants",
        data={
            "checklist_id": "hph-1",
            "variant": "molde-utskrivning",
            "starts_on": datetime.now(OSLO).date().isoformat(),
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert db.exec(select(VariantAdoption)).one().variant == "molde-utskrivning"


def test_migration_turns_a_named_variant_into_an_adoption_from_the_beginning(
    fresh_database_url,
) -> None:  # type: ignore[no-untyped-def]
    url = fresh_database_url("sqlite")
    migrate.upgrade(url, "0005")
    engine = build_engine(url)
    stamp = "'2026-01-01 00:00:00'"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO learning_network (id, slug, name, region, created_at, updated_at)"
                f" VALUES (1, 'n', 'N', 'R', {stamp}, {stamp})"
            )
        )
        for org_id, slug in ((1, "molde"), (2, "bodo")):
            connection.execute(
                text(
                    "INSERT INTO organisation (id, network_id, slug, name, kind, created_at,"
                    f" updated_at) VALUES ({org_id}, 1, '{slug}', '{slug}', 'municipality',"
                    f" {stamp}, {stamp})"
                )
            )
    engine.dispose()
    migrate.upgrade(url)
    engine = build_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT organisation_id, checklist_id, variant, starts_on FROM variant_adoption")
        ).all()
    engine.dispose()
    assert [tuple(map(str, row)) for row in rows] == [
        ("1", "hph-1", "molde-utskrivning", "1970-01-01")
    ]

"""A small two-network world for the security tests: three teams, each with one patient's data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.checklists.in_use import catalogue_in_use
from app.checklists.service import save_answer
from app.core.hardening import CSRF_COOKIE, CSRF_HEADER
from app.fhir.ingest_models import IncomingEncounter
from app.fhir.tokens import TokenFields, create_token
from app.goals.service import create_goal, rate_goal, record_conversation
from app.measures.annotations import AnnotationFields, create_annotation
from app.measures.manual import ManualFields, create_manual_measure, save_value
from app.measures.models import PointExclusion
from app.org.models import Membership, Organisation, Team, User
from app.org.scope import resolve_viewer
from app.pathways.events import record_event
from app.pathways.models import PathwayEvent
from app.risks.models import FollowUp
from tests.conftest import csrf_token_for_tests
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
NOW = "2026-03-10 10:00:00+01:00"
CORE_MEASURE = "hph-1-on-time"
LABELS = {"A": "ZQ-A 1931", "B": "ZQ-B 1932", "C": "ZQ-C 1933"}
VALUE_PERIOD = "2026-W09"


@dataclass
class Owned:
    """The objects one team owns, by path-parameter kind."""

    name: str
    team: Team
    label: str
    patient_id: int = 0
    pathway_id: int = 0
    event_id: int = 0
    instance_id: int = 0
    item_id: str = ""
    conversation_id: int = 0
    goal_id: int = 0
    annotation_id: int = 0
    manual_measure_id: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def team_id(self) -> int:
        """The owning team's id."""
        return int(self.team.id or 0)


@dataclass
class World:
    """Teams A and B in organisation O1 (network N1), team C in O2 (network N2), and users
    (the admin administers network N1, the org_admin organisation O1)."""

    owners: dict[str, Owned]
    users: dict[str, User]


def _first_yes_no(definition_id: str) -> str:
    """The first yes/no item of a checklist definition (any first item when there is none)."""
    definition = catalogue_in_use().get(definition_id)
    for item in definition.items:
        if item.type == "yes_no" and item.show_if is None:
            return item.id
    return definition.items[0].id


def _fill_team(db: Session, owned: Owned) -> None:
    """Give a team a patient with a discharge, an answer, goals, an annotation and a measure."""
    builder = make_user(db, role="team", team=owned.team)
    viewer = resolve_viewer(db, builder)
    owned.extra["user_id"] = int(builder.id or 0)
    owned.extra["membership_id"] = int(
        db.exec(select(Membership.id).where(Membership.user_id == builder.id)).one() or 0
    )
    patient = make_patient(db, owned.team, label=owned.label)
    pathway = pathway_of(db, patient)
    owned.patient_id, owned.pathway_id = int(patient.id or 0), int(pathway.id or 0)
    event, instances = record_event(
        db,
        viewer=viewer,
        pathway_id=owned.pathway_id,
        kind="hospital_discharge",
        occurred_at=datetime(2026, 3, 2, 11, 0, tzinfo=OSLO),
    )
    assert instances, "a discharge schedules checklists"
    owned.event_id = int(event.id or 0)
    instance = instances[0]
    owned.instance_id = int(instance.id or 0)
    owned.item_id = _first_yes_no(instance.definition_id)
    save_answer(
        db,
        viewer=viewer,
        instance_id=owned.instance_id,
        item_id=owned.item_id,
        value="yes",
        expected_version=0,
    )
    visit = next(i for i in instances if i.definition_id == "hph-2")
    save_answer(
        db,
        viewer=viewer,
        instance_id=int(visit.id or 0),
        item_id="pressure_ulcer_risk",
        value="yes",
        expected_version=0,
    )
    owned.extra["follow_up_id"] = int(
        db.exec(select(FollowUp.id).where(FollowUp.instance_id == visit.id)).one() or 0
    )
    organisation = db.get(Organisation, owned.team.organisation_id)
    owned.extra["network_id"] = int(organisation.network_id if organisation else 0)
    _hospital_events(db, owned, organisation)
    conversation = record_conversation(
        db,
        viewer=viewer,
        pathway_id=owned.pathway_id,
        held_on=date(2026, 3, 3),
        participants=[],
        participants_other=None,
        patient_words=f"Walk to the shop ({owned.name})",
        could_not_answer=False,
        not_answered_reason=None,
        checklist_instance_id=None,
    )
    owned.conversation_id = conversation.id
    goal = create_goal(
        db,
        viewer=viewer,
        pathway_id=owned.pathway_id,
        activity="Walk to the shop",
        baseline_rating=3,
        rated_on=date(2026, 3, 3),
    )
    owned.goal_id = goal.id
    rating = rate_goal(db, viewer=viewer, goal_id=goal.id, rating=6, rated_on=date(2026, 3, 9))
    owned.extra["rating_id"] = int(rating.id or 0)
    annotation = create_annotation(
        db,
        viewer=viewer,
        team_id=owned.team_id,
        fields=AnnotationFields(happened_on=date(2026, 3, 1), title=f"Change {owned.name}"),
    )
    owned.annotation_id = int(annotation.id or 0)
    exclusion = PointExclusion(
        team_id=owned.team_id, measure_key="hph-2-on-time", period_type="month",
        period_start=date(2026, 2, 1), reason=f"Outage {owned.name}",
    )  # fmt: skip
    db.add(exclusion)
    db.flush()
    owned.extra["exclusion_id"] = int(exclusion.id or 0)
    measure = create_manual_measure(
        db,
        viewer=viewer,
        team_id=owned.team_id,
        fields=ManualFields(key=f"falls-{owned.name.lower()}", title=f"Falls {owned.name}"),
    )
    owned.manual_measure_id = int(measure.id or 0)
    save_value(
        db,
        viewer=viewer,
        measure_id=owned.manual_measure_id,
        period=VALUE_PERIOD,
        numerator=3,
        denominator=10,
    )
    db.flush()


def _hospital_events(db: Session, owned: Owned, organisation: Organisation | None) -> None:
    """An API token of the team's organisation and an encounter waiting in its review list."""
    assert organisation is not None
    token, _secret = create_token(
        db,
        actor=None,
        fields=TokenFields(organisation=organisation.slug, name=f"System {owned.name}"),
    )
    owned.extra["token_id"] = int(token.id or 0)
    waiting = IncomingEncounter(
        organisation_id=int(organisation.id or 0),
        identifier_system="urn:test:encounters",
        identifier_value=f"W-{owned.name}",
        subject_value=f"NEW-{owned.name}",
        status="in-progress",
        period_start=datetime(2026, 3, 5, 10, 0, tzinfo=OSLO),
    )
    db.add(waiting)
    db.flush()
    owned.extra["incoming_id"] = int(waiting.id or 0)


def build_world(db: Session) -> World:
    """Build the three teams' data and the four signed-in roles' users."""
    n1, n2 = make_network(db), make_network(db)
    o1, o2 = make_organisation(db, n1), make_organisation(db, n2)
    teams = {"A": make_team(db, o1), "B": make_team(db, o1), "C": make_team(db, o2)}
    owners = {name: Owned(name, team, LABELS[name]) for name, team in teams.items()}
    for owned in owners.values():
        _fill_team(db, owned)
    users = {
        "nurse": make_user(db, role="nurse", team=teams["A"]),
        "team": make_user(db, role="team", team=teams["A"]),
        "coordinator": make_user(db, role="coordinator", network=n1),
        "admin": make_user(db, role="admin", network=n1),
        "org_admin": make_user(db, role="admin", organisation=o1),
    }
    db.flush()
    return World(owners, users)


def browser(app) -> TestClient:  # type: ignore[no-untyped-def]
    """A client carrying a CSRF token like the `client` fixture's, English pages."""
    token = csrf_token_for_tests()
    test_client = TestClient(app, raise_server_exceptions=False)
    test_client.headers[CSRF_HEADER] = token
    test_client.cookies.set(CSRF_COOKIE, token)
    test_client.cookies.set("hph_lang", "en")
    return test_client


def signed_in(app, user: User | None) -> TestClient:  # type: ignore[no-untyped-def]
    """A browser signed in as a user (anonymous when None)."""
    test_client = browser(app)
    if user is not None:
        sign_in_client(test_client, user)
        assert test_client.cookies.get(CSRF_COOKIE)
    return test_client


def events_of(db: Session, pathway_id: int) -> list[PathwayEvent]:
    """A pathway's events (for tests that need more than the first)."""
    from sqlmodel import select

    return list(db.exec(select(PathwayEvent).where(PathwayEvent.pathway_id == pathway_id)).all())

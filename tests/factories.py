"""Factories for test rows: small functions that fill in sensible defaults."""

from __future__ import annotations

import itertools
from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.security import hash_password
from app.org.models import LearningNetwork, Membership, Organisation, Team, User
from app.pathways.models import Pathway, Patient

PASSWORD = "correct horse battery"
_counter = itertools.count(1)
_hash_cache: dict[str, str] = {}


def _n() -> int:
    return next(_counter)


def make_network(db: Session, **fields: object) -> LearningNetwork:
    """A learning network."""
    n = _n()
    network = LearningNetwork(slug=f"net-{n}", name=f"Network {n}", region="Midt", **fields)
    db.add(network)
    db.flush()
    return network


def make_organisation(
    db: Session, network: LearningNetwork | None = None, **fields: object
) -> Organisation:
    """A municipality in a network."""
    network = network or make_network(db)
    n = _n()
    values: dict[str, object] = {"slug": f"org-{n}", "name": f"Kommune {n}", "kind": "municipality"}
    values.update(fields)
    organisation = Organisation(network_id=int(network.id or 0), **values)  # type: ignore[arg-type]
    db.add(organisation)
    db.flush()
    return organisation


def make_team(db: Session, organisation: Organisation | None = None, **fields: object) -> Team:
    """A home-care team."""
    organisation = organisation or make_organisation(db)
    n = _n()
    team = Team(
        organisation_id=int(organisation.id or 0), slug=f"team-{n}", name=f"Team {n}", **fields
    )  # type: ignore[arg-type]
    db.add(team)
    db.flush()
    return team


def make_user(
    db: Session,
    *,
    role: str | None = None,
    team: Team | None = None,
    organisation: Organisation | None = None,
    network: LearningNetwork | None = None,
    password: str = PASSWORD,
    **fields: object,
) -> User:
    """A user, with one membership when a role and a scope are given."""
    n = _n()
    if password not in _hash_cache:
        _hash_cache[password] = hash_password(password)
    values: dict[str, object] = {
        "email": f"user{n}@example.no",
        "display_name": f"User {n}",
        "password_hash": _hash_cache[password],
        "language": "en",
    }
    values.update(fields)
    user = User(**values)  # type: ignore[arg-type]
    db.add(user)
    db.flush()
    if role:
        if team is not None:
            scope = {"scope_kind": "team", "team_id": team.id}
        elif organisation is not None:
            scope = {"scope_kind": "organisation", "organisation_id": organisation.id}
        elif network is not None:
            scope = {"scope_kind": "network", "network_id": network.id}
        else:
            raise ValueError("a role needs a team, organisation or network")
        db.add(Membership(user_id=int(user.id or 0), role=role, **scope))  # type: ignore[arg-type]
        db.flush()
    return user


def make_patient(
    db: Session, team: Team, *, with_pathway: bool = True, **fields: object
) -> Patient:
    """A pseudonymous patient of a team, with an open pathway by default."""
    n = _n()
    values: dict[str, object] = {"label": f"P.{n} 1940", "birth_year": 1940}
    values.update(fields)
    patient = Patient(team_id=int(team.id or 0), **values)  # type: ignore[arg-type]
    db.add(patient)
    db.flush()
    if with_pathway:
        db.add(Pathway(patient_id=int(patient.id or 0), started_on=date(2026, 1, 5)))
        db.flush()
    return patient


def sign_in_client(client: TestClient, user: User, password: str = PASSWORD) -> TestClient:
    """Sign a test client in through the JSON API."""
    response = client.post("/api/v1/session", json={"email": user.email, "password": password})
    assert response.status_code == 200, response.text
    return client


def pathway_of(db: Session, patient: Patient) -> Pathway:
    """The (first) pathway of a patient made by make_patient."""
    from sqlmodel import select

    return db.exec(select(Pathway).where(Pathway.patient_id == patient.id)).one()


def nurse_with_pathway(db: Session, started_on: date = date(2026, 1, 5)):  # type: ignore[no-untyped-def]
    """A nurse, their team and a patient with an open pathway (and its responsible team)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from app.org.scope import resolve_viewer
    from app.pathways.models import PathwayTeam

    team = make_team(db)
    nurse = make_user(db, role="nurse", team=team)
    patient = make_patient(db, team, with_pathway=False)
    pathway = Pathway(patient_id=int(patient.id or 0), started_on=started_on)
    db.add(pathway)
    db.flush()
    start = datetime.combine(started_on, datetime.min.time(), ZoneInfo("Europe/Oslo"))
    db.add(PathwayTeam(pathway_id=int(pathway.id or 0), team_id=int(team.id or 0), from_at=start))
    db.flush()
    return team, nurse, resolve_viewer(db, nurse), patient, pathway

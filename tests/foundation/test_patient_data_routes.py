"""Every route declares whether it shows patient data; every patient-data read is audited.

The route table is walked like the access-rule test does: a route must carry PATIENT_DATA or
NO_PATIENT_DATA (app.audit.patient_data), on itself or its router, and every GET declared as
patient data, called by someone allowed to, leaves an audit entry naming the patient.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.audit.models import AuditEntry
from app.audit.patient_data import patient_data_use_of, patient_of_path
from app.core.deps import access_rule_of
from app.main import create_app
from tests.factories import make_team, make_user, nurse_with_pathway, sign_in_client
from tests.foundation.test_route_access import UNDECLARED_BY_DESIGN, all_routes
from tests.security.test_access_matrix import PATIENT_LEVEL, QUERY_RESOLVERS, RESOLVERS
from tests.security.world import CORE_MEASURE, NOW, build_world, signed_in

PATIENT_PATHS = ("/patients", "/pathways", "/checklists", "/my-day", "/events", "/goals")


def _declared() -> dict[str, str | None]:
    """'METHODS path' → what the route declares about patient data."""
    declared = {}
    for route in all_routes(create_app()):
        use = patient_data_use_of(route.dependant)
        declared[f"{sorted(route.methods)} {route.path}"] = use.describe() if use else None
    return declared


def test_every_route_declares_whether_it_shows_patient_data() -> None:
    routes = [r for r in all_routes(create_app()) if r.path not in UNDECLARED_BY_DESIGN]
    assert len(routes) > 30
    undeclared = sorted(
        f"{sorted(r.methods)} {r.path}" for r in routes if patient_data_use_of(r.dependant) is None
    )
    assert undeclared == [], "add dependencies=[PATIENT_DATA] or [NO_PATIENT_DATA]"


def test_routes_on_patient_records_are_declared_patient_data() -> None:
    wrong = []
    for name, use in _declared().items():
        path = name.split(" ", 1)[1]
        params = set(re.findall(r"{(\w+)}", path))
        on_patients = bool(params & PATIENT_LEVEL) or path.startswith(
            tuple(p for prefix in PATIENT_PATHS for p in (prefix, f"/api/v1{prefix}"))
        )
        if (on_patients or path.endswith(("/items", "/periods/{period}"))) and (
            use != "patient data"
        ):
            wrong.append(name)
    assert wrong == []


def _new_entries(db: Session, after: int) -> list[AuditEntry]:
    """Audit entries written after an id."""
    db.expire_all()
    return list(db.exec(select(AuditEntry).where(col(AuditEntry.id) > after)).all())


def _newest_id(db: Session) -> int:
    return int(db.exec(select(func.coalesce(func.max(AuditEntry.id), 0))).one())


@pytest.fixture()
def frozen() -> Iterator[None]:
    """The security world's 'now'."""
    with time_machine.travel(NOW, tick=False):
        yield


def test_every_patient_data_read_is_audited_with_its_patient(app, db: Session, frozen) -> None:  # type: ignore[no-untyped-def]
    world = build_world(db)
    owned = world.owners["A"]
    clients: dict[str, TestClient] = {}
    problems, checked = [], 0
    for route in all_routes(app):
        use = patient_data_use_of(route.dependant)
        if "GET" not in route.methods or use is None or not use.patient_data:
            continue
        rule = access_rule_of(route.dependant)
        allowed = rule.roles if rule is not None and rule.roles else ("nurse",)
        role = next(r for r in ("nurse", "team", "admin") if r in allowed)
        if role not in clients:
            clients[role] = signed_in(app, world.users[role])
        url = route.path
        for name in re.findall(r"{(\w+)}", route.path):
            value = CORE_MEASURE if name == "measure_id" else RESOLVERS[name](owned, route.path)
            url = url.replace("{" + name + "}", value)
        names = {p.name for p in route.dependant.query_params}
        query = {n: fill(owned, route.path) for n, fill in QUERY_RESOLVERS.items() if n in names}
        before = _newest_id(db)
        response = clients[role].get(url, params=query, follow_redirects=False)
        checked += 1
        entries = _new_entries(db, before)
        if response.status_code != 200:
            problems.append(f"{role} GET {url}: {response.status_code} {response.text[:120]}")
        elif not entries:
            problems.append(f"{role} GET {url}: no audit entry")
        elif set(re.findall(r"{(\w+)}", route.path)) & PATIENT_LEVEL and owned.patient_id not in {
            e.patient_id for e in entries
        }:
            problems.append(f"{role} GET {url}: audited without naming patient {owned.patient_id}")
    for client in clients.values():
        client.close()
    assert checked > 15
    assert problems == []


def test_reading_a_pathway_through_the_api_is_audited(client: TestClient, db: Session) -> None:
    _team, nurse, _viewer, patient, pathway = nurse_with_pathway(db)
    sign_in_client(client, nurse)
    before = _newest_id(db)
    response = client.get(f"/api/v1/pathways/{pathway.id}")
    assert response.status_code == 200
    entries = _new_entries(db, before)
    assert [(e.action, e.patient_id, e.user_email) for e in entries] == [
        ("read", patient.id, nurse.email)
    ]
    assert entries[0].what == "GET /api/v1/pathways/{pathway_id}"


def test_a_route_that_audits_itself_gets_no_second_entry(client: TestClient, db: Session) -> None:
    _team, nurse, _viewer, patient, _pathway = nurse_with_pathway(db)
    sign_in_client(client, nurse)
    before = _newest_id(db)
    assert client.get(f"/api/v1/patients/{patient.id}").status_code == 200
    assert [(e.what, e.patient_id) for e in _new_entries(db, before)] == [("patient", patient.id)]


def test_a_refused_read_writes_no_entry_for_the_patient(client: TestClient, db: Session) -> None:
    _team, _nurse, _viewer, _patient, pathway = nurse_with_pathway(db)
    outsider = make_user(db, role="nurse", team=make_team(db))
    sign_in_client(client, outsider)
    before = _newest_id(db)
    assert client.get(f"/api/v1/pathways/{pathway.id}").status_code == 404
    assert _new_entries(db, before) == []


def test_the_marker_finds_the_patient_behind_every_kind_of_path(db: Session, frozen) -> None:  # type: ignore[no-untyped-def]
    owned = build_world(db).owners["B"]
    for name in sorted(PATIENT_LEVEL):
        value = RESOLVERS[name](owned, "")
        assert patient_of_path(db, {name: value}) == owned.patient_id, name
    assert patient_of_path(db, {"pathway_id": "999999"}) is None
    assert patient_of_path(db, {"team_id": str(owned.team_id)}) is None

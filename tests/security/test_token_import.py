"""The token-authenticated import (`POST /fhir/R4/`) against everyone who should be refused:
no token, a bad one, a revoked one, another organisation's, and a person's session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from fhir.resources.R4B.operationoutcome import OperationOutcome
from sqlmodel import Session, col, func, select

from app.audit.models import AuditEntry
from app.fhir.clinical import local_reference_system
from app.fhir.ingest_models import ApiToken, IncomingEncounter
from app.fhir.tokens import revoke_token, token_hash
from app.pathways.models import PathwayEvent, Patient
from tests.fhir.ingest_helpers import bundle, encounter, new_token, post_bundle
from tests.security.world import NOW, World, build_world, signed_in

ROLES = ("nurse", "team", "coordinator", "admin", "org_admin")


@pytest.fixture()
def world(db: Session) -> Iterator[World]:
    """The security world (A and B in organisation O1, C in O2), at its frozen 'now'."""
    with time_machine.travel(NOW, tick=False):
        yield build_world(db)


def _stay_for(db: Session, world: World, owner: str) -> dict[str, Any]:
    """A Bundle with an admission for the owner team's patient, named by its team's system."""
    owned = world.owners[owner]
    patient = db.get(Patient, owned.patient_id)
    assert patient is not None
    patient.local_reference = f"REF-{owner}"
    db.add(patient)
    db.flush()
    system = local_reference_system(owned.team_id)
    stay = encounter(
        f"S-{owner}", f"REF-{owner}", system=system, start="2026-03-05T10:00:00+01:00"
    )  # an admission after the world's discharge
    return bundle(stay)


def _events(db: Session) -> int:
    db.expire_all()
    return int(db.exec(select(func.count()).select_from(PathwayEvent)).one())


def _refused(response: Any, status: int) -> dict[str, Any]:
    """A refusal: the status, the FHIR media type, a valid OperationOutcome."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    OperationOutcome.model_validate(body)
    return body


def test_without_a_valid_token_nothing_is_imported(
    app, db: Session, world: World, bare_client: TestClient
) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        body = _stay_for(db, world, "A")
        secret = new_token(db, int(world.owners["A"].team.organisation_id))
        token = db.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(secret))).one()
        before = _events(db)
        no_token = _refused(post_bundle(bare_client, body, None), 401)
        assert no_token["issue"][0]["expression"] == ["Authorization"]
        assert post_bundle(bare_client, body, None).headers["www-authenticate"].startswith("Bearer")
        _refused(post_bundle(bare_client, body, "hph_not-a-token"), 401)
        _refused(post_bundle(bare_client, body, secret[:-1]), 401)
        basic = bare_client.post(
            "/fhir/R4/", content=b"{}", headers={"authorization": f"Basic {secret}"}
        )
        _refused(basic, 401)
        revoke_token(db, actor=None, token_id=int(token.id or 0))
        db.flush()
        revoked = _refused(post_bundle(bare_client, body, secret), 401)
        assert "revoked" in revoked["issue"][0]["diagnostics"]
        assert _events(db) == before
        refusals = db.exec(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "sign_in_failed")
        ).one()
        assert refusals == 3  # every refused token (not a missing one) is in the audit log


def test_another_organisations_token_cannot_touch_its_patients(
    app, db: Session, world: World, bare_client: TestClient
) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        body = _stay_for(db, world, "A")
        other = new_token(db, int(world.owners["C"].team.organisation_id))  # organisation O2
        before = _events(db)
        response = post_bundle(bare_client, body, other)
        assert response.json()["entry"][0]["response"]["status"] == "403 Forbidden"
        plain = bundle(
            encounter("S-X", "REF-A", status="finished", end="2026-03-06T10:00:00+01:00")
        )
        waits = post_bundle(bare_client, plain, other)  # the same reference, no team named
        assert waits.json()["entry"][0]["response"]["status"] == "202 Accepted"
        assert _events(db) == before
        record = db.exec(
            select(IncomingEncounter).where(IncomingEncounter.identifier_value == "S-X")
        ).one()
        assert record.organisation_id == world.owners["C"].team.organisation_id
        transaction = dict(body, type="transaction")
        _refused(post_bundle(bare_client, transaction, other), 403)


@pytest.mark.parametrize("role", ROLES)
def test_a_persons_session_never_opens_the_import(
    app, db: Session, world: World, role: str
) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        body = _stay_for(db, world, "A")
        before = _events(db)
        person = signed_in(app, world.users[role])
        as_json = person.post("/fhir/R4/", json=body)
        as_fhir = person.post(
            "/fhir/R4/",
            content=str(body).encode(),
            headers={"content-type": "application/fhir+json"},
        )
        as_form = person.post("/fhir/R4/", data={"resourceType": "Bundle"})
        person.close()
        for response in (as_json, as_fhir, as_form):
            assert response.status_code in (401, 403), response.text
        _refused(as_json, 401)
        assert _events(db) == before


def test_the_right_token_imports_and_is_audited_as_a_system(
    app, db: Session, world: World, bare_client: TestClient
) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        body = _stay_for(db, world, "B")  # team B, organisation O1
        secret = new_token(db, int(world.owners["A"].team.organisation_id), name="DIPS")
        mark = int(db.exec(select(func.coalesce(func.max(AuditEntry.id), 0))).one())
        response = post_bundle(bare_client, body, secret)
        assert response.json()["entry"][0]["response"]["status"] == "201 Created", response.text
        db.expire_all()
        entries = db.exec(
            select(AuditEntry).where(col(AuditEntry.id) > mark).order_by(col(AuditEntry.id))
        ).all()
        token = db.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(secret))).one()
        assert token.last_used_at is not None
    assert entries[0].action == "sign_in" and "DIPS" in (entries[0].user_email or "")
    event_entries = [e for e in entries if e.what.startswith("event")]
    assert event_entries and {e.role for e in event_entries} == {"system"}
    assert {e.patient_id for e in event_entries} == {world.owners["B"].patient_id}
    assert {e.user_id for e in entries} == {None}

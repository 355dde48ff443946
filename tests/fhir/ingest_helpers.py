"""Shared pieces of the hospital-events-in tests: encounters, bundles, a token."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.checklists.models import ChecklistInstance
from app.fhir.tokens import TokenFields, create_token
from app.org.models import Organisation, Team

HOSPITAL = "urn:oid:2.16.578.1.12.4.1.2.12345"  # a hospital's encounter numbers
IMP = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"}


def encounter(
    number: str,
    reference: str,
    *,
    status: str = "in-progress",
    start: str | None = "2026-03-01T10:00:00+01:00",
    end: str | None = None,
    system: str | None = None,
) -> dict[str, Any]:
    """An inpatient Encounter for the patient with this local reference."""
    period = {k: v for k, v in (("start", start), ("end", end)) if v}
    subject: dict[str, Any] = {"value": reference}
    if system:
        subject["system"] = system
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "identifier": [{"system": HOSPITAL, "value": number}],
        "status": status,
        "class": IMP,
        "subject": {"identifier": subject},
    }
    if period:
        resource["period"] = period
    return resource


def bundle(*resources: dict[str, Any], kind: str = "batch") -> dict[str, Any]:
    """A batch (or transaction) Bundle of these resources."""
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [
            {"resource": r, "request": {"method": "POST", "url": "Encounter"}} for r in resources
        ],
    }


def new_token(db: Session, organisation_id: int, name: str = "DIPS") -> str:
    """A fresh token's secret for an organisation (created at the command line)."""
    organisation = db.get(Organisation, organisation_id)
    assert organisation is not None
    _token, secret = create_token(
        db, actor=None, fields=TokenFields(organisation=organisation.slug, name=name)
    )
    db.flush()
    return secret


def post_bundle(client: TestClient, body: Any, secret: str | None, **headers: str) -> Any:
    """POST a Bundle to /fhir/R4/ as a system (no cookies), with the token if given."""
    sent = {"content-type": "application/fhir+json", **headers}
    if secret:
        sent["authorization"] = f"Bearer {secret}"
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/fhir/R4/", content=data, headers=sent)


def schedule_of(db: Session, pathway_id: int) -> list[tuple[Any, ...]]:
    """What a pathway's checklists are: definition, occurrence, window, due date and status."""
    db.expire_all()
    rows = db.exec(
        select(ChecklistInstance)
        .where(ChecklistInstance.pathway_id == pathway_id)
        .order_by(col(ChecklistInstance.window_start), col(ChecklistInstance.definition_id))
    ).all()
    return [
        (
            r.definition_id,
            r.definition_version,
            r.variant,
            r.occurrence,
            r.window_start,
            r.window_end,
            r.due_date,
            r.status,
        )
        for r in rows
    ]


def organisation_of(db: Session, team: Team) -> int:
    """The id of a team's organisation."""
    return int(team.organisation_id)

"""Every route says whether it shows or changes patient data; those that do are always audited.

A route declares one of two markers among its dependencies (on the route or its router):

- ``PATIENT_DATA``: the route reads or writes patient data. The marker is a dependency that
  watches the request's transaction: when the route succeeds and no service it called wrote
  an audit entry, the marker writes one itself ("GET /api/v1/pathways/{pathway_id}", the
  patient found from the path), so no read is left out of the log, whatever a route forgets.
- ``NO_PATIENT_DATA``: the route never returns or changes patient data (sign-in, aggregates).

``tests/foundation/test_patient_data_routes.py`` walks the route table: every route declares
one, and every patient-data route leaves an audit entry naming the right patient.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import audit_mark, audited_since, record
from app.core.deps import SessionDep


@dataclass(frozen=True)
class PatientDataUse:
    """Whether a route shows or changes patient data."""

    patient_data: bool

    def describe(self) -> str:
        """The declaration in a few words, for the route table and its test."""
        return "patient data" if self.patient_data else "no patient data"


def patient_of_path(session: Session, params: Mapping[str, Any]) -> int | None:
    """The patient a route's path names directly or through one of their records."""
    from app.checklists.models import ChecklistInstance
    from app.goals.models import Goal, GoalRating, WhatMattersConversation
    from app.pathways.models import Pathway, PathwayEvent, Patient
    from app.risks.models import FollowUp

    def number(name: str) -> int | None:
        value = str(params.get(name, ""))
        return int(value) if value.isdigit() else None

    if (patient_id := number("patient_id")) is not None:
        return session.exec(select(Patient.id).where(Patient.id == patient_id)).first()
    if (rating_id := number("rating_id")) is not None:
        return session.exec(
            select(Pathway.patient_id)
            .join(Goal, col(Goal.pathway_id) == col(Pathway.id))
            .join(GoalRating, col(GoalRating.goal_id) == col(Goal.id))
            .where(GoalRating.id == rating_id)
        ).first()
    through_pathway: list[tuple[str, Any, Any]] = [
        ("pathway_id", Pathway.id, None),
        ("instance_id", ChecklistInstance.id, ChecklistInstance.pathway_id),
        ("event_id", PathwayEvent.id, PathwayEvent.pathway_id),
        ("goal_id", Goal.id, Goal.pathway_id),
        ("conversation_id", WhatMattersConversation.id, WhatMattersConversation.pathway_id),
        ("follow_up_id", FollowUp.id, FollowUp.pathway_id),
    ]
    for name, key, pathway_key in through_pathway:
        if (value := number(name)) is None:
            continue
        query = select(Pathway.patient_id).where(key == value)
        if pathway_key is not None:
            query = query.join(key.class_, col(pathway_key) == col(Pathway.id))
        return session.exec(query).first()
    return None


def audit_patient_data(request: Request, session: SessionDep) -> Iterator[None]:
    """This route shows or changes patient data: a successful call always leaves an entry."""
    mark = audit_mark(session)
    yield
    if audited_since(session, mark):
        return
    viewer = getattr(request.state, "viewer", None)
    route = request.scope.get("route")
    what = f"{request.method} {getattr(route, 'path', request.url.path)}"
    params = dict(request.path_params)
    record(
        session,
        viewer=viewer,
        action=AuditAction.read,  # what it shows; the services audit the writes themselves
        what=what,
        patient_id=patient_of_path(session, params),
        detail=" ".join(f"{k}={v}" for k, v in sorted(params.items())) or None,
    )


def no_patient_data() -> None:
    """This route never returns or changes patient data."""


audit_patient_data.patient_data_use = PatientDataUse(True)  # type: ignore[attr-defined]
no_patient_data.patient_data_use = PatientDataUse(False)  # type: ignore[attr-defined]
# scope="function": the entry is written before the session dependency commits.
PATIENT_DATA = Depends(audit_patient_data, scope="function")
NO_PATIENT_DATA = Depends(no_patient_data)


def patient_data_use_of(dependant: Any) -> PatientDataUse | None:
    """What a route declares about patient data (patient data wins over a router's default)."""
    found: list[PatientDataUse] = []
    stack = [dependant]
    while stack:
        current = stack.pop()
        use = getattr(current.call, "patient_data_use", None)
        if use is not None:
            found.append(use)
        stack.extend(current.dependencies)
    if not found:
        return None
    return PatientDataUse(any(use.patient_data for use in found))

"""The GP review summary as a FHIR `collection` Bundle, for the GP's own system.

The same summary as the printable page (``gp_summary``): the patient and the pathway, the
medication QuestionnaireResponses, the open follow-ups as Tasks and the patient's active
PSFS goals. Every read is audited by the services it goes through, and the handover itself
as one more entry.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from app.audit.models import AuditAction
from app.audit.service import record
from app.core.db import utcnow
from app.fhir import clinical, service
from app.fhir.outcome import BASE
from app.gp.service import gp_summary
from app.org.scope import Viewer
from app.pathways.events import responsible_team
from app.pathways.models import Patient
from app.risks.service import FollowUpView

OWNER_TEXT = {"gp": "Fastlege", "home_care": "Hjemmetjenesten"}
FOLLOW_UP_CODES = f"{BASE}/CodeSystem/risk-rule"


def follow_up_task(view: FollowUpView, patient: Patient) -> dict[str, Any]:
    """An open follow-up as a Task: what to do, by whom, by when, and the answers behind it."""
    follow_up = view.follow_up
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": f"follow-up-{follow_up.id}",
        "meta": {"lastUpdated": clinical.instant(follow_up.updated_at)},
        "status": "failed" if view.status == "missed" else "ready",
        "businessStatus": {"text": view.status},
        "intent": "plan",
        "code": {"coding": [{"system": FOLLOW_UP_CODES, "code": follow_up.rule_id}]},
        "for": clinical.patient_reference(patient),
        "owner": {"display": OWNER_TEXT.get(follow_up.owner, follow_up.owner)},
        "restriction": {
            "period": {
                "start": clinical.instant(follow_up.window_start),
                "end": clinical.instant(follow_up.window_end),
            }
        },
        "reasonReference": {"reference": f"QuestionnaireResponse/{follow_up.instance_id}"},
        "authoredOn": clinical.instant(follow_up.created_at),
    }
    if view.rule is not None:
        resource["code"]["text"] = view.rule.title.nb
        resource["description"] = view.rule.action.nb
    return resource


def _entry(resource: dict[str, Any], base: str) -> dict[str, Any]:
    """A Bundle entry; follow-ups, which cannot be read on their own, get a stable urn."""
    if resource["id"].startswith("follow-up-"):
        name = f"{BASE}/{resource['id']}"
        full_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"
    else:
        full_url = f"{base}/{resource['resourceType']}/{resource['id']}"
    return {"fullUrl": full_url, "resource": resource}


def gp_summary_bundle(
    session: Session, *, viewer: Viewer, pathway_id: int, base: str
) -> dict[str, Any]:
    """The GP review summary of a pathway of the viewer's teams as a collection Bundle."""
    summary = gp_summary(session, viewer=viewer, pathway_id=pathway_id)
    patient = session.get(Patient, summary.patient_id)
    assert patient is not None  # gp_summary found the pathway's patient
    team = responsible_team(session, pathway=summary.pathway, patient=patient, at=utcnow())
    resources = [
        clinical.patient_resource(patient),
        clinical.episode_resource(summary.pathway, patient, team),
    ]
    for section in summary.medication:
        _task, response = service.read_instance(
            session, viewer=viewer, instance_id=str(section.instance_id)
        )
        if response is not None:
            resources.append(response)
    resources += [follow_up_task(view, patient) for view in summary.follow_ups]
    resources += service.pathway_goals(session, pathway_id=pathway_id, patient=patient)
    record(
        session,
        viewer=viewer,
        action=AuditAction.read,
        what="FHIR GP summary",
        patient_id=patient.id,
        detail=f"pathway {pathway_id}",
    )
    return {
        "resourceType": "Bundle",
        "id": f"gp-summary-{pathway_id}",
        "type": "collection",
        "timestamp": clinical.instant(utcnow()),
        "identifier": {"system": f"{BASE}/gp-summary", "value": str(pathway_id)},
        "entry": [_entry(resource, base) for resource in resources],
    }

"""Patient data as FHIR resources: pure functions from the stored rows (access checked before)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from app.checklists.catalogue import ChecklistDefinition
from app.checklists.models import ChecklistAnswer, ChecklistInstance, InstanceStatus
from app.checklists.service import effective_status
from app.fhir.definitions import team_reference
from app.fhir.outcome import BASE
from app.fhir.questionnaires import QuestionnaireEntry, item_type, option_coding, yes_no_coding
from app.goals.models import Goal, GoalRating, GoalStatus, ScaleDirection
from app.pathways.models import Pathway, Patient

OBSERVATION_CODES = f"{BASE}/CodeSystem/observation"
SCALE_SYSTEM = f"{BASE}/CodeSystem/psfs-scale-direction"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
ACHIEVEMENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/goal-achievement"
TASK_STATUS = {
    "due": "ready",
    "in_progress": "in-progress",
    "completed": "completed",
    "not_applicable": "cancelled",
    "cancelled": "cancelled",
    "missed": "failed",
}
GOAL_LIFECYCLE = {
    GoalStatus.active.value: "active",
    GoalStatus.achieved.value: "completed",
    GoalStatus.changed.value: "cancelled",
    GoalStatus.dropped.value: "cancelled",
}


def instant(moment: datetime) -> str:
    """An aware datetime as a FHIR instant."""
    return moment.isoformat()


def local_reference_system(team_pk: int) -> str:
    """The system of a team's local patient references (never a national identity number)."""
    return f"{BASE}/NamingSystem/team-{team_pk}/local-reference"


def patient_reference(patient: Patient) -> dict[str, Any]:
    """A reference to the patient, with the pseudonymous label."""
    return {"reference": f"Patient/{patient.id}", "display": patient.label}


def _meta(updated_at: datetime) -> dict[str, Any]:
    return {"lastUpdated": instant(updated_at)}


def patient_resource(patient: Patient) -> dict[str, Any]:
    """A pseudonymous patient: the label as an anonymous name, the team's local reference."""
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.id),
        "meta": _meta(patient.updated_at),
        "active": True,
        "name": [{"use": "anonymous", "text": patient.label}],
        "managingOrganization": team_reference(patient.team_id),
    }
    if patient.local_reference:
        resource["identifier"] = [
            {
                "use": "usual",
                "system": local_reference_system(patient.team_id),
                "value": patient.local_reference,
                "assigner": team_reference(patient.team_id),
            }
        ]
    if patient.birth_year:
        resource["birthDate"] = str(patient.birth_year)
    return resource


def episode_resource(pathway: Pathway, patient: Patient, team_pk: int) -> dict[str, Any]:
    """A pathway as an EpisodeOfCare, managed by the team responsible for it now."""
    start = pathway.started_on.isoformat()
    period: dict[str, Any] = {"start": start}
    history: list[dict[str, Any]] = [{"status": "active", "period": {"start": start}}]
    if pathway.ended_on is not None:
        end = pathway.ended_on.isoformat()
        period["end"] = end
        history = [
            {"status": "active", "period": {"start": start, "end": end}},
            {"status": "finished", "period": {"start": end}},
        ]
    status = "finished" if pathway.status == "closed" else "active"
    return {
        "resourceType": "EpisodeOfCare",
        "id": str(pathway.id),
        "meta": _meta(pathway.updated_at),
        "status": status,
        "statusHistory": history,
        "type": [{"text": "HPH – helhetlig pasientforløp i hjemmet"}],
        "patient": patient_reference(patient),
        "managingOrganization": team_reference(team_pk),
        "period": period,
    }


def task_resource(
    instance: ChecklistInstance,
    patient: Patient,
    entry: QuestionnaireEntry | None,
    has_response: bool,
) -> dict[str, Any]:
    """A due checklist as a Task: its status, due window and the Questionnaire to fill."""
    status = effective_status(instance)
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": str(instance.id),
        "meta": _meta(instance.updated_at),
        "status": TASK_STATUS[status],
        "businessStatus": {"text": status},
        "intent": "order",
        "description": entry.definition.title.nb if entry else instance.definition_id,
        "for": patient_reference(patient),
        "owner": team_reference(instance.team_id),
        "authoredOn": instant(instance.created_at),
        "restriction": {
            "period": {"start": instant(instance.window_start), "end": instant(instance.window_end)}
        },
    }
    if entry is not None:
        resource["focus"] = {
            "reference": f"Questionnaire/{entry.resource_id}",
            "display": entry.canonical,
        }
    if instance.not_applicable_reason:
        resource["statusReason"] = {"text": instance.not_applicable_reason}
    if instance.performed_at:
        resource["executionPeriod"] = {"end": instant(instance.performed_at)}
    if has_response:
        resource["output"] = [
            {
                "type": {"text": "QuestionnaireResponse"},
                "valueReference": {"reference": f"QuestionnaireResponse/{instance.id}"},
            }
        ]
    return resource


def has_response(instance: ChecklistInstance, answers: Sequence[ChecklistAnswer]) -> bool:
    """Whether a checklist has been started: something answered, or in progress or done."""
    started = (InstanceStatus.in_progress.value, InstanceStatus.completed.value)
    return instance.status in started or any(a.value not in (None, "", []) for a in answers)


def response_status(instance: ChecklistInstance, answers: Sequence[ChecklistAnswer]) -> str:
    """in-progress while filled, completed when done, amended when changed after completion."""
    status = effective_status(instance)
    if status == "completed":
        done = instance.recorded_at or instance.performed_at
        changed = any(done is not None and a.answered_at > done for a in answers)
        return "amended" if changed else "completed"
    if status in ("due", "in_progress", "missed"):
        return "in-progress"
    return "stopped"


def _answers(item_kind: str, item: Any, value: Any) -> list[dict[str, Any]]:
    """The FHIR answers of one stored value."""
    if value == "not_relevant":
        return [{"valueCoding": yes_no_coding("not_relevant")}]
    if item.type == "yes_no":
        return [{"valueCoding": yes_no_coding(str(value))}]
    if item_kind == "choice":
        values = value if isinstance(value, list) else [value]
        return [{"valueCoding": option_coding(item, str(v))} for v in values]
    if item_kind == "integer":
        return [{"valueInteger": int(value)}]
    if item_kind == "decimal":
        return [{"valueDecimal": value}]
    if item_kind == "date":
        return [{"valueDate": date.fromisoformat(str(value)[:10]).isoformat()}]
    return [{"valueString": str(value)}]


def response_resource(
    instance: ChecklistInstance,
    patient: Patient,
    definition: ChecklistDefinition,
    entry: QuestionnaireEntry | None,
    answers: Sequence[ChecklistAnswer],
) -> dict[str, Any]:
    """A filled checklist as a QuestionnaireResponse on its Questionnaire's canonical|version."""
    by_item = {a.item_id: a for a in answers if a.value not in (None, "", [])}
    items = []
    for item in definition.items:
        answer = by_item.get(item.id)
        if answer is not None:
            items.append(
                {
                    "linkId": item.id,
                    "text": item.label.nb,
                    "answer": _answers(item_type(item), item, answer.value),
                }
            )
    authored = instance.performed_at or max((a.answered_at for a in answers), default=None)
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": str(instance.id),
        "meta": _meta(max([instance.updated_at, *(a.updated_at for a in answers)])),
        "basedOn": [{"reference": f"Task/{instance.id}"}],
        "status": response_status(instance, answers),
        "subject": patient_reference(patient),
    }
    if items:
        resource["item"] = items
    if entry is not None:
        resource["questionnaire"] = entry.canonical
    if authored is not None:
        resource["authored"] = instant(authored)
    return resource


def achievement(goal: Goal, ratings: Sequence[GoalRating]) -> str:
    """How the goal is going, from its first and latest rating on the scale's direction."""
    if goal.status == GoalStatus.achieved.value:
        return "achieved"
    if len(ratings) < 2:
        return "in-progress"
    first, last = ratings[0], ratings[-1]
    change = last.rating - first.rating
    if last.scale_direction == ScaleDirection.lower_is_better.value:
        change = -change
    return "improving" if change > 0 else "worsening" if change < 0 else "no-change"


def goal_resource(goal: Goal, patient: Patient, ratings: Sequence[GoalRating]) -> dict[str, Any]:
    """A PSFS goal in the patient's own words, with its lifecycle and how it is going."""
    code = achievement(goal, ratings)
    resource: dict[str, Any] = {
        "resourceType": "Goal",
        "id": str(goal.id),
        "meta": _meta(goal.updated_at),
        "lifecycleStatus": GOAL_LIFECYCLE[goal.status],
        "achievementStatus": {"coding": [{"system": ACHIEVEMENT_SYSTEM, "code": code}]},
        "description": {"text": goal.activity},
        "subject": patient_reference(patient),
        "expressedBy": patient_reference(patient),
        "outcomeReference": [{"reference": f"Observation/{r.id}"} for r in ratings],
    }
    if ratings:
        resource["startDate"] = ratings[0].rated_on.isoformat()
    if goal.target_rating is not None or goal.target_date is not None:
        target: dict[str, Any] = {"measure": {"text": "PSFS 0–10"}}
        if goal.target_rating is not None:
            target["detailInteger"] = goal.target_rating
        if goal.target_date is not None:
            target["dueDate"] = goal.target_date.isoformat()
        resource["target"] = [target]
    if goal.status_reason:
        resource["statusReason"] = goal.status_reason
    if goal.plan:
        resource["note"] = [{"text": goal.plan}]
    return resource


def observation_resource(rating: GoalRating, goal: Goal, patient: Patient) -> dict[str, Any]:
    """A PSFS rating 0–10, with the direction of the scale it was taken on."""
    higher = rating.scale_direction == ScaleDirection.higher_is_better.value
    direction = "10 = klarer aktiviteten som før" if higher else "0 = klarer aktiviteten som før"
    return {
        "resourceType": "Observation",
        "id": str(rating.id),
        "meta": _meta(rating.updated_at),
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY_SYSTEM, "code": "survey"}]}],
        "code": {
            "coding": [{"system": OBSERVATION_CODES, "code": "psfs-rating"}],
            "text": "PSFS: hvor godt klarer du aktiviteten nå (0–10)",
        },
        "subject": patient_reference(patient),
        "focus": [{"reference": f"Goal/{goal.id}", "display": goal.activity}],
        "effectiveDateTime": rating.rated_on.isoformat(),
        "valueInteger": rating.rating,
        "method": {
            "coding": [{"system": SCALE_SYSTEM, "code": rating.scale_direction}],
            "text": direction,
        },
        "referenceRange": [{"low": {"value": 0}, "high": {"value": 10}, "text": direction}],
    }

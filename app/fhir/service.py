"""Loading what a FHIR read or search shows: the viewer's access checked, every read audited.

Reads go through the services the pages and the JSON API use (``get_patient``, ``get_pathway``,
``get_checklist``, ``visible_goal``), so the FHIR face obeys the same rules and leaves the same
entries in the access log. A search names its patient; one the viewer may not see gives an
empty searchset (existence is private).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from app.audit.models import AuditAction
from app.audit.service import record
from app.checklists.in_use import catalogue_in_use
from app.checklists.models import ChecklistAnswer, ChecklistInstance
from app.checklists.service import get_checklist
from app.core.db import utcnow
from app.core.i18n import _
from app.fhir import clinical
from app.fhir.outcome import FhirProblem
from app.fhir.questionnaires import entry_for_instance
from app.goals.access import audit_access, visible_goal
from app.goals.errors import NotVisible
from app.goals.models import Goal, GoalRating, GoalStatus
from app.org.scope import Viewer
from app.pathways.events import get_pathway, responsible_team
from app.pathways.models import Pathway, Patient
from app.pathways.service import PatientNotFound, get_patient, patient_pathways

Resource = dict[str, Any]


def not_found() -> FhirProblem:
    """The one answer for what does not exist and what the viewer may not see."""
    return FhirProblem(404, _("The resource was not found."))


def row_id(text: str) -> int:
    """A database id from a FHIR id (404 for anything that cannot be one)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        raise not_found()
    return int(text)


def _searched_patient(session: Session, viewer: Viewer, patient: str, kind: str) -> Patient | None:
    """The patient a search names, audited, or None when the viewer may not see them."""
    try:
        found = get_patient(
            session, viewer=viewer, patient_id=row_id(patient.removeprefix("Patient/"))
        )
    except (PatientNotFound, FhirProblem):
        return None
    record(
        session,
        viewer=viewer,
        action=AuditAction.read,
        what=f"FHIR {kind} search",
        patient_id=found.id,
    )
    return found


def read_patient(session: Session, *, viewer: Viewer, patient_id: str) -> Resource:
    """One patient of the viewer's teams."""
    try:
        patient = get_patient(session, viewer=viewer, patient_id=row_id(patient_id))
    except PatientNotFound:
        raise not_found() from None
    return clinical.patient_resource(patient)


def _episode(session: Session, pathway: Pathway, patient: Patient) -> Resource:
    team = responsible_team(session, pathway=pathway, patient=patient, at=utcnow())
    return clinical.episode_resource(pathway, patient, team)


def read_episode(session: Session, *, viewer: Viewer, pathway_id: str) -> Resource:
    """One pathway of the viewer's teams as an EpisodeOfCare."""
    try:
        pathway, patient = get_pathway(session, viewer=viewer, pathway_id=row_id(pathway_id))
    except PatientNotFound:
        raise not_found() from None
    record(
        session,
        viewer=viewer,
        action=AuditAction.read,
        what="FHIR EpisodeOfCare",
        patient_id=patient.id,
        detail=f"pathway {pathway.id}",
    )
    return _episode(session, pathway, patient)


def search_episodes(session: Session, *, viewer: Viewer, patient: str) -> list[Resource]:
    """A patient's pathways."""
    found = _searched_patient(session, viewer, patient, "EpisodeOfCare")
    if found is None:
        return []
    return [
        _episode(session, pathway, found)
        for pathway in patient_pathways(session, patient_id=int(found.id or 0))
    ]


def _instance_resources(
    instance: ChecklistInstance, patient: Patient, answers: Sequence[ChecklistAnswer]
) -> tuple[Resource, Resource | None]:
    """A checklist instance's Task, and its QuestionnaireResponse once it has been started."""
    entry = entry_for_instance(
        instance.definition_id, instance.definition_version, instance.variant
    )
    started = clinical.has_response(instance, answers)
    task = clinical.task_resource(instance, patient, entry, started)
    if not started:
        return task, None
    definition = catalogue_in_use().resolve(
        instance.definition_id, instance.definition_version, instance.variant
    )
    return task, clinical.response_resource(instance, patient, definition, entry, answers)


def read_instance(
    session: Session, *, viewer: Viewer, instance_id: str
) -> tuple[Resource, Resource | None]:
    """One checklist of the viewer's teams: its Task and QuestionnaireResponse (audited)."""
    try:
        view = get_checklist(session, viewer=viewer, instance_id=row_id(instance_id))
    except PatientNotFound:
        raise not_found() from None
    return _instance_resources(view.instance, view.patient, list(view.answers.values()))


def search_instances(
    session: Session, *, viewer: Viewer, patient: str, kind: str
) -> list[tuple[Resource, Resource | None]]:
    """Every checklist on a patient's pathways, as Task and QuestionnaireResponse."""
    found = _searched_patient(session, viewer, patient, kind)
    if found is None:
        return []
    instances = session.exec(
        select(ChecklistInstance)
        .join(Pathway, col(Pathway.id) == col(ChecklistInstance.pathway_id))
        .where(Pathway.patient_id == found.id)
        .order_by(col(ChecklistInstance.window_end), col(ChecklistInstance.id))
    ).all()
    answers: dict[int, list[ChecklistAnswer]] = {}
    if instances:
        for answer in session.exec(
            select(ChecklistAnswer).where(
                col(ChecklistAnswer.instance_id).in_([i.id for i in instances])
            )
        ).all():
            answers.setdefault(answer.instance_id, []).append(answer)
    return [
        _instance_resources(instance, found, answers.get(int(instance.id or 0), []))
        for instance in instances
    ]


def _ratings(session: Session, goal_ids: Sequence[int]) -> dict[int, list[GoalRating]]:
    """Each goal's ratings, oldest first."""
    by_goal: dict[int, list[GoalRating]] = {goal_id: [] for goal_id in goal_ids}
    if goal_ids:
        for rating in session.exec(
            select(GoalRating)
            .where(col(GoalRating.goal_id).in_(goal_ids))
            .order_by(col(GoalRating.rated_on), col(GoalRating.id))
        ).all():
            by_goal[rating.goal_id].append(rating)
    return by_goal


def read_goal(session: Session, *, viewer: Viewer, goal_id: str) -> Resource:
    """One PSFS goal of the viewer's teams, with how it is going."""
    try:
        goal, _pathway, patient = visible_goal(session, viewer, row_id(goal_id))
    except NotVisible:
        raise not_found() from None
    audit_access(session, viewer, AuditAction.read, "FHIR Goal", patient, f"goal {goal.id}")
    return clinical.goal_resource(
        goal, patient, _ratings(session, [int(goal.id or 0)])[goal.id or 0]
    )


def _patient_goals(session: Session, patient: Patient) -> list[Goal]:
    return list(
        session.exec(
            select(Goal)
            .join(Pathway, col(Pathway.id) == col(Goal.pathway_id))
            .where(Pathway.patient_id == patient.id)
            .order_by(col(Goal.pathway_id), col(Goal.position), col(Goal.id))
        ).all()
    )


def pathway_goals(session: Session, *, pathway_id: int, patient: Patient) -> list[Resource]:
    """The active PSFS goals of one pathway (access checked by the caller)."""
    goals = [
        goal
        for goal in _patient_goals(session, patient)
        if goal.pathway_id == pathway_id and goal.status == GoalStatus.active.value
    ]
    ratings = _ratings(session, [int(g.id or 0) for g in goals])
    return [clinical.goal_resource(g, patient, ratings[int(g.id or 0)]) for g in goals]


def search_goals(session: Session, *, viewer: Viewer, patient: str) -> list[Resource]:
    """A patient's PSFS goals."""
    found = _searched_patient(session, viewer, patient, "Goal")
    if found is None:
        return []
    goals = _patient_goals(session, found)
    ratings = _ratings(session, [int(g.id or 0) for g in goals])
    return [clinical.goal_resource(g, found, ratings[int(g.id or 0)]) for g in goals]


def read_observation(session: Session, *, viewer: Viewer, rating_id: str) -> Resource:
    """One PSFS rating of a goal the viewer may see."""
    rating = session.get(GoalRating, row_id(rating_id))
    if rating is None:
        raise not_found()
    try:
        goal, _pathway, patient = visible_goal(session, viewer, rating.goal_id)
    except NotVisible:
        raise not_found() from None
    audit_access(
        session, viewer, AuditAction.read, "FHIR Observation", patient, f"rating {rating.id}"
    )
    return clinical.observation_resource(rating, goal, patient)


def search_observations(session: Session, *, viewer: Viewer, patient: str) -> list[Resource]:
    """Every PSFS rating of a patient's goals."""
    found = _searched_patient(session, viewer, patient, "Observation")
    if found is None:
        return []
    goals = _patient_goals(session, found)
    ratings = _ratings(session, [int(g.id or 0) for g in goals])
    return [
        clinical.observation_resource(rating, goal, found)
        for goal in goals
        for rating in ratings[int(goal.id or 0)]
    ]

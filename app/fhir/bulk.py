"""Every resource of a team's patients, streamed in id order for the bulk export.

Each type is one query read in partitions (``yield_per``: a server-side cursor on PostgreSQL,
``fetchmany`` chunks on SQLite), with what a partition needs besides (answers, ratings,
responsible teams) fetched per partition and nothing kept from one partition to the next, so
memory stays flat however many rows a team has. The resources are built by the same
functions as the API's (``clinical``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import exists, or_, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.checklists.catalogue import ChecklistDefinition
from app.checklists.in_use import catalogue_in_use
from app.checklists.models import ChecklistAnswer, ChecklistInstance, InstanceStatus
from app.core.db import utcnow
from app.fhir import clinical
from app.fhir.definitions import network_resource, organisation_resource, team_resource
from app.fhir.questionnaires import QuestionnaireEntry, entry_for_instance
from app.goals.models import Goal, GoalRating
from app.org.models import LearningNetwork, Organisation, Team
from app.pathways.models import Pathway, PathwayTeam, Patient

Resource = dict[str, Any]
Row = tuple[int, Resource]  # (patient id, resource)
PARTITION = 2000
STARTED = (InstanceStatus.in_progress.value, InstanceStatus.completed.value)


def prepare(session: Session) -> None:
    """Plan the export's cursors for reading every row, not for a fast first row.

    PostgreSQL plans a cursor for its first tenth (``cursor_tuple_fraction``): here that walks
    the whole instance table by id for each team instead of joining the team's pathways.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL cursor_tuple_fraction = 1"))


def _partitions(session: Session, statement: Any) -> Iterator[Sequence[Any]]:
    """The rows of a query, a partition at a time.

    The session's identity map holds unchanged objects weakly, so a partition's objects go
    as soon as the caller lets go of them.
    """
    yield from session.execute(statement.execution_options(yield_per=PARTITION)).partitions()


def organizations(session: Session, *, team_id: int, since: datetime | None) -> Iterator[Row]:
    """The team, its organisation and its learning network (always: they are small)."""
    del since  # organisations are the export's context, sent whatever changed
    team = session.get(Team, team_id)
    if team is None:
        return
    organisation = session.get(Organisation, team.organisation_id)
    network = session.get(LearningNetwork, organisation.network_id) if organisation else None
    if network is not None:
        yield 0, network_resource(network)
    if organisation is not None:
        yield 0, organisation_resource(organisation)
    yield 0, team_resource(team)


def patients(session: Session, *, team_id: int, since: datetime | None) -> Iterator[Row]:
    """The team's patients, by id."""
    statement = select(Patient).where(Patient.team_id == team_id).order_by(col(Patient.id))
    if since is not None:
        statement = statement.where(col(Patient.updated_at) >= since)
    for partition in _partitions(session, statement):
        for (patient,) in partition:
            yield int(patient.id or 0), clinical.patient_resource(patient)


def _responsible(session: Session, pathways: Sequence[tuple[Pathway, Patient]]) -> dict[int, int]:
    """The team responsible for each pathway now (as ``responsible_team``, in one query)."""
    now = utcnow()
    found = {int(p.id or 0): patient.team_id for p, patient in pathways}
    for row in session.exec(
        select(PathwayTeam)
        .where(col(PathwayTeam.pathway_id).in_(list(found)))
        .order_by(col(PathwayTeam.pathway_id), col(PathwayTeam.from_at))
    ).all():
        if row.from_at <= now and (row.until_at is None or now < row.until_at):
            found[row.pathway_id] = row.team_id
    return found


def episodes(session: Session, *, team_id: int, since: datetime | None) -> Iterator[Row]:
    """The pathways of the team's patients, by id."""
    statement = (
        select(Pathway, Patient)
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .where(Patient.team_id == team_id)
        .order_by(col(Pathway.id))
    )
    if since is not None:
        statement = statement.where(col(Pathway.updated_at) >= since)
    for partition in _partitions(session, statement):
        rows = [(pathway, patient) for pathway, patient in partition]
        teams = _responsible(session, rows)
        for pathway, patient in rows:
            resource = clinical.episode_resource(pathway, patient, teams[int(pathway.id or 0)])
            yield int(patient.id or 0), resource


class _Definitions:
    """The Questionnaire and definition of each (checklist, version, variant), looked up once."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, int, str | None], tuple[Any, ChecklistDefinition]] = {}

    def of(self, instance: ChecklistInstance) -> tuple[QuestionnaireEntry | None, Any]:
        key = (instance.definition_id, instance.definition_version, instance.variant)
        if key not in self.found:
            self.found[key] = (
                entry_for_instance(*key),
                catalogue_in_use().resolve(*key),
            )
        return self.found[key]


@dataclass(frozen=True)
class _PatientRef:
    """What a resource shows of its patient: the id and the pseudonymous label."""

    id: int
    label: str


def _instances(
    session: Session, *, team_id: int, since: datetime | None, started_only: bool
) -> Iterator[tuple[ChecklistInstance, Patient, list[ChecklistAnswer]]]:
    """The checklists on the team's patients' pathways with their answers, by id.

    Plain rows, not ORM objects (a row of the instance's columns reads like one): the
    national demo has a million and a half of them, and building objects would double the
    time.
    """
    answered = exists().where(col(ChecklistAnswer.instance_id) == col(ChecklistInstance.id))
    table = ChecklistInstance.__table__  # type: ignore[attr-defined]
    statement = (
        sa_select(
            *table.c, col(Patient.id).label("patient_pk"), col(Patient.label).label("patient_label")
        )
        .join(Pathway, col(Pathway.id) == col(ChecklistInstance.pathway_id))
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .where(col(Patient.team_id) == team_id)
        .order_by(col(ChecklistInstance.id))
    )
    if started_only:
        statement = statement.where(or_(col(ChecklistInstance.status).in_(STARTED), answered))
    if since is not None:
        changed = answered.where(col(ChecklistAnswer.updated_at) >= since)
        statement = statement.where(or_(col(ChecklistInstance.updated_at) >= since, changed))
    for rows in _partitions(session, statement):
        answers: dict[int, list[ChecklistAnswer]] = {}
        for answer in session.exec(
            select(ChecklistAnswer).where(
                col(ChecklistAnswer.instance_id).in_([r.id for r in rows])
            )
        ).all():
            answers.setdefault(answer.instance_id, []).append(answer)
        for row in rows:
            patient = cast(Patient, _PatientRef(row.patient_pk, row.patient_label))
            yield cast(ChecklistInstance, row), patient, answers.get(row.id, [])


def tasks(session: Session, *, team_id: int, since: datetime | None) -> Iterator[Row]:
    """Every scheduled checklist of the team's patients as a Task."""
    definitions = _Definitions()
    for instance, patient, answers in _instances(
        session, team_id=team_id, since=since, started_only=False
    ):
        entry, _definition = definitions.of(instance)
        started = clinical.has_response(instance, answers)
        yield int(patient.id or 0), clinical.task_resource(instance, patient, entry, started)


def responses(session: Session, *, team_id: int, since: datetime | None) -> Iterator[Row]:
    """Every started checklist of the team's patients as a QuestionnaireResponse."""
    definitions = _Definitions()
    for instance, patient, answers in _instances(
        session, team_id=team_id, since=since, started_only=True
    ):
        if not clinical.has_response(instance, answers):
            continue
        entry, definition = definitions.of(instance)
        resource = clinical.response_resource(instance, patient, definition, entry, answers)
        yield int(patient.id or 0), resource


def _goal_rows(team_id: int, since: datetime | None) -> Any:
    """The query of the team's patients' goals (changed, or re-rated, since a moment)."""
    statement = (
        select(Goal, Patient)
        .join(Pathway, col(Pathway.id) == col(Goal.pathway_id))
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .where(Patient.team_id == team_id)
        .order_by(col(Goal.id))
    )
    if since is not None:
        rated = exists().where(
            col(GoalRating.goal_id) == col(Goal.id), col(GoalRating.updated_at) >= since
        )
        statement = statement.where(or_(col(Goal.updated_at) >= since, rated))
    return statement


def goals(session: Session, *, team_id: int, since: datetime | None) -> Iterator[Row]:
    """The PSFS goals of the team's patients, with how each is going."""
    for partition in _partitions(session, _goal_rows(team_id, since)):
        rows = [(goal, patient) for goal, patient in partition]
        ratings: dict[int, list[GoalRating]] = {}
        for rating in session.exec(
            select(GoalRating)
            .where(col(GoalRating.goal_id).in_([int(g.id or 0) for g, _p in rows]))
            .order_by(col(GoalRating.rated_on), col(GoalRating.id))
        ).all():
            ratings.setdefault(rating.goal_id, []).append(rating)
        for goal, patient in rows:
            resource = clinical.goal_resource(goal, patient, ratings.get(int(goal.id or 0), []))
            yield int(patient.id or 0), resource


def observations(session: Session, *, team_id: int, since: datetime | None) -> Iterator[Row]:
    """Every PSFS rating of the team's patients' goals."""
    statement = (
        select(GoalRating, Goal, Patient)
        .join(Goal, col(Goal.id) == col(GoalRating.goal_id))
        .join(Pathway, col(Pathway.id) == col(Goal.pathway_id))
        .join(Patient, col(Patient.id) == col(Pathway.patient_id))
        .where(Patient.team_id == team_id)
        .order_by(col(GoalRating.id))
    )
    if since is not None:
        statement = statement.where(col(GoalRating.updated_at) >= since)
    for partition in _partitions(session, statement):
        for rating, goal, patient in partition:
            yield int(patient.id or 0), clinical.observation_resource(rating, goal, patient)


Stream = Callable[..., Iterator[Row]]
STREAMS: dict[str, Stream] = {
    "Organization": organizations,
    "Patient": patients,
    "EpisodeOfCare": episodes,
    "Task": tasks,
    "QuestionnaireResponse": responses,
    "Goal": goals,
    "Observation": observations,
}

"""The schema refuses rows that break the domain's rules, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.checklists.models import ChecklistInstance
from app.goals.models import Goal, GoalRating
from app.org.models import Membership, User
from app.pathways.models import Pathway, PathwayEvent
from tests.factories import make_organisation, make_patient, make_team, make_user


def _fails(db: Session, row: object) -> None:
    db.add(row)
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def _goal(db: Session) -> Goal:
    team = make_team(db)
    patient = make_patient(db, team)
    pathway = db.exec(select(Pathway).where(Pathway.patient_id == patient.id)).one()
    goal = Goal(pathway_id=int(pathway.id or 0), position=1, activity="Gå til butikken")
    db.add(goal)
    db.flush()
    return goal


def _instance(db: Session, **fields: object) -> ChecklistInstance:
    team = make_team(db)
    patient = make_patient(db, team)
    pathway = db.exec(select(Pathway).where(Pathway.patient_id == patient.id)).one()
    start = datetime(2026, 3, 2, 8, tzinfo=UTC)
    values: dict[str, object] = dict(
        pathway_id=pathway.id,
        team_id=team.id,
        definition_id="hph-2",
        definition_version=1,
        window_start=start,
        window_end=start + timedelta(days=3),
        due_date=date(2026, 3, 5),
        due_week=date(2026, 3, 2),
        due_month=date(2026, 3, 1),
    )
    values.update(fields)
    return ChecklistInstance(**values)  # type: ignore[arg-type]


def test_goal_rating_rejects_rating_above_ten(db: Session) -> None:
    goal = _goal(db)
    _fails(db, GoalRating(goal_id=int(goal.id or 0), rated_on=date(2026, 3, 1), rating=11))


def test_goal_rating_rejects_negative_rating(db: Session) -> None:
    goal = _goal(db)
    _fails(db, GoalRating(goal_id=int(goal.id or 0), rated_on=date(2026, 3, 1), rating=-1))


def test_goal_rating_accepts_bounds(db: Session) -> None:
    goal = _goal(db)
    db.add(GoalRating(goal_id=int(goal.id or 0), rated_on=date(2026, 3, 1), rating=0))
    db.add(GoalRating(goal_id=int(goal.id or 0), rated_on=date(2026, 3, 2), rating=10))
    db.flush()


def test_goal_rejects_sixth_position(db: Session) -> None:
    goal = _goal(db)
    _fails(db, Goal(pathway_id=goal.pathway_id, position=6, activity="Lese avisen"))


def test_dropped_goal_needs_a_reason(db: Session) -> None:
    goal = _goal(db)
    goal.status = "dropped"
    _fails(db, goal)


def test_instance_rejects_unknown_status(db: Session) -> None:
    _fails(db, _instance(db, status="missed"))


def test_instance_rejects_window_ending_before_it_starts(db: Session) -> None:
    start = datetime(2026, 3, 2, 8, tzinfo=UTC)
    _fails(db, _instance(db, window_start=start, window_end=start - timedelta(hours=1)))


def test_not_applicable_instance_needs_a_reason(db: Session) -> None:
    _fails(db, _instance(db, status="not_applicable"))


def test_completed_instance_needs_performed_at(db: Session) -> None:
    _fails(db, _instance(db, status="completed"))


def test_event_rejects_unknown_kind(db: Session) -> None:
    team = make_team(db)
    patient = make_patient(db, team)
    pathway = db.exec(select(Pathway).where(Pathway.patient_id == patient.id)).one()
    _fails(
        db,
        PathwayEvent(
            pathway_id=int(pathway.id or 0),
            kind="tea_party",
            occurred_at=datetime.now(UTC),
            occurred_on=date.today(),
            team_id=team.id,
        ),
    )


def test_membership_needs_exactly_one_scope(db: Session) -> None:
    team = make_team(db)
    user = make_user(db)
    _fails(
        db,
        Membership(
            user_id=int(user.id or 0),
            role="nurse",
            scope_kind="team",
            team_id=team.id,
            organisation_id=team.organisation_id,
        ),
    )


def test_membership_rejects_unknown_role(db: Session) -> None:
    team = make_team(db)
    user = make_user(db)
    _fails(
        db, Membership(user_id=int(user.id or 0), role="boss", scope_kind="team", team_id=team.id)
    )


def test_one_membership_per_user_and_scope(db: Session) -> None:
    team = make_team(db)
    user = make_user(db, role="nurse", team=team)
    _fails(
        db, Membership(user_id=int(user.id or 0), role="team", scope_kind="team", team_id=team.id)
    )


def test_foreign_keys_are_enforced(db: Session) -> None:
    _fails(
        db,
        Membership(
            user_id=999_999, role="nurse", scope_kind="organisation", organisation_id=999_999
        ),
    )


def test_duplicate_email_rejected(db: Session) -> None:
    make_user(db, email="same@example.no")
    _fails(db, User(email="same@example.no", display_name="X", password_hash="x"))


def test_organisation_kind_is_checked(db: Session) -> None:
    with pytest.raises(IntegrityError):
        make_organisation(db, kind="pharmacy")
    db.rollback()


def test_timestamps_read_back_timezone_aware(db: Session) -> None:
    goal = _goal(db)
    db.expire_all()
    fresh = db.get(Goal, goal.id)
    assert fresh is not None and fresh.created_at.tzinfo is not None
    assert fresh.created_at.utcoffset() == timedelta(0)

"""Measures over events, conversations and goals: local dates and teams computed in SQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session

from app.goals.models import Goal, GoalRating, WhatMattersConversation
from app.pathways.models import Pathway, PathwayTeam
from tests.factories import make_patient, make_team
from tests.measures.conftest import Counts, counts, local, make_event, pathway_of

NOW = local(date(2026, 6, 1))


def test_readmission_counts_discharges_once_their_30_days_have_passed(db: Session) -> None:
    team = make_team(db)
    first, second, third, fourth = (pathway_of(db, make_patient(db, team)) for _ in range(4))
    # Readmitted on day 20: numerator. Its 30 days end 31 January: January.
    make_event(db, first, "hospital_discharge", local(date(2026, 1, 1), 10))
    make_event(db, first, "hospital_admission", local(date(2026, 1, 21), 10))
    # Readmission recorded by mistake (cancelled): not a readmission.
    make_event(db, second, "hospital_discharge", local(date(2026, 1, 2), 10))
    make_event(db, second, "hospital_admission", local(date(2026, 1, 10), 10), status="cancelled")
    # Admitted again after 31 days: not within 30.
    make_event(db, third, "hospital_discharge", local(date(2026, 1, 3), 10))
    make_event(db, third, "hospital_admission", local(date(2026, 2, 3), 11))
    # Discharged 20 May: its 30 days have not passed on 1 June, so pending (June).
    make_event(db, fourth, "hospital_discharge", local(date(2026, 5, 20), 10))
    found = counts(
        db,
        "readmission-30d",
        team=team,
        period="month",
        first=date(2026, 1, 1),
        last=date(2026, 6, 30),
        now=NOW,
    )
    assert found == {
        date(2026, 1, 1): Counts(numerator=1, denominator=1, pending=0),
        date(2026, 2, 1): Counts(numerator=0, denominator=2, pending=0),
        date(2026, 6, 1): Counts(numerator=0, denominator=0, pending=1),
    }


def test_readmission_window_ends_in_local_time_across_daylight_saving(db: Session) -> None:
    team = make_team(db)
    pathway = pathway_of(db, make_patient(db, team))
    # Discharged 1 March at 23:30 Oslo (22:30 UTC): followed until 31 March 23:30 local, which
    # is 21:30 UTC in summer time. An admission at 21:45 UTC on 31 March is 23:45 local: late.
    make_event(db, pathway, "hospital_discharge", datetime(2026, 3, 1, 22, 30, tzinfo=UTC))
    make_event(db, pathway, "hospital_admission", datetime(2026, 3, 31, 21, 45, tzinfo=UTC))
    other = pathway_of(db, make_patient(db, team))
    make_event(db, other, "hospital_discharge", datetime(2026, 3, 1, 22, 30, tzinfo=UTC))
    make_event(db, other, "hospital_admission", datetime(2026, 3, 31, 21, 15, tzinfo=UTC))
    found = counts(
        db,
        "readmission-30d",
        team=team,
        period="week",
        first=date(2026, 3, 23),
        last=date(2026, 4, 5),
        now=NOW,
    )
    assert found == {date(2026, 3, 30): Counts(numerator=1, denominator=2, pending=0)}


def test_readmission_counts_for_the_team_responsible_when_the_window_ends(db: Session) -> None:
    first_team, second_team = make_team(db), make_team(db)
    pathway = pathway_of(db, make_patient(db, first_team))
    moved = local(date(2026, 1, 15), 9)
    db.add(
        PathwayTeam(
            pathway_id=int(pathway.id or 0),
            team_id=int(first_team.id or 0),
            from_at=local(date(2026, 1, 1), 8),
            until_at=moved,
        )
    )
    db.add(
        PathwayTeam(
            pathway_id=int(pathway.id or 0), team_id=int(second_team.id or 0), from_at=moved
        )
    )
    make_event(db, pathway, "hospital_discharge", local(date(2026, 1, 2), 10))
    span = {"period": "month", "first": date(2026, 1, 1), "last": date(2026, 2, 28), "now": NOW}
    assert counts(db, "readmission-30d", team=first_team, **span) == {}
    assert counts(db, "readmission-30d", team=second_team, **span) == {
        date(2026, 2, 1): Counts(numerator=0, denominator=1, pending=0)
    }


def _pathway(db: Session, team, started: date, ended: date | None = None) -> Pathway:  # type: ignore[no-untyped-def]
    patient = make_patient(db, team, with_pathway=False)
    pathway = Pathway(
        patient_id=int(patient.id or 0),
        started_on=started,
        ended_on=ended,
        status="closed" if ended else "open",
    )
    db.add(pathway)
    db.flush()
    return pathway


def _talk(db: Session, pathway: Pathway, held: date, *, answered: bool = True) -> None:
    db.add(
        WhatMattersConversation(
            pathway_id=int(pathway.id or 0),
            held_on=held,
            patient_words="Å komme hjem til katten min" if answered else None,
            could_not_answer=not answered,
            not_answered_reason=None if answered else "wanted to think",
            created_at=local(held),
        )
    )
    db.flush()


def test_what_matters_is_documented_within_14_days_of_the_pathway_start(db: Session) -> None:
    team = make_team(db)
    on_time = _pathway(db, team, date(2026, 3, 2))
    _talk(db, on_time, date(2026, 3, 16))  # day 14: in time
    late = _pathway(db, team, date(2026, 3, 3))
    _talk(db, late, date(2026, 3, 18))  # day 15: too late
    unanswered = _pathway(db, team, date(2026, 3, 4))
    _talk(db, unanswered, date(2026, 3, 5), answered=False)  # "ask again later" does not count
    ended = _pathway(db, team, date(2026, 3, 5), ended=date(2026, 3, 10))  # left before day 14
    del ended
    _pathway(db, team, date(2026, 3, 30))  # due 13 April, not yet decided on 1 April
    found = counts(
        db,
        "what-matters-documented",
        team=team,
        period="month",
        first=date(2026, 3, 1),
        last=date(2026, 4, 30),
        now=local(date(2026, 4, 1)),
    )
    assert found == {
        date(2026, 3, 1): Counts(numerator=1, denominator=3, pending=0),
        date(2026, 4, 1): Counts(numerator=0, denominator=0, pending=1),
    }


def _goal(db: Session, pathway: Pathway, baseline: date, rating: int, **fields) -> Goal:  # type: ignore[no-untyped-def]
    goal = Goal(pathway_id=int(pathway.id or 0), position=1, activity="Gå til postkassen", **fields)
    db.add(goal)
    db.flush()
    _rate(db, goal, baseline, rating, baseline=True)
    return goal


def _rate(
    db: Session,
    goal: Goal,
    on: date,
    rating: int,
    *,
    baseline: bool = False,
    direction: str = "higher_is_better",
) -> None:
    db.add(
        GoalRating(
            goal_id=int(goal.id or 0),
            rated_on=on,
            rating=rating,
            is_baseline=baseline,
            scale_direction=direction,
            created_at=local(on),
        )
    )
    db.flush()


def test_goals_are_rerated_by_their_half_yearly_review(db: Session) -> None:
    team = make_team(db)
    pathway = _pathway(db, team, date(2025, 6, 1))
    baseline = date(2025, 6, 10)  # due 196 days later: 23 December 2025
    rerated = _goal(db, pathway, baseline, 3)
    _rate(db, rerated, date(2025, 12, 20), 6)
    _goal(db, pathway, baseline, 4)  # never re-rated: missed
    late = _goal(db, pathway, baseline, 2)
    _rate(db, late, date(2026, 1, 5), 5)  # after the deadline
    _goal(db, pathway, baseline, 2, status="dropped", status_reason="no longer wanted")
    found = counts(
        db,
        "goals-rerated",
        team=team,
        period="month",
        first=date(2025, 12, 1),
        last=date(2025, 12, 31),
        now=NOW,
    )
    assert found == {date(2025, 12, 1): Counts(numerator=1, denominator=3, pending=0)}


def test_psfs_improvement_respects_the_scale_direction_of_each_rating(db: Session) -> None:
    team = make_team(db)
    improved = _pathway(db, team, date(2025, 9, 1))
    a = _goal(db, improved, date(2025, 9, 5), 2)
    b = _goal(db, improved, date(2025, 9, 5), 4)
    _rate(db, a, date(2026, 3, 10), 5)  # +3
    _rate(db, b, date(2026, 3, 10), 5)  # +1: mean +2, the minimal important change
    reversed_scale = _pathway(db, team, date(2025, 9, 1))
    c = _goal(
        db,
        reversed_scale,
        date(2025, 9, 6),
        8,
    )
    _rate(db, c, date(2026, 3, 11), 7, direction="lower_is_better")  # 7 reversed is 3: -5
    found = counts(
        db,
        "psfs-improved",
        team=team,
        period="month",
        first=date(2026, 3, 1),
        last=date(2026, 3, 31),
        now=NOW,
    )
    assert found == {date(2026, 3, 1): Counts(numerator=1, denominator=2, pending=0)}
    mean = counts(
        db,
        "psfs-mean-change",
        team=team,
        period="month",
        first=date(2026, 3, 1),
        last=date(2026, 3, 31),
        now=NOW,
    )
    assert mean[date(2026, 3, 1)].numerator == 2.0 + -5.0
    assert mean[date(2026, 3, 1)].denominator == 2


def test_ratings_entered_after_the_moment_of_counting_are_not_counted(db: Session) -> None:
    team = make_team(db)
    pathway = _pathway(db, team, date(2025, 9, 1))
    goal = _goal(db, pathway, date(2025, 9, 5), 2)
    _rate(db, goal, date(2026, 3, 10), 8)
    before = local(date(2026, 3, 9))
    found = counts(
        db,
        "psfs-improved",
        team=team,
        period="month",
        first=date(2026, 3, 1),
        last=date(2026, 3, 31),
        now=before,
    )
    assert found == {}

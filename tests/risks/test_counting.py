"""Risks followed up in time: hand-computed counts, attributed by the follow-up's due date."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from app.pathways.lifecycle import end_pathway, reopen_pathway
from app.risks.service import mark_done
from tests.measures.conftest import Counts, counts
from tests.risks.conftest import at, discharged

W10, W11, W12 = date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)
MARCH = date(2026, 3, 1)


def _weeks(db: Session, measure: str, team, now) -> dict[date, Counts]:  # type: ignore[no-untyped-def]
    return counts(db, measure, team=team, period="week", first=W10, last=date(2026, 3, 29), now=now)


def test_rule_met_on_a_friday_counts_in_the_week_its_window_ends(db: Session) -> None:
    friday = date(2026, 3, 6)
    visit = discharged(db, friday)
    visit.answer("fall_last_year", "yes", at(friday, 10))  # falls: 14 days, to Fri 20 March
    visit.answer("pressure_ulcer_risk", "yes", at(friday, 10))  # 3 days, to Mon 9 March
    found = visit.follow_ups()
    assert (found["falls"].due_date, found["falls"].due_week) == (date(2026, 3, 20), W12)
    assert (found["pressure-ulcer"].due_date, found["pressure-ulcer"].due_week) == (W11, W11)
    assert found["falls"].team_id == visit.team.id and found["falls"].owner == "home_care"
    mark_done(
        db,
        viewer=visit.viewer,
        follow_up_id=int(found["falls"].id or 0),
        expected_version=found["falls"].version,
        done_at=at(date(2026, 3, 17), 11),
        now=at(date(2026, 3, 17), 15),
    )

    # Wednesday 18 March: the ulcer plan was missed in week 11; falls done on time in week 12.
    now = at(date(2026, 3, 18))
    assert _weeks(db, "risks-followed-up", visit.team, now) == {
        W11: Counts(numerator=0, denominator=1, pending=0),
        W12: Counts(numerator=1, denominator=1, pending=0),
    }
    assert _weeks(db, "risk-falls", visit.team, now) == {W12: Counts(1, 1, 0)}
    assert _weeks(db, "risk-pressure-ulcer", visit.team, now) == {W11: Counts(0, 1, 0)}
    month = counts(
        db, "risks-followed-up", team=visit.team, period="month", first=MARCH,
        last=date(2026, 3, 31), now=now,
    )  # fmt: skip
    assert month == {MARCH: Counts(1, 2, 0)}


def test_risk_corrected_away_before_the_window_ends_counts_nowhere(db: Session) -> None:
    monday = date(2026, 3, 2)
    visit = discharged(db, monday)
    visit.answer("weight_loss", "yes", at(monday, 10))  # nutrition plan by Mon 9 March
    visit.answer("fall_last_year", "yes", at(monday, 10))  # falls assessment by Mon 16 March
    assert _weeks(db, "risks-followed-up", visit.team, at(monday, 11)) == {
        W11: Counts(0, 0, 1),
        W12: Counts(0, 0, 1),
    }
    visit.answer("weight_loss", "no", at(date(2026, 3, 4)))  # corrected within the window
    visit.answer("fall_last_year", "no", at(date(2026, 3, 20)))  # corrected after it closed
    found = visit.follow_ups()
    assert found["nutrition"].status == "cancelled"
    assert found["nutrition"].cancel_cause == "answer_changed"
    assert found["falls"].status == "open"  # missed: a late correction does not erase it
    assert _weeks(db, "risks-followed-up", visit.team, at(date(2026, 3, 25))) == {
        W12: Counts(0, 1, 0)
    }


def test_follow_up_done_late_is_in_the_denominator_only(db: Session) -> None:
    monday = date(2026, 3, 2)
    visit = discharged(db, monday)
    visit.answer("pressure_ulcer_risk", "yes", at(monday, 9, 30))  # due Thursday 5 March
    follow_up = visit.follow_ups()["pressure-ulcer"]
    assert follow_up.due_date == date(2026, 3, 5)
    # Wednesday: still pending, week 10 incomplete.
    assert _weeks(db, "risks-followed-up", visit.team, at(date(2026, 3, 4))) == {
        W10: Counts(0, 0, 1)
    }
    mark_done(
        db,
        viewer=visit.viewer,
        follow_up_id=int(follow_up.id or 0),
        expected_version=follow_up.version,
        done_at=at(date(2026, 3, 6), 10),
        now=at(date(2026, 3, 6), 10),
    )
    assert _weeks(db, "risks-followed-up", visit.team, at(date(2026, 3, 9))) == {
        W10: Counts(0, 1, 0)
    }


def test_pathway_ended_before_a_follow_up_fell_due_cancels_it(db: Session) -> None:
    monday = date(2026, 3, 2)
    visit = discharged(db, monday)
    visit.answer("pressure_ulcer_risk", "yes", at(monday, 10))  # due Thu 5 March: missed
    visit.answer("fall_last_year", "yes", at(monday, 10))  # due Mon 16 March
    pathway, _cancelled = end_pathway(
        db,
        viewer=visit.viewer,
        pathway_id=int(visit.pathway.id or 0),
        ended_at=at(date(2026, 3, 10)),
        reason="nursing_home",
        expected_version=visit.pathway.version,
        now=at(date(2026, 3, 10)),
    )
    found = visit.follow_ups()
    assert found["falls"].status == "cancelled" and found["falls"].cancel_cause == "pathway_ended"
    assert found["pressure-ulcer"].status == "open"  # fell due before the end: stays missed
    assert _weeks(db, "risks-followed-up", visit.team, at(date(2026, 3, 25))) == {
        W10: Counts(0, 1, 0)
    }
    reopen_pathway(
        db,
        viewer=visit.viewer,
        pathway_id=int(pathway.id or 0),
        reason="Recorded by mistake",
        expected_version=pathway.version,
    )
    assert visit.follow_ups()["falls"].status == "open"

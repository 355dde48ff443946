"""Rule evaluation on an answer save: an answer that touches no risk costs no follow-up query,
and the saves that do touch one still raise and withdraw follow-ups."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from app.risks.models import FollowUpStatus
from app.risks.rules import risk_rules_in_use
from tests.risks.conftest import at, discharged


@contextmanager
def follow_up_statements(db: Session) -> Iterator[list[str]]:
    """The SQL statements that touch the follow-up table while the block runs."""
    seen: list[str] = []
    connection = db.connection()

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "follow_up" in statement:
            seen.append(statement)

    event.listen(connection, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", note)


def test_an_answer_no_rule_looks_at_reads_no_follow_ups(db: Session) -> None:
    visit = discharged(db, date(2026, 3, 2))
    with follow_up_statements(db) as seen:
        visit.answer("infection_signs", "yes", at(date(2026, 3, 2), 13))
        visit.answer("fall_last_year", "no", at(date(2026, 3, 2), 13))
    assert seen == []
    assert visit.follow_ups() == {}


def test_a_risk_found_then_answered_away_reads_and_withdraws_its_follow_up(db: Session) -> None:
    visit = discharged(db, date(2026, 3, 2))
    with follow_up_statements(db) as seen:
        visit.answer("fall_last_year", "yes", at(date(2026, 3, 2), 13))
    assert seen, "a risk found looks for the follow-up it may already have"
    assert visit.follow_ups()["falls"].status == FollowUpStatus.open.value
    visit.answer("infection_signs", "yes", at(date(2026, 3, 2), 14))  # while the risk stands
    assert visit.follow_ups()["falls"].status == FollowUpStatus.open.value
    visit.answer("fall_last_year", "no", at(date(2026, 3, 2), 15))
    assert visit.follow_ups()["falls"].status == FollowUpStatus.cancelled.value


def test_a_checklists_rules_are_worked_out_once() -> None:
    rules = risk_rules_in_use()
    first = rules.for_checklist("hph-2", None)
    assert {rule.id for rule in first} >= {"falls", "nutrition", "medication-review"}
    assert rules.for_checklist("hph-2", None) is first
    assert not rules.network_specific("hph-2")

"""Random sequences of real writes keep the stored counts equal to counting every item.

Each example applies a few writes through the services (answers, completions on time or
entered late, reopenings, cancelled events, transfers, follow-ups done, goal re-ratings) to
the seeded demo, flushing or committing after each, and then compares ``count_items`` with
``count_items_from_scratch`` for measures of every kind of source, at moments before, on and
just after the touched item's window end, and now.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.checklists.answer_rules import AnswerError
from app.checklists.corrections import (
    ChecklistChanged,
    ReopenNotAllowed,
    ReopenRefused,
    reopen_checklist,
)
from app.checklists.models import ChecklistAnswer, ChecklistInstance
from app.checklists.service import (
    AnswerConflict,
    ChecklistClosed,
    CompletionRefused,
    complete_checklist,
    mark_not_applicable,
    save_answer,
)
from app.core.db import utcnow
from app.goals.errors import GoalsError
from app.goals.models import Goal, GoalRating
from app.goals.service import rate_goal
from app.measures.aggregate import Level, count_items, count_items_from_scratch
from app.measures.catalogue import measures_in_use
from app.measures.periods import Window
from app.org.models import Team
from app.org.scope import Grant, Viewer
from app.pathways.events import EventConflict, EventRejected, cancel_event
from app.pathways.lifecycle import PathwayConflict, transfer_pathway
from app.pathways.models import Pathway, PathwayEvent
from app.pathways.service import PatientNotFound
from app.risks.models import FollowUp
from app.risks.service import FollowUpConflict, FollowUpRefused, mark_done
from tests.measures.conftest import local
from tests.measures.test_stored_counts import ANCHOR, demo, same_rows

__all__ = ["demo"]  # the seeded demo of test_stored_counts, one per backend
CHECKED = (
    "hph-2-on-time",
    "hph-2-completed",
    "innleggelse-on-time",
    "innleggelse-medication-list",
    "risks-followed-up",
    "readmission-30d",
    "goals-rerated",
    "psfs-mean-change",
    "full-pathway",
)
OPS = (
    "answer",
    "complete",
    "late",
    "not_applicable",
    "reopen",
    "cancel",
    "transfer",
    "done",
    "rate",
)
# A service refusing a write the draw made impossible leaves it out (and nothing else does).
REFUSED = (
    AnswerConflict, AnswerError, ChecklistChanged, ChecklistClosed, CompletionRefused,
    EventConflict, EventRejected, FollowUpConflict, FollowUpRefused, GoalsError,
    PathwayConflict, PatientNotFound, ReopenNotAllowed, ReopenRefused,
)  # fmt: skip


def everyone(session: Session) -> Viewer:
    """A nurse and improvement-team member of every team."""
    teams = frozenset(int(t) for t in session.exec(select(Team.id)).all() if t is not None)
    grants = (
        Grant("nurse", "network", 0, "all", teams, None),
        Grant("team", "network", 0, "all", teams, None),
    )
    return Viewer(user_id=1, email="p@example.no", display_name="P", language="en", grants=grants)


def pick(session: Session, query: Any, index: int) -> Any:
    """The index-th row of a query (wrapping round), or None."""
    rows = session.exec(query.limit(40)).all()
    return rows[index % len(rows)] if rows else None


def _open(definition: str) -> Any:
    return (
        select(ChecklistInstance)
        .where(ChecklistInstance.definition_id == definition)
        .where(col(ChecklistInstance.status).in_(("due", "in_progress")))
        .order_by(col(ChecklistInstance.due_date).desc())
    )


def write(session: Session, viewer: Viewer, op: str, index: int) -> datetime | None:
    """Apply one write; return the touched item's window end (for boundary moments)."""
    now = utcnow()
    if op in ("answer", "complete", "late", "not_applicable"):
        instance = pick(session, _open("innleggelse" if op != "late" else "hph-2"), index)
        if instance is None:
            return None
        if op == "not_applicable":
            mark_not_applicable(session, viewer=viewer, instance_id=instance.id, reason="n/a")
            return instance.window_end
        if instance.definition_id == "innleggelse":
            answer = session.exec(
                select(ChecklistAnswer)
                .where(ChecklistAnswer.instance_id == instance.id)
                .where(ChecklistAnswer.item_id == "medication_list_sent")
            ).first()
            save_answer(
                session, viewer=viewer, instance_id=instance.id, item_id="medication_list_sent",
                value="yes" if index % 2 else "no",
                expected_version=answer.version if answer else 0, now=now,
            )  # fmt: skip
        if op != "answer":  # done within the window or after it, entered now
            performed = min(now, instance.window_end - timedelta(hours=1 - 2 * (index % 2)))
            complete_checklist(
                session, viewer=viewer, instance_id=instance.id,
                performed_at=max(performed, instance.window_start), now=now,
            )  # fmt: skip
        return instance.window_end
    if op == "reopen":
        instance = pick(
            session,
            select(ChecklistInstance)
            .where(col(ChecklistInstance.definition_id).in_(("innleggelse", "hph-2", "hph-4")))
            .where(ChecklistInstance.status == "completed")
            .order_by(col(ChecklistInstance.due_date).desc()),
            index,
        )
        if instance is None:
            return None
        reopen_checklist(session, viewer=viewer, instance_id=instance.id, reason="correction")
        return instance.window_end
    if op == "cancel":
        event = pick(
            session,
            select(PathwayEvent)
            .where(PathwayEvent.status == "active")
            .where(col(PathwayEvent.kind).in_(("hospital_admission", "hospital_discharge")))
            .order_by(col(PathwayEvent.occurred_at).desc()),
            index,
        )
        if event is None:
            return None
        cancel_event(
            session, viewer=viewer, event_id=event.id, reason="by mistake",
            expected_version=event.version,
        )  # fmt: skip
        return event.occurred_at
    if op == "transfer":
        pathway = pick(
            session,
            select(Pathway).where(Pathway.status == "open").order_by(col(Pathway.id)),
            index,
        )
        teams = sorted(viewer.patient_team_ids)
        if pathway is None:
            return None
        transfer_pathway(
            session, viewer=viewer, pathway_id=pathway.id,
            team_id=teams[index % len(teams)], effective_at=now - timedelta(days=40 + index),
            expected_version=pathway.version, now=now,
        )  # fmt: skip
        return now - timedelta(days=40 + index)
    if op == "done":
        follow_up = pick(
            session,
            select(FollowUp).where(FollowUp.status == "open").order_by(col(FollowUp.due_date)),
            index,
        )
        if follow_up is None:
            return None
        mark_done(
            session, viewer=viewer, follow_up_id=follow_up.id,
            expected_version=follow_up.version,
            done_at=min(now, follow_up.window_end - timedelta(hours=1 - 2 * (index % 2))),
            now=now,
        )  # fmt: skip
        return follow_up.window_end
    goal = pick(
        session,
        select(Goal).where(Goal.status == "active").join(GoalRating).order_by(col(Goal.id)),
        index,
    )
    if goal is None:
        return None
    rate_goal(session, viewer=viewer, goal_id=goal.id, rating=index % 11)
    return None


def check(session: Session, boundary: datetime | None) -> None:
    """Stored and from-scratch counts agree for the checked measures at several moments."""
    moments = [local(ANCHOR, 12), utcnow()]
    if boundary is not None:
        moments += [boundary, boundary + timedelta(microseconds=1)]
    for measure_id in CHECKED:
        measure = measures_in_use().get(measure_id)
        for now in moments:
            window = Window(
                ANCHOR - timedelta(days=400), ANCHOR + timedelta(days=300), now, True, True
            )
            for level in (Level.team, Level.all):
                stored = count_items(session, measure, level=level, window=window)
                scratch = count_items_from_scratch(session, measure, level=level, window=window)
                assert same_rows(stored, scratch), (measure_id, level, now)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(OPS), st.integers(0, 39), st.booleans()), min_size=1, max_size=4
    )
)
def test_random_writes_keep_stored_counts_exact(
    demo: Engine, steps: list[tuple[str, int, bool]]
) -> None:
    connection = demo.connect()
    transaction = connection.begin()
    try:
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            viewer = everyone(session)
            for op, index, commit in steps:
                boundary: datetime | None = None
                try:
                    with session.begin_nested():
                        boundary = write(session, viewer, op, index)
                except REFUSED:
                    boundary = None
                (session.commit if commit else session.flush)()
                check(session, boundary)
    finally:
        transaction.rollback()
        connection.close()


def test_a_window_closing_with_no_write_is_counted_once_it_has_closed(demo: Engine) -> None:
    with Session(demo) as session:
        instance = session.exec(_open("hph-2")).first()
        assert instance is not None
        measure = measures_in_use().get("hph-2-on-time")
        pending = []
        for now in (instance.window_end, instance.window_end + timedelta(microseconds=1)):
            window = Window(instance.due_date, instance.due_date, now, True, True)
            rows = count_items(session, measure, level=Level.team, window=window)
            scratch = count_items_from_scratch(session, measure, level=Level.team, window=window)
            assert same_rows(rows, scratch)
            pending.append(sum(row.pending for row in rows))
        assert pending[0] >= pending[1] + 1  # the open item stops pending once its window closed
        session.rollback()


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

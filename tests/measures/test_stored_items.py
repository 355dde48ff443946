"""Stored measure items: the same counts as deriving everything in SQL, and kept current on writes.

The oracle is ``reference_sql``, the all-SQL derivation the stored items replaced. On the
seeded demo, both must give every team the same weekly and monthly counts at several moments;
and after writes through the ORM, the stored items must equal a full rebuild's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.checklists.in_use import catalogue_in_use
from app.core import migrate
from app.core.db import build_engine
from app.demo.seed import seed_demo
from app.goals.models import Goal, GoalRating, WhatMattersConversation
from app.measures.aggregate import Level, _items, count_items
from app.measures.catalogue import MeasureDefinition, measures_in_use
from app.measures.item_rules import is_stored
from app.measures.item_store import (
    ensure_built,
    ensure_current,
    fingerprint,
    rebuild,
    stale_measures,
)
from app.measures.models import MeasureItem, MeasureItemBuild
from app.measures.periods import Window
from app.pathways.models import Pathway, PathwayEvent, PathwayTeam, Patient
from tests.measures.conftest import OSLO, local
from tests.measures.reference_sql import REFERENCE_SOURCES

ANCHOR = date(2026, 3, 18)
Key = tuple[int, date | None, date | None]


def stored() -> list[MeasureDefinition]:
    return [m for m in measures_in_use().all() if is_stored(m)]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo(request: pytest.FixtureRequest, fresh_database_url) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """The demo seeded once per backend (300 patients, 18 months)."""
    url = fresh_database_url(request.param)
    migrate.upgrade(url)
    engine = build_engine(url)
    seed_demo(engine, catalogue_in_use(), seed=2026, scale=0.2, today=ANCHOR)
    yield engine
    engine.dispose()


@pytest.fixture()
def session(demo: Engine) -> Iterator[Session]:
    """A session on the seeded demo whose changes are rolled back."""
    connection = demo.connect()
    transaction = connection.begin()
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        yield session
    transaction.rollback()
    connection.close()


def _window(now: datetime) -> Window:
    return Window(
        first_day=ANCHOR - timedelta(days=548),
        last_day=ANCHOR,
        now=now,
        by_week=True,
        by_month=True,
    )


def _stored_counts(session: Session, measure: MeasureDefinition, now: datetime) -> dict[Key, Any]:
    rows = count_items(session, measure, level=Level.team, window=_window(now))
    return {
        (r.unit_id, r.week, r.month): (round(r.numerator, 9), r.denominator, r.pending)
        for r in rows
        if (r.numerator, r.denominator, r.pending) != (0, 0, 0)
    }


def _reference_counts(
    session: Session, measure: MeasureDefinition, now: datetime
) -> dict[Key, Any]:
    window = _window(now)
    source = REFERENCE_SOURCES[type(measure.count)](measure.count, window, None)
    items = _items(source, window, None)
    query = sa_select(
        items.c.team_id,
        items.c.week,
        items.c.month,
        func.sum(items.c.numerator),
        func.sum(items.c.denominator),
        func.sum(items.c.pending),
    ).group_by(items.c.team_id, items.c.week, items.c.month)
    found = {}
    for team, week, month, numerator, denominator, pending in session.execute(query):
        key = (int(team), _day(week), _day(month))
        value = (round(float(numerator), 9), float(denominator), int(pending))
        if value != (0, 0, 0):
            found[key] = value
    return found


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _snapshot(session: Session) -> list[tuple[Any, ...]]:
    rows = session.exec(select(MeasureItem)).all()
    return sorted(
        (
            r.measure_id,
            r.pathway_id,
            r.subject_id,
            r.team_id,
            r.due_date,
            r.opened_at,
            r.closes_at,
            r.met_at,
            r.counted_from,
            r.value,
        )
        for r in rows
    )


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 3, 18, 11, tzinfo=UTC),
        datetime(2025, 11, 2, 7, 30, tzinfo=UTC),
        datetime(2025, 3, 30, 0, 30, tzinfo=UTC),  # the night clocks went forward
    ],
)
def test_stored_items_count_what_the_all_sql_derivation_counts(
    session: Session, now: datetime
) -> None:
    counted = 0
    for measure in stored():
        found = _stored_counts(session, measure, now)
        assert found == _reference_counts(session, measure, now), measure.id
        counted += len(found)
    assert counted > 100  # the demo gives every stored measure something to count


def test_the_seed_builds_every_stored_measure_once(session: Session) -> None:
    assert stale_measures(session) == []
    per_measure = {
        row[0]: row[1]
        for row in session.execute(
            sa_select(col(MeasureItem.measure_id), func.count()).group_by(
                col(MeasureItem.measure_id)
            )
        ).all()
    }
    assert set(per_measure) == {m.id for m in stored()}
    before = _snapshot(session)
    rebuild(session)
    assert _snapshot(session) == before


def test_writes_keep_the_stored_items_equal_to_a_rebuild(session: Session) -> None:
    pathways = session.exec(select(Pathway).order_by(col(Pathway.id)).limit(6)).all()
    first, second, third, fourth, fifth, sixth = pathways
    other_team = session.exec(
        select(Patient.team_id).where(Patient.id != first.patient_id).limit(1)
    ).one()
    # A transfer, a readmission, a conversation, a re-rating, a patient moving team and an
    # ended pathway: each changes what some stored measure counts.
    session.add(
        PathwayTeam(
            pathway_id=int(first.id or 0),
            team_id=other_team,
            from_at=local(ANCHOR - timedelta(days=200), 9),
        )
    )
    discharge = session.exec(
        select(PathwayEvent).where(PathwayEvent.kind == "hospital_discharge").limit(1)
    ).one()
    readmitted_at = discharge.occurred_at + timedelta(days=3)
    session.add(
        PathwayEvent(
            pathway_id=discharge.pathway_id,
            kind="hospital_admission",
            occurred_at=readmitted_at,
            occurred_on=readmitted_at.astimezone(OSLO).date(),
            team_id=other_team,
        )
    )
    session.add(
        WhatMattersConversation(
            pathway_id=int(second.id or 0),
            held_on=second.started_on + timedelta(days=2),
            patient_words="Å gå tur med hunden",
        )
    )
    goal = session.exec(select(Goal).where(Goal.pathway_id == third.id)).first()
    if goal is not None:
        session.add(
            GoalRating(
                goal_id=int(goal.id or 0),
                rated_on=ANCHOR - timedelta(days=1),
                rating=9,
                is_baseline=False,
            )
        )
    patient = session.get(Patient, fourth.patient_id)
    assert patient is not None
    patient.team_id = other_team
    session.add(patient)
    fifth.ended_on = fifth.started_on + timedelta(days=1)
    session.add(fifth)
    session.flush()
    session.delete(sixth)
    session.flush()
    kept = _snapshot(session)
    assert not [row for row in kept if row[1] == sixth.id]
    rebuild(session)
    assert _snapshot(session) == kept


def test_a_changed_definition_is_rebuilt_before_counting(session: Session) -> None:
    measure = next(m for m in stored() if m.id == "readmission-30d")
    session.execute(
        MeasureItemBuild.__table__.update()  # type: ignore[attr-defined]
        .where(MeasureItemBuild.__table__.c.measure_id == measure.id)  # type: ignore[attr-defined]
        .values(fingerprint="an older definition")
    )
    session.execute(
        MeasureItem.__table__.delete().where(  # type: ignore[attr-defined]
            MeasureItem.__table__.c.measure_id == measure.id  # type: ignore[attr-defined]
        )
    )
    assert [m.id for m in stale_measures(session)] == [measure.id]
    ensure_built(session, measure)
    assert stale_measures(session) == []
    assert session.get(MeasureItemBuild, measure.id).fingerprint == fingerprint(measure)  # type: ignore[union-attr]
    assert _stored_counts(session, measure, datetime(2026, 3, 18, 11, tzinfo=UTC))


def test_items_of_measures_no_longer_in_use_are_forgotten(session: Session) -> None:
    pathway_id = session.exec(select(Pathway.id).limit(1)).one()
    team_id = session.exec(select(Patient.team_id).limit(1)).one()
    session.add(
        MeasureItem(
            measure_id="retired-measure",
            pathway_id=int(pathway_id or 0),
            subject_id=1,
            team_id=team_id,
            due_date=ANCHOR,
            closes_at=datetime(2026, 3, 18, tzinfo=UTC),
        )
    )
    session.add(
        MeasureItemBuild(measure_id="retired-measure", fingerprint="x", built_at=datetime.now(UTC))
    )
    session.flush()
    assert ensure_current(session) == []
    assert session.get(MeasureItemBuild, "retired-measure") is None
    assert not session.exec(
        select(MeasureItem).where(MeasureItem.measure_id == "retired-measure")
    ).all()

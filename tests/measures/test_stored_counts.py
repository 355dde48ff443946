"""Stored counts give exactly what counting every item gives, at every level and moment.

The oracle is ``count_items_from_scratch`` (the grouped query over every item). On the seeded
demo both must give the same rows for every measure, level and period type, at moments before,
on and after window boundaries; the seed, a rebuild and a changed definition leave the table
as a full rebuild would.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.checklists.in_use import catalogue_in_use
from app.checklists.models import ChecklistInstance
from app.core import migrate
from app.core.db import build_engine
from app.demo.seed import seed_demo
from app.measures.aggregate import CountRow, Level, count_items, count_items_from_scratch
from app.measures.catalogue import MeasureDefinition, measures_in_use
from app.measures.models import MeasureCount, MeasureCountBuild
from app.measures.periods import Window
from app.measures.stored_counts import (
    count_fingerprint,
    ensure_counts_current,
    rebuild_counts,
    segment_last,
    segments_between,
    stale_count_measures,
)
from tests.measures.conftest import local

ANCHOR = date(2026, 3, 18)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo(request: pytest.FixtureRequest, fresh_database_url) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """The demo seeded once per backend (small)."""
    url = fresh_database_url(request.param)
    migrate.upgrade(url)
    engine = build_engine(url)
    seed_demo(engine, catalogue_in_use(), seed=2026, scale=0.1, today=ANCHOR)
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


def same_rows(found: list[CountRow], expected: list[CountRow]) -> bool:
    """Equal rows in any order; a mean's float sum may differ in its last bits by order."""
    ordered = sorted(found, key=_key), sorted(expected, key=_key)
    if [_key(r) for r in ordered[0]] != [_key(r) for r in ordered[1]]:
        return False
    return all(
        a.denominator == b.denominator
        and a.pending == b.pending
        and math.isclose(a.numerator, b.numerator, rel_tol=1e-12, abs_tol=1e-12)
        for a, b in zip(*ordered, strict=True)
    )


def _key(row: CountRow) -> tuple[int, date, date]:
    return row.unit_id, row.week or date.min, row.month or date.min


def assert_same_counts(
    session: Session, measure: MeasureDefinition, window: Window, **units: list[int]
) -> None:
    """Stored and from-scratch counts agree at every level."""
    for level in Level:
        stored = count_items(session, measure, level=level, window=window, **units)  # type: ignore[arg-type]
        scratch = count_items_from_scratch(session, measure, level=level, window=window, **units)  # type: ignore[arg-type]
        assert same_rows(stored, scratch), (measure.id, level, window)


def moments() -> list[datetime]:
    """Noon on the demo's day, long before, and on and around a window's end."""
    return [
        local(ANCHOR, 12),
        local(ANCHOR - timedelta(days=200), 9),
        local(ANCHOR + timedelta(days=60), 9),
    ]


def test_segments_cover_weeks_and_months_without_overlap() -> None:
    starts = segments_between(date(2026, 3, 23), date(2026, 4, 5))
    assert starts == [date(2026, 3, 23), date(2026, 3, 30), date(2026, 4, 1)]
    assert [segment_last(s) for s in starts] == [
        date(2026, 3, 29),
        date(2026, 3, 31),
        date(2026, 4, 5),
    ]


@pytest.mark.parametrize("periods", [(True, False), (False, True), (True, True)])
def test_stored_counts_equal_counting_every_item_on_the_demo(
    session: Session, periods: tuple[bool, bool]
) -> None:
    by_week, by_month = periods
    for measure in measures_in_use().all():
        for now in moments() if by_week and by_month else moments()[:1]:
            window = Window(ANCHOR - timedelta(days=400), ANCHOR + timedelta(days=9), now, *periods)
            assert_same_counts(session, measure, window)
        # a window cut mid-week and mid-month, for two teams only
        cut = Window(date(2025, 11, 13), date(2026, 2, 11), local(ANCHOR), by_week, by_month)
        teams = sorted({int(t) for t in session.exec(select(MeasureCount.team_id)).all()})[:2]
        assert_same_counts(session, measure, cut, team_ids=teams, unit_ids=teams)


def test_counts_at_the_moment_a_window_closes_and_just_after(session: Session) -> None:
    instance = session.exec(
        select(ChecklistInstance)
        .where(ChecklistInstance.definition_id == "hph-2")
        .where(col(ChecklistInstance.due_date) < ANCHOR - timedelta(days=30))
        .order_by(col(ChecklistInstance.window_end).desc())
        .limit(1)
    ).one()
    measure = measures_in_use().get("hph-2-on-time")
    for now in (
        instance.window_end - timedelta(microseconds=1),
        instance.window_end,
        instance.window_end + timedelta(microseconds=1),
    ):
        window = Window(instance.due_date - timedelta(days=40), instance.due_date, now, True, True)
        assert_same_counts(session, measure, window)


def test_the_seed_leaves_every_count_built_as_a_rebuild_would(session: Session) -> None:
    assert stale_count_measures(session) == []

    def snapshot() -> list[tuple[object, ...]]:
        rows = session.exec(select(MeasureCount)).all()
        return sorted(
            (r.measure_id, r.team_id, r.segment_start, r.numerator, r.denominator, r.settled_at)
            for r in rows
        )

    before = snapshot()
    assert before
    rebuild_counts(session)
    assert snapshot() == before


def test_a_changed_definition_is_counted_again_before_use(session: Session) -> None:
    measure = measures_in_use().get("hph-1-on-time")
    build = session.get(MeasureCountBuild, measure.id)
    assert build is not None
    build.fingerprint = "an older definition"
    session.add(build)
    session.execute(
        MeasureCount.__table__.delete().where(  # type: ignore[attr-defined]
            MeasureCount.__table__.c.measure_id == measure.id  # type: ignore[attr-defined]
        )
    )
    session.flush()
    assert [m.id for m in stale_count_measures(session)] == [measure.id]
    window = Window(ANCHOR - timedelta(days=300), ANCHOR, local(ANCHOR), True, True)
    assert_same_counts(session, measure, window)
    assert session.get(MeasureCountBuild, measure.id).fingerprint == count_fingerprint(measure)  # type: ignore[union-attr]
    assert ensure_counts_current(session) == []


def test_counts_of_measures_no_longer_in_use_are_forgotten(session: Session) -> None:
    team_id = session.exec(select(MeasureCount.team_id).limit(1)).one()
    session.add(
        MeasureCount(
            measure_id="retired-measure",
            team_id=team_id,
            segment_start=ANCHOR,
            numerator=1,
            denominator=1,
            settled_at=datetime(2026, 3, 18, tzinfo=UTC),
        )
    )
    session.flush()
    ensure_counts_current(session)
    assert session.get(MeasureCount, ("retired-measure", team_id, ANCHOR)) is None


def test_erasing_a_patient_takes_their_items_out_of_the_stored_counts(session: Session) -> None:
    from app.pathways.models import Pathway, Patient

    instance = session.exec(
        select(ChecklistInstance)
        .where(ChecklistInstance.definition_id == "hph-2")
        .where(ChecklistInstance.status == "completed")
        .where(col(ChecklistInstance.event_cancelled).is_(False))
        .where(col(ChecklistInstance.due_date) < ANCHOR - timedelta(days=60))
        .where(col(ChecklistInstance.due_date) > ANCHOR - timedelta(days=300))
        .limit(1)
    ).one()
    pathway = session.get(Pathway, instance.pathway_id)
    assert pathway is not None
    window = Window(ANCHOR - timedelta(days=400), ANCHOR, local(ANCHOR), True, True)
    measures = [measures_in_use().get(m) for m in ("hph-2-on-time", "readmission-30d")]
    before = count_items(session, measures[0], level=Level.all, window=window)
    session.delete(session.get(Patient, pathway.patient_id))
    session.flush()
    for measure in measures:
        assert_same_counts(session, measure, window)
    after = count_items(session, measures[0], level=Level.all, window=window)
    assert sum(r.denominator for r in after) < sum(r.denominator for r in before)

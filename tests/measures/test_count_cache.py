"""Counts reused while they cannot have changed: the same rows as counting afresh, always.

The cache (``app.measures.count_cache``) is keyed by the counted teams' versions, redrawn by
every committed write that recounts a team, and holds from the moment of counting until the
first moment an item may count otherwise. Each test here counts once to fill it, changes
something (a write, the clock, a team's organisation, a rollback), and checks that the next
count equals ``count_items_from_scratch`` and whether it came from the cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.checklists.models import ChecklistInstance
from app.checklists.service import mark_not_applicable
from app.core.config import get_settings
from app.measures.aggregate import Level, count_items, count_items_from_scratch
from app.measures.catalogue import MeasureDefinition, measures_in_use
from app.measures.count_cache import COUNTS, EPOCH_MEASURE, EPOCH_TEAM
from app.measures.models import MeasureCountVersion
from app.measures.periods import Window
from app.org.models import Organisation, Team
from tests.measures.test_stored_counts import ANCHOR, demo, same_rows
from tests.measures.test_stored_counts_property import everyone

__all__ = ["demo"]  # the seeded demo of test_stored_counts, one per backend
MEASURE = "hph-2-on-time"


@pytest.fixture()
def session(demo: Engine) -> Iterator[Session]:
    """A session on the seeded demo whose committed changes are rolled back afterwards."""
    COUNTS.clear()
    connection = demo.connect()
    transaction = connection.begin()
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        yield session
    transaction.rollback()
    connection.close()


def measure() -> MeasureDefinition:
    return measures_in_use().get(MEASURE)


def open_instance(session: Session) -> ChecklistInstance:
    """An HPH 2 checklist still open on the demo's day."""
    found = session.exec(
        select(ChecklistInstance)
        .where(ChecklistInstance.definition_id == "hph-2")
        .where(col(ChecklistInstance.status).in_(("due", "in_progress")))
        .where(col(ChecklistInstance.due_date) <= ANCHOR)
        .order_by(col(ChecklistInstance.due_date).desc())
    ).first()
    assert found is not None
    return found


def window_at(now: datetime, instance: ChecklistInstance) -> Window:
    return Window(instance.due_date - timedelta(days=60), instance.due_date, now, True, True)


def versions_of(session: Session) -> dict[tuple[int, str], int]:
    rows = session.exec(select(MeasureCountVersion)).all()
    return {(row.team_id, row.measure_id): row.version for row in rows}


def counted(
    session: Session, window: Window, level: Level = Level.team, measure_id: str = MEASURE
) -> tuple[list, bool]:
    """Count once: the rows (checked against counting afresh) and whether they were reused."""
    chosen = measures_in_use().get(measure_id)
    hits = COUNTS.hits
    rows = count_items(session, chosen, level=level, window=window)
    reused = COUNTS.hits > hits
    assert same_rows(rows, count_items_from_scratch(session, chosen, level=level, window=window))
    return rows, reused


def test_a_count_is_reused_until_a_committed_write_changes_the_team(session: Session) -> None:
    instance = open_instance(session)
    now = instance.window_start + timedelta(hours=1)
    first, reused = counted(session, window_at(now, instance))
    assert not reused
    session.commit()  # a new transaction reads the versions afresh
    again, reused = counted(session, window_at(now, instance))
    assert reused and again == first

    mark_not_applicable(session, viewer=everyone(session), instance_id=instance.id, reason="n/a")
    inside, reused = counted(session, window_at(now, instance))
    assert not reused  # the writing transaction neither reads nor fills the cache
    session.commit()
    after, reused = counted(session, window_at(now, instance))
    assert not reused
    assert sum(r.pending for r in after) == sum(r.pending for r in first) - 1
    assert after == inside


def test_a_write_to_one_measure_leaves_the_others_reused(session: Session) -> None:
    instance = open_instance(session)
    now = instance.window_start + timedelta(hours=1)
    other = "innleggelse-on-time"  # counts admission checklists, not HPH 2
    first, _ = counted(session, window_at(now, instance), measure_id=other)
    counted(session, window_at(now, instance))  # the written measure, kept too
    session.commit()
    mark_not_applicable(session, viewer=everyone(session), instance_id=instance.id, reason="n/a")
    session.commit()
    again, reused = counted(session, window_at(now, instance), measure_id=other)
    assert reused and again == first
    _, reused = counted(session, window_at(now, instance))
    assert not reused  # its version was drawn afresh by the write


def test_a_rolled_back_write_leaves_the_versions_and_the_reused_count(session: Session) -> None:
    instance = open_instance(session)
    now = instance.window_start + timedelta(hours=1)
    first, _ = counted(session, window_at(now, instance))
    session.commit()
    versions = versions_of(session)
    mark_not_applicable(session, viewer=everyone(session), instance_id=instance.id, reason="n/a")
    session.flush()
    session.rollback()
    assert versions_of(session) == versions
    again, reused = counted(session, window_at(now, instance))
    assert reused and again == first


def test_a_window_closing_with_no_write_ends_the_reuse(session: Session) -> None:
    instance = open_instance(session)
    before = instance.window_end - timedelta(hours=1)
    first, _ = counted(session, window_at(before, instance))
    session.commit()
    _, reused = counted(session, window_at(before + timedelta(minutes=30), instance))
    assert reused  # nothing the items name happens between the two moments
    at_close, reused = counted(session, window_at(instance.window_end, instance))
    assert not reused  # the open item's window ends: the count must be made again
    after, _ = counted(session, window_at(instance.window_end + timedelta(seconds=1), instance))
    assert sum(r.pending for r in after) <= sum(r.pending for r in first) - 1
    _, reused = counted(session, window_at(before, instance))
    assert not reused  # an earlier moment than the count held from is counted afresh


def test_a_team_moved_to_another_organisation_is_counted_there(session: Session) -> None:
    instance = open_instance(session)
    now = instance.window_start + timedelta(hours=1)
    first, _ = counted(session, window_at(now, instance), Level.organisation)
    session.commit()
    team = session.get(Team, instance.team_id)
    assert team is not None
    other = session.exec(
        select(Organisation).where(Organisation.id != team.organisation_id)
    ).first()
    assert other is not None
    team.organisation_id = other.id
    session.add(team)
    session.commit()
    moved, reused = counted(session, window_at(now, instance), Level.organisation)
    assert not reused and moved != first


def test_a_rebuild_draws_a_new_epoch_and_the_cache_can_be_turned_off(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.measures.stored_counts import rebuild_counts

    instance = open_instance(session)
    now = instance.window_start + timedelta(hours=1)
    counted(session, window_at(now, instance))
    session.commit()
    epoch = session.get(MeasureCountVersion, (EPOCH_TEAM, EPOCH_MEASURE))
    assert epoch is not None
    before = epoch.version
    rebuild_counts(session, [measure()])
    session.commit()
    session.refresh(epoch)
    assert epoch.version != before
    _, reused = counted(session, window_at(now, instance))
    assert not reused
    monkeypatch.setenv("HPH_COUNT_CACHE_ROWS", "0")
    get_settings.cache_clear()
    try:
        session.commit()
        _, reused = counted(session, window_at(now, instance))
        assert not reused
    finally:
        monkeypatch.delenv("HPH_COUNT_CACHE_ROWS")
        get_settings.cache_clear()

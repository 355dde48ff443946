"""Two writers changing one pathway at once: its stored items are re-derived one after the other.

The first writer's refresh locks the pathway until it commits; the second waits, then sees the
first one's items. Without that lock, PostgreSQL would let the second delete only what it saw
and insert items the first had already stored (a unique violation, or counts twice).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.core import migrate
from app.core.db import build_engine
from app.measures.item_store import rebuild
from app.measures.models import MeasureItem
from app.pathways.models import PathwayEvent
from tests.factories import make_patient, make_team
from tests.measures.conftest import OSLO, pathway_of


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_of_its_own(request: pytest.FixtureRequest, fresh_database_url):  # type: ignore[no-untyped-def]
    url = fresh_database_url(request.param)
    migrate.upgrade(url)
    engine = build_engine(url)
    yield engine
    engine.dispose()


def _event(pathway_id: int, team_id: int, kind: str, at: datetime) -> PathwayEvent:
    return PathwayEvent(
        pathway_id=pathway_id,
        kind=kind,
        occurred_at=at,
        occurred_on=at.astimezone(OSLO).date(),
        team_id=team_id,
    )


def _items(engine: Engine, pathway_id: int) -> list[tuple[object, ...]]:
    with Session(engine) as session:
        rows = session.exec(select(MeasureItem).where(MeasureItem.pathway_id == pathway_id)).all()
        return sorted((r.measure_id, r.subject_id, r.due_date, r.met_at) for r in rows)


def test_two_writers_on_one_pathway_leave_the_items_of_both(engine_of_its_own: Engine) -> None:
    engine = engine_of_its_own
    with Session(engine) as setup:
        team = make_team(setup)
        pathway = pathway_of(setup, make_patient(setup, team))
        pathway_id, team_id = int(pathway.id or 0), int(team.id or 0)
        setup.add(
            _event(pathway_id, team_id, "hospital_discharge", datetime(2026, 2, 1, 9, tzinfo=UTC))
        )
        setup.commit()
    first_flushed, errors = threading.Event(), []

    def first() -> None:
        try:
            with Session(engine) as session:
                at = datetime(2026, 2, 10, 9, tzinfo=UTC)
                session.add(_event(pathway_id, team_id, "hospital_admission", at))
                session.flush()  # derives the pathway's items and holds its lock
                first_flushed.set()
                threading.Event().wait(0.5)  # the second writer arrives meanwhile
                session.add(
                    _event(
                        pathway_id,
                        team_id,
                        "hospital_discharge",
                        datetime(2026, 2, 12, 9, tzinfo=UTC),
                    )
                )
                session.commit()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
            first_flushed.set()

    def second() -> None:
        try:
            first_flushed.wait(10)
            with Session(engine) as session:
                at = datetime(2026, 3, 1, 9, tzinfo=UTC)
                session.add(_event(pathway_id, team_id, "hospital_discharge", at))
                session.commit()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    stored = _items(engine, pathway_id)
    readmissions = [row for row in stored if row[0] == "readmission-30d"]
    assert len(readmissions) == 3  # every discharge once, the first readmitted
    assert sum(row[3] is not None for row in readmissions) == 1
    with Session(engine) as session:
        rebuild(session)
        session.commit()
    assert _items(engine, pathway_id) == stored

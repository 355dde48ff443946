"""Two nurses saving the same answer at the same moment: exactly one wins, the other is told."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.checklists.models import ChecklistAnswerRevision
from app.checklists.service import AnswerConflict, save_answer
from app.core import migrate
from app.core.db import build_engine, utcnow
from app.org.scope import resolve_viewer
from app.pathways.events import record_event
from tests.factories import nurse_with_pathway

ROUNDS = 15


def _save(
    engine,
    nurse_id: int,
    instance_id: int,
    value: str,
    expected: int,  # type: ignore[no-untyped-def]
    barrier: threading.Barrier,
    results: list[str],
) -> None:
    """One nurse's save in a transaction of its own, released at the same moment as the other."""
    from app.org.models import User

    with Session(engine) as session:
        viewer = resolve_viewer(session, session.get(User, nurse_id))
        session.commit()  # no transaction open while waiting for the other nurse
        barrier.wait()
        try:
            save_answer(
                session,
                viewer=viewer,
                instance_id=instance_id,
                item_id="fall_last_year",
                value=value,
                expected_version=expected,
            )
            session.commit()
            results.append("saved")
        except AnswerConflict:
            session.rollback()
            results.append("conflict")


def _race(engine, nurse_id: int, instance_id: int, version: int) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """Two saves of the same version at once; returns what happened to each."""
    barrier, results = threading.Barrier(2, timeout=30), []
    threads = [
        threading.Thread(
            target=_save, args=(engine, nurse_id, instance_id, v, version, barrier, results)
        )
        for v in ("yes", "no")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tuple(sorted(results))


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_simultaneous_saves_of_one_version_never_both_succeed(fresh_database_url, backend_name):
    url = fresh_database_url(backend_name)
    migrate.upgrade(url)
    engine = build_engine(url, pool_size=5) if backend_name == "postgresql" else build_engine(url)
    with Session(engine) as setup:
        _team, nurse, viewer, _patient, pathway = nurse_with_pathway(setup)
        _event, created = record_event(
            setup,
            viewer=viewer,
            pathway_id=pathway.id,
            kind="hospital_discharge",
            occurred_at=utcnow() - timedelta(hours=2),
        )
        instance_id = next(i.id for i in created if i.definition_id == "hph-2")
        nurse_id = nurse.id
        setup.commit()
    outcomes = [_race(engine, nurse_id, instance_id, version) for version in range(ROUNDS)]
    assert outcomes == [("conflict", "saved")] * ROUNDS
    with Session(engine) as check:
        versions = check.exec(select(ChecklistAnswerRevision.version)).all()
    assert sorted(versions) == list(range(1, ROUNDS + 1))
    engine.dispose()

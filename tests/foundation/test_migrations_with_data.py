"""Migrations keep a database full of demo data: down to the first revision and up again loses
no row, and `downgrade base` empties a database that holds data."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.checklists.in_use import catalogue_in_use
from app.checklists.models import ChecklistAnswer, ChecklistAnswerRevision, ChecklistInstance
from app.checklists.service import OPEN_STATUSES, save_answer
from app.core import migrate
from app.core.db import build_engine
from app.demo.seed import seed_demo
from app.org.models import User
from app.org.scope import resolve_viewer

ANCHOR = date(2026, 11, 24)
NURSE = "sykepleier@demo.no"
KEPT_TABLES = (
    "learning_network",
    "organisation",
    "team",
    "app_user",
    "membership",
    "patient",
    "pathway",
    "pathway_team",
    "pathway_event",
    "checklist_instance",
    "checklist_answer",
    "what_matters_conversation",
    "goal",
    "goal_rating",
    "annotation",
)
# Columns that exist at only one end of the trip: the key head moved to
# checklist_answer_revision, what 0004 derives from stored facts (compared separately), why a
# pathway ended (0006) and the patients' search keys (0007, derived from label and reference).
MOVED_COLUMNS = {
    "checklist_answer": {"idempotency_key"},
    "pathway_event": {"occurred_on", "team_id"},
    "checklist_instance": {"event_cancelled", "closing_key"},
    "pathway": {"end_reason"},
    "patient": {"label_key", "reference_key"},
    "organisation": {"municipality_number"},
    "learning_network": {"chart_rules"},
}
ANSWERED_INSTANCES = 6


def _fingerprint(engine: Engine) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every column (but the moved one) of each kept table."""
    result: dict[str, tuple[int, str]] = {}
    with engine.connect() as connection:
        inspector = inspect(connection)
        for table in KEPT_TABLES:
            columns = sorted(
                c["name"]
                for c in inspector.get_columns(table)
                if c["name"] not in MOVED_COLUMNS.get(table, set())
            )
            quoted = ", ".join(f'"{c}"' for c in columns)
            rows = sorted(
                repr(tuple(row))
                for row in connection.execute(text(f"SELECT {quoted} FROM {table}"))
            )
            digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
            result[table] = (len(rows), digest)
    return result


def _answer_some_items(engine: Engine) -> dict[int, str]:
    """Save answers as the demo nurse (some items twice); return answer id → newest key."""
    newest: dict[int, str] = {}
    with Session(engine) as session:
        nurse = session.exec(select(User).where(User.email == NURSE)).one()
        viewer = resolve_viewer(session, nurse)
        instances = session.exec(
            select(ChecklistInstance)
            .where(col(ChecklistInstance.team_id).in_(viewer.patient_team_ids))
            .where(col(ChecklistInstance.status).in_(OPEN_STATUSES))
            .order_by(col(ChecklistInstance.id))
            .limit(ANSWERED_INSTANCES)
        ).all()
        assert len(instances) == ANSWERED_INSTANCES
        for instance in instances:
            definition = catalogue_in_use().resolve(
                instance.definition_id, instance.definition_version, instance.variant
            )
            items = [i for i in definition.items if i.type == "yes_no" and i.show_if is None]
            for position, item in enumerate(items[:2]):
                version = 0
                for value in ("yes", "no")[: position + 1]:
                    key = str(uuid.uuid4())
                    _view, answer = save_answer(
                        session,
                        viewer=viewer,
                        instance_id=int(instance.id or 0),
                        item_id=item.id,
                        value=value,
                        expected_version=version,
                        idempotency_key=key,
                    )
                    version = answer.version
                    newest[int(answer.id or 0)] = key
        session.commit()
    assert newest
    return newest


def _replay_is_recognised(engine: Engine, newest_keys: dict[int, str]) -> None:
    """Send one kept key again: the service answers from the stored save, writing nothing."""
    answer_id, key = next(iter(newest_keys.items()))
    with Session(engine) as session:
        nurse = session.exec(select(User).where(User.email == NURSE)).one()
        instance_id, item_id, version = (
            session.connection()
            .execute(
                text("SELECT instance_id, item_id, version FROM checklist_answer WHERE id = :id"),
                {"id": answer_id},
            )
            .one()
        )
        stored = session.get(ChecklistAnswer, answer_id)
        assert stored is not None
        _view, answer = save_answer(
            session,
            viewer=resolve_viewer(session, nurse),
            instance_id=instance_id,
            item_id=item_id,
            value=stored.value,
            expected_version=0,
            idempotency_key=key,
        )
        assert (answer.id, answer.version) == (answer_id, version)
        session.commit()


def _revisions(engine: Engine) -> list[tuple[int, int, str | None]]:
    """(answer id, version, idempotency key) of every stored revision, sorted."""
    with Session(engine) as session:
        rows = session.exec(
            select(
                ChecklistAnswerRevision.answer_id,
                ChecklistAnswerRevision.version,
                ChecklistAnswerRevision.idempotency_key,
            )
        ).all()
    return sorted((int(a), int(v), k) for a, v, k in rows)


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_down_to_first_revision_and_up_again_keeps_every_demo_row(
    fresh_database_url, backend_name: str
) -> None:
    url = fresh_database_url(backend_name)
    migrate.upgrade(url)
    engine = build_engine(url)
    seed_demo(engine, catalogue_in_use(), seed=2026, scale=0.04, today=ANCHOR)
    newest_keys = _answer_some_items(engine)
    before = _fingerprint(engine)
    assert all(count > 0 for count, _digest in before.values())
    assert len(_revisions(engine)) > len(newest_keys)  # some answers have two versions

    migrate.downgrade(url, "0001")
    inspector = inspect(engine)
    assert "checklist_answer_revision" not in inspector.get_table_names()
    assert _fingerprint(engine) == before
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, idempotency_key FROM checklist_answer"))
        # Computed answers (BMI, MST score) are saved by the server, with no key of their own.
        kept_keys = {int(answer_id): key for answer_id, key in rows if key is not None}
    assert kept_keys == newest_keys

    migrate.upgrade(url)
    assert _fingerprint(engine) == before
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, version FROM checklist_answer"))
        versions = {int(answer_id): int(version) for answer_id, version in rows}
    revisions = _revisions(engine)
    assert [r for r in revisions if r[0] in newest_keys] == sorted(
        (answer_id, versions[answer_id], key) for answer_id, key in newest_keys.items()
    )
    _replay_is_recognised(engine, newest_keys)
    assert _revisions(engine) == revisions
    engine.dispose()


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_downgrade_base_removes_every_table_of_a_full_database(
    fresh_database_url, backend_name: str
) -> None:
    url = fresh_database_url(backend_name)
    migrate.upgrade(url)
    engine = build_engine(url)
    seed_demo(engine, catalogue_in_use(), seed=2026, scale=0.04, today=ANCHOR)
    _answer_some_items(engine)

    migrate.downgrade(url, "base")
    remaining = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert remaining == set()
    engine.dispose()


def test_event_dates_and_cancel_flags_are_rebuilt_exactly_by_the_migration(fresh_database_url):  # type: ignore[no-untyped-def]
    url = fresh_database_url("sqlite")
    migrate.upgrade(url)
    engine = build_engine(url)
    seed_demo(engine, catalogue_in_use(), seed=2026, scale=0.04, today=ANCHOR)
    query = text(
        "SELECT e.id, e.occurred_on, e.team_id, i.id, i.event_cancelled FROM pathway_event e"
        " LEFT JOIN checklist_instance i ON i.event_id = e.id ORDER BY e.id, i.id"
    )
    with engine.begin() as connection:  # one admission cancelled, as cancel_event leaves it
        event_id = connection.execute(
            text("SELECT MIN(event_id) FROM checklist_instance WHERE status = 'completed'")
        ).scalar_one()
        connection.execute(
            text(
                "UPDATE pathway_event SET status = 'cancelled', cancel_reason = 'x' WHERE id = :e"
            ),
            {"e": event_id},
        )
        connection.execute(
            text("UPDATE checklist_instance SET event_cancelled = :t WHERE event_id = :e"),
            {"t": True, "e": event_id},
        )
    with engine.connect() as connection:
        before = [tuple(map(str, row)) for row in connection.execute(query)]
    engine.dispose()
    migrate.downgrade(url, "0003")
    migrate.upgrade(url)
    engine = build_engine(url)
    with engine.connect() as connection:
        after = [tuple(map(str, row)) for row in connection.execute(query)]
    engine.dispose()
    assert after == before and any(row[4] in ("True", "1") for row in before)

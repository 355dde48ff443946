"""The demo seed is deterministic, realistic in shape, and refuses a database in use."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Engine

from app.checklists.in_use import catalogue_in_use
from app.checklists.models import ChecklistInstance
from app.core import migrate
from app.core.db import build_engine
from app.demo.seed import DatabaseNotEmpty, seed_demo
from app.org.models import Team
from app.pathways.models import Patient

ANCHOR = date(2026, 11, 24)
SKIPPED_COLUMNS = {"created_at", "updated_at", "built_at", "password_hash", "id"}


def _digest(engine: Engine) -> str:
    """A fingerprint of every row (timestamps of the run and salted hashes left out)."""
    digest = hashlib.sha256()
    with engine.connect() as connection:
        inspector = inspect(connection)
        for table in sorted(inspector.get_table_names()):
            # measure_count_version holds random tokens by design (app.measures.count_cache)
            if table in {"alembic_version", "audit_entry", "user_session", "measure_count_version"}:
                continue
            columns = [
                c["name"] for c in inspector.get_columns(table) if c["name"] not in SKIPPED_COLUMNS
            ]
            quoted = ", ".join(f'"{c}"' for c in columns)
            rows = sorted(
                repr(tuple(row))
                for row in connection.execute(text(f"SELECT {quoted} FROM {table}"))
            )
            digest.update("\n".join(rows).encode())
    return digest.hexdigest()


def _seeded(fresh_database_url, backend: str, seed: int) -> Engine:  # type: ignore[no-untyped-def]
    url = fresh_database_url(backend)
    migrate.upgrade(url)
    engine = build_engine(url)
    seed_demo(engine, catalogue_in_use(), seed=seed, scale=0.04, today=ANCHOR)
    return engine


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_same_seed_gives_the_same_database(fresh_database_url, backend_name: str) -> None:
    first = _seeded(fresh_database_url, backend_name, 7)
    second = _seeded(fresh_database_url, backend_name, 7)
    other = _seeded(fresh_database_url, backend_name, 8)
    assert _digest(first) == _digest(second)
    assert _digest(first) != _digest(other)
    for engine in (first, second, other):
        engine.dispose()


def test_demo_has_the_shape_of_a_learning_network(fresh_database_url) -> None:
    engine = _seeded(fresh_database_url, "sqlite", 2026)
    with engine.connect() as connection:
        teams = connection.execute(select(func.count()).select_from(Team)).scalar_one()
        patients = connection.execute(select(func.count()).select_from(Patient)).scalar_one()
        statuses = dict(
            connection.execute(
                select(ChecklistInstance.status, func.count()).group_by(ChecklistInstance.status)
            ).all()
        )
        first_due, last_due = connection.execute(
            select(func.min(ChecklistInstance.due_date), func.max(ChecklistInstance.due_date))
        ).one()
    assert teams == 17
    assert patients == 60
    assert {"completed", "due"} <= set(statuses)
    assert (ANCHOR - date.fromisoformat(str(first_due))).days > 365
    assert date.fromisoformat(str(last_due)) > ANCHOR
    with pytest.raises(DatabaseNotEmpty):
        seed_demo(engine, catalogue_in_use(), seed=1, scale=0.01, today=ANCHOR)
    engine.dispose()

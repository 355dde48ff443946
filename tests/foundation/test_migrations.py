"""Migrations build exactly the models' schema and come down again, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from app.core import migrate
from app.core.db import build_engine, import_all_models


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_upgrade_head_matches_models_and_downgrade_base_empties(fresh_database_url, backend_name):
    url = fresh_database_url(backend_name)
    migrate.upgrade(url)
    import_all_models()
    engine = build_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    migrate.downgrade(url)
    remaining = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert remaining == set()
    engine.dispose()

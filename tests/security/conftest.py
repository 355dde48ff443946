"""A fresh application on a migrated, seeded database of its own, for the fuzzers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from app.core import migrate
from app.core.config import get_settings
from app.core.db import build_engine, get_engine
from tests.conftest import BACKENDS
from tests.security.world import World, build_world


@dataclass
class FuzzTarget:
    """The application under fuzzing and the world inside its database."""

    app: FastAPI
    world: World
    backend: str = "sqlite"


def _target(url: str, backend: str) -> Iterator[FuzzTarget]:
    """create_app() on a freshly migrated database at ``url`` holding the small world."""
    migrate.upgrade(url)
    engine = build_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        world = build_world(session)
        session.commit()
    engine.dispose()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HPH_DATABASE_URL", url)
        get_settings.cache_clear()
        get_engine.cache_clear()
        from app.main import create_app

        yield FuzzTarget(create_app(), world, backend)
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    """The application on its own SQLite file (the form fuzzer needs no second backend)."""
    yield from _target(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'hph.db'}", "sqlite")


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_target_each_backend(
    request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]
) -> Iterator[FuzzTarget]:
    """The application on a fresh database of each backend (SQLite, then PostgreSQL)."""
    backend = str(request.param)
    yield from _target(fresh_database_url(backend), backend)

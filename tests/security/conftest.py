"""A fresh application on a migrated database holding a small world, for the fuzzers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    """The application under fuzzing, the world inside its database, and where that is."""

    app: FastAPI
    world: World
    url: str
    backend: str = "sqlite"


@contextmanager
def _fuzzed_app(url: str, backend: str) -> Iterator[FuzzTarget]:
    """create_app() on a freshly migrated database holding the security tests' world."""
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

        yield FuzzTarget(create_app(), world, url, backend)
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    """create_app() on its own SQLite file."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'hph.db'}"
    with _fuzzed_app(url, "sqlite") as target:
        yield target


@pytest.fixture(scope="module")
def form_fuzz_target(backend: str, fresh_database_url) -> Iterator[FuzzTarget]:  # type: ignore[no-untyped-def]
    """create_app() on a fresh database of each backend (PostgreSQL refuses what SQLite keeps)."""
    with _fuzzed_app(fresh_database_url(backend), backend) as target:
        yield target


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_target_each_backend(
    request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]
) -> Iterator[FuzzTarget]:
    """The application on a fresh database of each backend (SQLite, then PostgreSQL)."""
    backend = str(request.param)
    with _fuzzed_app(fresh_database_url(backend), backend) as target:
        yield target

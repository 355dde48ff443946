"""A fresh application on a migrated, seeded temporary SQLite file, for the fuzzers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from app.core import migrate
from app.core.config import get_settings
from app.core.db import build_engine, get_engine
from tests.security.world import World, build_world


@dataclass
class FuzzTarget:
    """The application under fuzzing and the world inside its database."""

    app: FastAPI
    world: World


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    """create_app() on its own SQLite file (SQLite only: fuzzing needs no second backend)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'hph.db'}"
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

        yield FuzzTarget(create_app(), world)
    get_settings.cache_clear()
    get_engine.cache_clear()

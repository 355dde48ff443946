"""Fixtures of the FHIR tests: the security tests' world with a nurse of team A, and the
seeded demo network with the application on it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.checklists.in_use import catalogue_in_use
from app.core import migrate
from app.core.config import get_settings
from app.core.db import build_engine, get_engine, get_session
from app.demo.network import DEMO_PASSWORD
from app.demo.seed import seed_demo
from tests.conftest import BACKENDS
from tests.security.world import NOW, World, browser, build_world, signed_in


@pytest.fixture()
def world(db: Session) -> Iterator[World]:
    """The security tests' world (teams A and B in one organisation, C in another), frozen."""
    with time_machine.travel(NOW, tick=False):
        yield build_world(db)


@pytest.fixture()
def nurse(app, world: World) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """A nurse of team A."""
    client = signed_in(app, world.users["nurse"])
    yield client
    client.close()


DEMO_TODAY = date(2026, 3, 18)
DEMO_NOW = datetime(2026, 3, 18, 11, 0, tzinfo=UTC)


@pytest.fixture(scope="module", params=BACKENDS)
def demo_engine(request: pytest.FixtureRequest, fresh_database_url) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """The demo network seeded once per module and backend (about 150 patients, 18 months)."""
    url = fresh_database_url(request.param)
    migrate.upgrade(url)
    engine = build_engine(url)
    seed_demo(engine, catalogue_in_use(), seed=2026, scale=0.1, today=DEMO_TODAY)
    yield engine
    engine.dispose()


@pytest.fixture()
def demo_db(demo_engine: Engine) -> Iterator[Session]:
    """A session on the seeded demo whose changes (audit entries) are rolled back."""
    connection = demo_engine.connect()
    transaction = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture()
def demo_app(demo_db: Session, demo_engine: Engine, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The application on the seeded demo, at the demo's today, each request a savepoint."""
    from app.main import create_app

    monkeypatch.setenv("HPH_DATABASE_URL", demo_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    get_engine.cache_clear()
    application = create_app()

    def _session() -> Iterator[Session]:
        demo_db.commit()
        try:
            yield demo_db
            demo_db.commit()
        except Exception:
            demo_db.rollback()
            raise

    application.dependency_overrides[get_session] = _session
    with time_machine.travel(DEMO_NOW, tick=False):
        yield application
    get_settings.cache_clear()
    get_engine.cache_clear()


def demo_client(app, email: str) -> TestClient:  # type: ignore[no-untyped-def]
    """A browser signed in as one of the demo's users."""
    client = browser(app)
    response = client.post("/api/v1/session", json={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return client

"""Test fixtures: every database test runs on SQLite and on PostgreSQL, each in a rolled-back
transaction on the migrated schema."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer
from sqlalchemy.engine import Engine
from sqlmodel import Session

os.environ.setdefault("HPH_SECRET_KEY", "test-secret-key-that-is-long-enough-for-settings")
os.environ.setdefault("HPH_DATA_DIR", tempfile.mkdtemp(prefix="hph-test-data-"))

from app.core import migrate  # noqa: E402
from app.core.config import get_settings  # noqa: E402
from app.core.db import build_engine, get_engine, get_session  # noqa: E402
from app.core.hardening import CSRF_COOKIE, CSRF_HEADER  # noqa: E402
from tests.postgres_cluster import PostgresUnavailable, ThrowawayCluster, start_cluster  # noqa: E402

BACKENDS = ["sqlite", "postgresql"]


def _postgres_required() -> bool:
    return os.environ.get("HPH_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ThrowawayCluster | str | None]:
    """A PostgreSQL server: HPH_TEST_DATABASE_URL, or a throwaway cluster started here."""
    given = os.environ.get("HPH_TEST_DATABASE_URL")
    if given:
        yield given
        return
    try:
        cluster = start_cluster()
    except PostgresUnavailable as exc:
        if _postgres_required():
            pytest.fail(f"PostgreSQL is required (HPH_REQUIRE_POSTGRES=1) but: {exc}")
        yield None
        return
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def fresh_database_url(postgres_server, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A factory for new, empty databases of either backend."""

    def _make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'hph.db'}"
        if postgres_server is None:
            pytest.skip("PostgreSQL is not available here (set HPH_TEST_DATABASE_URL)")
        if isinstance(postgres_server, str):
            return postgres_server
        return postgres_server.create_database(f"hph_{uuid.uuid4().hex[:12]}")

    return _make


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend a test runs on."""
    return str(request.param)


@pytest.fixture(scope="session")
def engine(backend: str, fresh_database_url) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """A migrated database of the current backend, shared by the tests of a session."""
    url = fresh_database_url(backend)
    migrate.upgrade(url)
    engine = build_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture()
def db(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        if transaction.is_active:
            transaction.rollback()
        connection.close()


@pytest.fixture()
def app(db: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The application wired to the test's transaction."""
    from app.main import create_app

    monkeypatch.setenv("HPH_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    get_engine.cache_clear()
    application = create_app()

    def _session() -> Iterator[Session]:
        # Like production, each request is its own transaction: what the test set up before
        # is committed (to a savepoint of the test's transaction), so a refused request rolls
        # back only its own work, never the fixtures.
        db.commit()
        try:
            yield db
            db.commit()
        except Exception:
            db.rollback()
            raise

    application.dependency_overrides[get_session] = _session
    yield application
    get_settings.cache_clear()
    get_engine.cache_clear()


def csrf_token_for_tests() -> str:
    """A CSRF token signed like the application signs them (as a browser would hold one)."""
    secret = get_settings().resolved_secret_key()
    return str(URLSafeSerializer(secret).dumps("test-browser", CSRF_COOKIE))


@pytest.fixture()
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """An HTTP client for the application that carries a CSRF token like a browser page."""
    token = csrf_token_for_tests()
    with TestClient(app, raise_server_exceptions=False) as test_client:
        test_client.headers[CSRF_HEADER] = token
        send = test_client.request

        def request_with_token(method: str, url: object, **kwargs: object):  # type: ignore[no-untyped-def]
            if test_client.cookies.get(CSRF_COOKIE) is None:
                test_client.cookies.set(CSRF_COOKIE, token)
            return send(method, url, **kwargs)  # type: ignore[arg-type]

        test_client.request = request_with_token  # type: ignore[method-assign]
        yield test_client


@pytest.fixture()
def bare_client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """An HTTP client without any CSRF token (a forged cross-site request)."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def pytest_report_header(config: pytest.Config) -> str:
    """Say which databases the run uses."""
    where = os.environ.get("HPH_TEST_DATABASE_URL") or "a throwaway cluster"
    return f"hph: databases sqlite + postgresql ({where}); root={Path('/').resolve()}"


@pytest.fixture(autouse=True)
def fresh_test_state() -> Iterator[None]:
    """English for services called directly, and no sign-in attempts counted yet."""
    from app.core.i18n import set_language
    from app.org.throttle import reset_sign_in_limits

    set_language("en")
    reset_sign_in_limits()
    yield

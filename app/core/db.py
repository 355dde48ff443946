"""Database: engine, the per-request session that owns the transaction, and column types."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, create_engine

from app.core.config import SettingsError, get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Refuse naive datetimes and store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a timezone-aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, _dialect: Any) -> datetime | None:
        """Return UTC-aware datetimes on every database."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _enable_sqlite_rules(engine: Engine) -> None:
    """Turn on foreign keys and proper transactions (SAVEPOINT) for pysqlite."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
        # writes fails at once with "database is locked" when another writer went first.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _postgres_timeouts(*, long_statements: bool) -> str:
    """Connection options giving every PostgreSQL session a lock and a statement timeout.

    Without them a transaction that never ends (a stuck worker, a lost client) makes every
    other writer of its rows wait forever, and with them the server's workers.
    """
    settings = get_settings()
    statement = (
        settings.database_long_statement_timeout
        if long_statements
        else settings.database_statement_timeout
    )
    lock_ms, statement_ms = round(settings.database_lock_timeout * 1000), round(statement * 1000)
    return f"-c lock_timeout={lock_ms} -c statement_timeout={statement_ms}"


def build_engine(url: str, *, long_statements: bool = False, **kwargs: Any) -> Engine:
    """Create an engine for a URL, with a clear error when the URL is wrong.

    ``long_statements`` is for migrations, seeding and benches: their statements may run for
    ``database_long_statement_timeout`` instead of a request's ``database_statement_timeout``.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise SettingsError(
            f"HPH_DATABASE_URL '{url}' is not a database URL: use sqlite:///path/to/hph.db "
            "or postgresql+psycopg://user:password@host:5432/dbname."
        ) from exc
    if parsed.drivername == "postgresql" or parsed.drivername == "postgres":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if not parsed.drivername.startswith(("sqlite", "postgresql")):
        raise SettingsError(
            f"HPH_DATABASE_URL uses '{parsed.drivername}': HPH Tracker runs on SQLite or "
            "PostgreSQL (postgresql+psycopg://...)."
        )
    try:
        if parsed.drivername.startswith("sqlite"):
            engine = create_engine(
                parsed, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
            )
            _enable_sqlite_rules(engine)
        else:
            options = _postgres_timeouts(long_statements=long_statements)
            given = parsed.query.get("options")
            if isinstance(given, str):  # options in the URL come after, so they win
                options = f"{options} {given}"
                parsed = parsed.difference_update_query(["options"])
            connect_args = {"options": options, **kwargs.pop("connect_args", {})}
            engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise SettingsError(f"HPH_DATABASE_URL cannot be used: {exc}") from exc
    return engine


def engine_name(session: Session) -> str:
    """Which database a session reads (its URL without the password): a key for caches kept
    in the process, which may serve more than one database (tests, benches)."""
    bind: Any = session.get_bind()
    return str(bind.engine.url)  # a URL renders its password as ***


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """Return the process-wide engine for the configured database."""
    return build_engine(get_settings().database_url)


def get_session() -> Iterator[Session]:
    """Yield a session that commits when the request succeeds and rolls back when it fails."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


def describe_connection_error(url: str, exc: Exception) -> str:
    """Turn a driver's connection error into one line naming the problem and the fix."""
    safe_url = make_url(url).render_as_string(hide_password=True)
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else repr(exc)
    return (
        f"Cannot reach the database at {safe_url} ({reason}). Check that the server runs and "
        "that HPH_DATABASE_URL names the right host, port, user, password and database."
    )


def import_all_models() -> None:
    """Import every table module so that ``SQLModel.metadata`` knows the whole schema."""
    import app.admin.models
    import app.audit.models
    import app.checklists.models
    import app.digest.models
    import app.fhir.ingest_models
    import app.goals.models
    import app.measures.models
    import app.org.models
    import app.pathways.models
    import app.risks.models  # noqa: F401

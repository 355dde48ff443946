"""Running Alembic from the application (the `hph migrate` command, the demo and tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from app.core.config import REPO_ROOT


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """Return the Alembic configuration of this repository for a URL or an open connection."""
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the database up to a revision (head by default)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    """Take the database down to a revision (base by default)."""
    command.downgrade(alembic_config(url), revision)


def pending_revisions(url: str) -> tuple[str | None, str | None]:
    """The database's schema revision and this code's head (equal when up to date)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from app.core.db import build_engine

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    engine = build_engine(url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    return current, head

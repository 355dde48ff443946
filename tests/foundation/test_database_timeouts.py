"""Every PostgreSQL session has a lock and a statement timeout (issue 17): a transaction that
never ends costs the requests waiting for it an error, never the whole server."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.core.config import get_settings
from app.core.db import build_engine


def _timeouts(url: str, **kwargs: object) -> tuple[str, str]:
    engine = build_engine(url, **kwargs)  # type: ignore[arg-type]
    try:
        with engine.connect() as connection:
            lock = connection.execute(text("SHOW lock_timeout")).scalar_one()
            statement = connection.execute(text("SHOW statement_timeout")).scalar_one()
    finally:
        engine.dispose()
    return str(lock), str(statement)


def test_request_sessions_wait_five_seconds_for_a_lock_and_run_thirty(fresh_database_url) -> None:  # type: ignore[no-untyped-def]
    url = fresh_database_url("postgresql")
    assert _timeouts(url) == ("5s", "30s")
    assert _timeouts(url, long_statements=True) == ("5s", "1h")


def test_timeouts_follow_the_settings_and_the_url_may_override(
    fresh_database_url, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    url = fresh_database_url("postgresql")
    monkeypatch.setenv("HPH_DATABASE_LOCK_TIMEOUT", "1.5")
    monkeypatch.setenv("HPH_DATABASE_STATEMENT_TIMEOUT", "0")
    get_settings.cache_clear()
    try:
        assert _timeouts(url) == ("1500ms", "0")
        assert _timeouts(f"{url}?options=-c%20lock_timeout%3D7s") == ("7s", "0")
    finally:
        get_settings.cache_clear()


def test_a_lock_held_too_long_fails_the_waiting_statement(fresh_database_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    url = fresh_database_url("postgresql")
    monkeypatch.setenv("HPH_DATABASE_LOCK_TIMEOUT", "0.2")
    get_settings.cache_clear()
    engine = build_engine(url)
    try:
        with engine.connect() as holder, engine.connect() as waiter:
            holder.execute(text("CREATE TABLE IF NOT EXISTS probe (id int)"))
            holder.commit()
            holder.execute(text("LOCK TABLE probe IN ACCESS EXCLUSIVE MODE"))
            with pytest.raises(Exception, match="lock timeout"):
                waiter.execute(text("SELECT * FROM probe"))
    finally:
        engine.dispose()
        get_settings.cache_clear()

"""The `hph` command answers a wrong setting with one clear line, never a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.core.config import get_settings
from app.core.db import get_engine

runner = CliRunner()


@pytest.fixture(autouse=True)
def _fresh_settings():  # type: ignore[no-untyped-def]
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"HPH_DATABASE_URL": "mysql://db/x"}, "runs on SQLite or PostgreSQL"),
        ({"HPH_DATABASE_URL": "not a url"}, "is not a database URL"),
        ({"HPH_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"}, "Cannot reach the database"),
        ({"HPH_SECRET_KEY": "short"}, "HPH_SECRET_KEY is shorter than 32 characters"),
        ({"HPH_TIMEZONE": "Mars/Olympus"}, "not a known time zone"),
        ({"HPH_TRUSTED_PROXIES": "nginx"}, "HPH_TRUSTED_PROXIES: 'nginx' is not an address"),
    ],
)
def test_wrong_setting_gives_one_clear_line(env, expected, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HPH_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 1
    assert expected in result.output
    assert "Traceback" not in result.output


def test_serve_refuses_a_database_behind_the_code(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.core import migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "0001")
    monkeypatch.setenv("HPH_DATABASE_URL", url)
    result = runner.invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "run `hph migrate` first" in result.output


def test_serve_leaves_forwarded_headers_to_the_trusted_proxies_setting(
    tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import uvicorn

    from app.core import migrate
    from app.core.config import get_settings
    from app.core.db import get_engine

    url = f"sqlite:///{tmp_path / 'hph.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("HPH_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_args, **kwargs: calls.append(kwargs))
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 0, result.output
    # uvicorn's own handling would believe X-Forwarded-For from anything at 127.0.0.1
    assert calls[0]["proxy_headers"] is False


def test_serve_with_workers_leaves_the_application_to_them(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os
    import sys

    from app.core import migrate
    from app.core.config import get_settings

    url = f"sqlite:///{tmp_path / 'hph.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("HPH_DATABASE_URL", url)
    get_settings.cache_clear()
    replaced: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda path, argv: replaced.append([path, *argv]))
    monkeypatch.setattr("uvicorn.run", lambda *_a, **_k: None)
    result = runner.invoke(app, ["serve", "--workers", "2", "--port", "8123"])
    assert result.exit_code == 0, result.output
    # The supervisor is a bare uvicorn that imports the application by name in each worker,
    # with forwarded headers left to HPH_TRUSTED_PROXIES as with one worker.
    [command] = replaced
    assert command[:4] == [sys.executable, sys.executable, "-m", "uvicorn"]
    assert command[4:6] == ["app.main:create_app", "--factory"]
    assert " ".join(command).endswith("--port 8123 --workers 2 --no-proxy-headers --log-level info")


def test_seed_with_a_bad_date_says_how_to_write_it(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HPH_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    result = runner.invoke(app, ["seed", "--today", "24.11.2026"])
    assert result.exit_code == 1 and "YYYY-MM-DD" in result.output


def test_migrate_derives_stale_measure_items_with_a_line_saying_so(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import Session, select

    from app.core.db import build_engine
    from app.measures.models import MeasureItemBuild
    from tests.factories import make_patient, make_team

    url = f"sqlite:///{tmp_path / 'x.db'}"
    monkeypatch.setenv("HPH_DATABASE_URL", url)
    empty = runner.invoke(app, ["migrate"])
    assert empty.exit_code == 0, empty.output
    assert "Measure items" not in empty.output  # nothing to derive in an empty database
    engine = build_engine(url)
    with Session(engine) as session:
        built = {b.measure_id: b for b in session.exec(select(MeasureItemBuild)).all()}
        assert {"readmission-30d", "full-pathway", "what-matters-documented"} <= set(built)
        make_patient(session, make_team(session))
        built["readmission-30d"].fingerprint = "an older definition"
        session.add(built["readmission-30d"])
        session.commit()
    engine.dispose()
    again = runner.invoke(app, ["migrate"])
    assert again.exit_code == 0, again.output
    assert "Measure items derived for readmission-30d (1 stored in all)" in again.output
    quiet = runner.invoke(app, ["migrate"])
    assert quiet.exit_code == 0 and "Measure items" not in quiet.output

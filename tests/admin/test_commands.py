"""`hph org` and `hph users`: exit 0 on success, one clear line and non-zero on bad input."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.core import migrate
from app.core.config import get_settings
from app.core.db import get_engine

runner = CliRunner()


@pytest.fixture()
def hph(fresh_database_url, backend, monkeypatch):  # type: ignore[no-untyped-def]
    """Run `hph ...` against a fresh migrated database of the backend."""
    url = fresh_database_url(backend)
    migrate.upgrade(url)
    monkeypatch.setenv("HPH_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()

    def _run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))

    yield _run
    get_settings.cache_clear()
    get_engine.cache_clear()


def _ok(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    return str(result.output)


def _refused(result, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0], result.output
    assert "Traceback" not in result.output


def test_the_operator_sets_up_a_network_and_its_people(hph, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _ok(hph("org", "add-network", "midt", "--name", "Midt 2026", "--region", "Midt-Norge"))
    _ok(
        hph(
            "org",
            "add-organisation",
            "orkland",
            "--name",
            "Orkland kommune",
            "--network",
            "midt",
            "--kind",
            "municipality",
            "--org-number",
            "921011938",
            "--municipality-number",
            "5059",
        )
    )
    _ok(
        hph(
            "org",
            "add-team",
            "orkland-hjemme",
            "--name",
            "Hjemmetjenesten",
            "--organisation",
            "orkland",
        )
    )
    added = _ok(
        hph(
            "users",
            "add",
            "kari@example.no",
            "--name",
            "Kari",
            "--role",
            "nurse",
            "--scope",
            "team:orkland-hjemme",
        )
    )
    assert added.strip().splitlines()[-1].startswith("/welcome/")
    _ok(
        hph(
            "users",
            "add",
            "ada@example.no",
            "--name",
            "Ada",
            "--role",
            "admin",
            "--scope",
            "network:midt",
        )
    )
    listed = _ok(hph("users", "list", "--scope", "organisation:orkland"))
    assert "kari@example.no" in listed and "ada@example.no" not in listed
    fresh = _ok(hph("users", "invite-link", "kari@example.no"))
    assert fresh.strip().splitlines()[-1].startswith("/welcome/")
    _ok(hph("users", "deactivate", "kari@example.no"))
    assert "inactive" in _ok(hph("users", "list"))
    _ok(hph("users", "reactivate", "kari@example.no"))
    staff = tmp_path / "staff.csv"
    staff.write_text("email;name;role;scope\nola@example.no;Ola;team;organisation:orkland\n")
    imported = _ok(hph("org", "import", str(staff)))
    assert "ola@example.no\t/welcome/" in imported
    assert "0 invited, 0 roles added, 1 rows" in _ok(hph("org", "import", str(staff)))
    _refused(hph("users", "deactivate", "ada@example.no"), "last active administrator")


def test_bad_input_gets_one_clear_line(hph, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _ok(hph("org", "add-network", "midt", "--name", "Midt", "--region", "Midt-Norge"))
    _refused(hph("org", "add-network", "midt", "--name", "M", "--region", "R"), "already taken")
    _refused(
        hph(
            "org",
            "add-organisation",
            "o",
            "--name",
            "O",
            "--network",
            "midt",
            "--kind",
            "municipality",
            "--org-number",
            "921011926",
        ),
        "wrong check digit",
    )
    _refused(
        hph(
            "org", "add-organisation", "o", "--name", "O", "--network", "nord", "--kind", "hospital"
        ),
        "no network 'nord'",
    )
    _refused(
        hph("org", "add-organisation", "o", "--name", "O", "--network", "midt", "--kind", "zoo"),
        "municipality",
    )
    _refused(hph("org", "add-team", "Bad Slug", "--name", "T", "--organisation", "o"), "lower-case")
    _refused(
        hph(
            "users",
            "add",
            "x@example.no",
            "--name",
            "X",
            "--role",
            "nurse",
            "--scope",
            "network:midt",
        ),
        "not on a network",
    )
    _refused(
        hph("users", "add", "x@example.no", "--name", "X", "--role", "nurse", "--scope", "midt"),
        "team:SLUG",
    )
    _refused(hph("users", "deactivate", "nobody@example.no"), "no user")
    bad = tmp_path / "bad.csv"
    bad.write_text("email,name,role,scope\nx@example.no,X,nurse,team:none\n")
    result = hph("org", "import", str(bad))
    assert result.exit_code != 0 and "Row 2: There is no team 'none'." in result.output

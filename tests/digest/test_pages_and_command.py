"""The digest on the team's home page, the account setting, and `hph digest send`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.audit.models import AuditEntry
from app.cli import app as cli
from app.core.config import get_settings
from app.digest.recipients import digest_enabled
from tests.digest.conftest import Scenario
from tests.factories import make_team, make_user, sign_in_client


def test_team_home_loads_each_teams_digest_card(client: TestClient, scenario: Scenario) -> None:
    sign_in_client(client, scenario.member)
    home = client.get("/team")
    assert home.status_code == 200
    assert f'hx-get="/teams/{scenario.team.id}/digest"' in home.text
    card = client.get(f"/teams/{scenario.team.id}/digest", headers={"HX-Request": "true"})
    assert card.status_code == 200
    assert card.text.lstrip().startswith('<section class="card digest"')
    assert 'data-week="2026-W48"' in card.text and "<html" not in card.text


def test_digest_page_is_only_for_the_teams_own_people(
    client: TestClient, db: Session, scenario: Scenario
) -> None:
    other_team = make_team(db)
    outsider = make_user(db, role="team", team=other_team)
    sign_in_client(client, outsider)
    assert client.get(f"/teams/{scenario.team.id}/digest").status_code == 404
    assert client.get(f"/teams/{other_team.id}/digest?week=2026-W99").status_code == 422


def test_account_page_turns_the_digest_off_and_on(
    client: TestClient, db: Session, scenario: Scenario
) -> None:
    sign_in_client(client, scenario.member)
    page = client.get("/account/password")
    assert 'data-digest="on"' in page.text
    off = client.post("/account/digest", data={"enabled": "false"}, follow_redirects=False)
    assert off.status_code == 303
    assert not digest_enabled(db, user_id=int(scenario.member.id or 0))
    assert 'data-digest="off"' in client.get("/account/password").text
    client.post("/account/digest", data={"enabled": "true"})
    assert digest_enabled(db, user_id=int(scenario.member.id or 0))
    audited = db.exec(select(AuditEntry.what).where(AuditEntry.user_id == scenario.member.id)).all()
    assert [w for w in audited if "weekly digest" in w] == [
        f"weekly digest turned off for user {scenario.member.id}",
        f"weekly digest turned on for user {scenario.member.id}",
    ]


def test_send_refuses_without_smtp_and_a_bad_week(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HPH_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("HPH_SMTP_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    no_mail = runner.invoke(cli, ["digest", "send"])
    assert no_mail.exit_code == 1 and "HPH_SMTP_URL is not set" in no_mail.output
    bad_week = runner.invoke(cli, ["digest", "send", "--dry-run", "--week", "48"])
    assert bad_week.exit_code == 1 and "YYYY-Www" in bad_week.output
    dry = runner.invoke(cli, ["digest", "send", "--dry-run", "--week", "2026-W40"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run for 2026-W40" in dry.output and "nothing was sent" in dry.output
    get_settings.cache_clear()

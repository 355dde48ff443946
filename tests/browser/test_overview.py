"""The network overview and bright spots in a real browser at 1366×900: the national
coordinator's grid with icons in words, a bright spot leading to its team's changes, axe-core."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from app.checklists.in_use import catalogue_in_use
from app.core import migrate
from app.core.db import build_engine
from app.demo.seed import seed_demo
from app.measures.models import Annotation
from app.org.models import Organisation, Team
from tests.browser.conftest import _free_port, screenshot, sign_in
from tests.browser.test_dashboards import english, serious_violations
from tests.factories import make_patient, pathway_of
from tests.measures.conftest import end_of_day, make_instance

pytestmark = pytest.mark.browser
CHANGE = "Telefon dagen etter utskrivning"


def _add_bright_spot(url: str) -> None:
    """A Bergen team whose first home visits went from 35 % to 85 % on time 8 months ago,
    after a tested change (the small demo's own teams count too few items a month to show
    a run that still holds)."""
    engine = build_engine(url)
    today = date.today()
    with Session(engine) as db:
        bergen = db.exec(select(Organisation).where(Organisation.slug == "bergen")).one()
        team = Team(organisation_id=int(bergen.id or 0), slug="bergen-lyspunkt", name="Lyspunkt")
        db.add(team)
        db.flush()
        pathway = pathway_of(db, make_patient(db, team))
        for back in range(16, 0, -1):
            first = date(today.year, today.month, 1)
            index = first.year * 12 + first.month - 1 - back
            month = date(index // 12, index % 12 + 1, 5)
            done = 14 if back > 8 else 34
            for i in range(40):
                end = end_of_day(month + timedelta(days=i % 20))
                make_instance(
                    db, team=team, pathway=pathway, definition_id="hph-2", window_end=end,
                    status="completed" if i < done else "due",
                    performed_at=end - timedelta(hours=2) if i < done else None,
                )  # fmt: skip
            if back == 9:
                db.add(
                    Annotation(
                        team_id=int(team.id or 0), happened_on=month + timedelta(days=20),
                        title=CHANGE, description="PDSA: sykepleier ringer pasienten dagen etter.",
                    )
                )  # fmt: skip
        db.commit()
    engine.dispose()


@pytest.fixture(scope="module")
def learning_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The small demo plus one clear bright spot, served by uvicorn on a free port."""
    folder = tmp_path_factory.mktemp("learning")
    url = f"sqlite:///{folder / 'demo.db'}"
    migrate.upgrade(url)
    engine = build_engine(url)
    seed_demo(engine, catalogue_in_use(), seed=2026, scale=0.2, today=date.today())
    engine.dispose()
    _add_bright_spot(url)
    port = _free_port()
    env = dict(os.environ, HPH_DATABASE_URL=url, HPH_DATA_DIR=str(folder))
    command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=Path(__file__).resolve().parents[2])
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("the server did not start within 30 s")
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh page at the coordinators' viewport, collecting console errors."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.viewport_name = "desktop"  # type: ignore[attr-defined]
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    yield page
    context.close()


def test_national_coordinator_overview_shows_every_region_with_icons(page, live_server) -> None:  # type: ignore[no-untyped-def]
    """Every region × every core measure, each cell with a value, a sparkline and two icons."""
    english(page, live_server)
    sign_in(page, live_server, "koordinator.nasjonal@demo.no")
    page.goto(f"{live_server}/overview")
    rows = page.locator(".overview-grid tbody tr")
    assert rows.count() == 3  # the three regional networks
    columns = page.locator(".overview-grid thead th").count() - 1
    assert columns >= 10
    assert page.locator(".overview-grid td .mdc-icon").count() == 2 * 3 * columns
    assert page.locator(".overview-grid td svg.spark").count() >= 3
    words = page.locator(".overview-grid td .mdc-icon .visually-hidden").all_inner_texts()
    assert any(w.startswith(("Special cause", "Common cause")) for w in words)
    assert page.locator(".overview-grid td .mdc-icon[title]").count() == 2 * 3 * columns
    assert "/patients/" not in page.content()
    assert not [e for e in page.console_errors if "Content Security Policy" in e]
    screenshot(page, "overview-national")
    assert serious_violations(page) == []
    page.select_option("select[name=level]", "team")
    page.select_option("select[name=sort]", "variation")
    with page.expect_navigation():
        page.click(".overview-filter button[type=submit]")
    assert page.locator(".overview-grid tbody tr").count() > 10
    screenshot(page, "overview-national-teams")


def test_a_bright_spot_leads_to_its_teams_changes(page, learning_server) -> None:  # type: ignore[no-untyped-def]
    """From the overview to Learn from others, and from a bright spot to its team's changes."""
    english(page, learning_server)
    # a team member of another team of the western network learns from the bright spot
    sign_in(page, learning_server, "team.bergen@demo.no")
    page.goto(f"{learning_server}/overview")
    with page.expect_navigation():
        page.click("text=Learn from others: bright spots")
    assert page.locator("h1").inner_text() == "Learn from others"
    spot = page.locator(".spot", has_text="Lyspunkt")
    assert spot.count() == 1
    assert CHANGE in spot.locator(".change-list").inner_text()
    assert "before the improvement" in spot.locator(".change-list").inner_text()
    screenshot(page, "bright-spots")
    assert serious_violations(page) == []
    with page.expect_navigation():
        spot.locator("h2 a").click()
    assert "Lyspunkt" in page.locator("h1").inner_text()
    assert CHANGE in page.locator(".change-list").inner_text()
    assert "PDSA: sykepleier ringer" in page.locator(".change-list").inner_text()
    screenshot(page, "bright-spot-team-changes")
    assert serious_violations(page) == []
